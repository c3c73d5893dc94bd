#!/usr/bin/env python3
"""Open every page of the built book in headless Chromium and check it.

Usage: python .ci/check_html.py [--html _build/html] [--toc _toc.yml]

The pages are served from 127.0.0.1 by an in-process HTTP server. For
index.html and every page listed in _toc.yml this fails (exit 1) when

- the browser console has a SEVERE entry about a local URL (or naming no URL
  at all, e.g. an inline script error). Entries that name only external hosts
  (a CDN, Colab, Binder) are counted and ignored: CI machines are offline;
- a local <img> has naturalWidth 0 once the page has loaded;
- an internal link (same host) does not answer 200, or its #fragment is not
  an id (or name) on the target page;
- a chapter page (a notebook in the toc) shows no image in its article.

Needs selenium, /usr/bin/chromium and /usr/bin/chromedriver (Debian packages
chromium and chromium-driver).
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import os
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from book_toc import toc_docnames  # .ci/book_toc.py
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
]
PAGE_LOAD_TIMEOUT_S = 30
IMAGE_WAIT_S = 10
URL_RE = re.compile(r"\b(?:https?|wss?)://[^\s\"')]+")
# Requests the browser makes on its own, not asked for by any page.
BROWSER_OWN_PATHS = ("/favicon.ico",)

# Loads lazy images eagerly, then reports every <img> once all have settled.
IMAGES_JS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
const deadline = Date.now() + arguments[0] * 1000;
(function poll() {
  if (imgs.every(img => img.complete) || Date.now() > deadline) {
    done(imgs.map(img => ({
      src: img.currentSrc || img.src,
      naturalWidth: img.naturalWidth,
      complete: img.complete,
      inArticle: img.closest('article') !== null,
    })));
  } else {
    setTimeout(poll, 100);
  }
})();
"""
LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _IdCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def start_server(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def make_driver(profile_dir: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    driver.set_script_timeout(IMAGE_WAIT_S + 5)
    return driver


def is_local(url: str, base: str) -> bool:
    return url.startswith(base)


def console_entry_is_local(message: str, base: str) -> bool:
    """A console message counts unless every URL it names is external (or the
    browser's own favicon request)."""
    urls = [u for u in URL_RE.findall(message) if urllib.parse.urlsplit(u).path not in BROWSER_OWN_PATHS]
    if not urls:
        return not URL_RE.search(message)  # only a browser's own request: ignore
    return any(is_local(u, base) for u in urls)


class LinkChecker:
    """Fetches each internal URL once; checks #fragments against its ids."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[int, set[str]]] = {}

    def _fetch(self, url: str) -> tuple[int, set[str]]:
        if url not in self._pages:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    status = response.status
                    body = response.read()
                    ctype = response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as err:
                status, body, ctype = err.code, b"", ""
            ids: set[str] = set()
            if status == 200 and "html" in ctype:
                collector = _IdCollector()
                collector.feed(body.decode("utf-8", errors="replace"))
                ids = collector.ids
            self._pages[url] = (status, ids)
        return self._pages[url]

    def check(self, href: str) -> str | None:
        """None if fine, else what is wrong."""
        url, fragment = urllib.parse.urldefrag(href)
        status, ids = self._fetch(url)
        if status != 200:
            return f"HTTP {status}"
        fragment = urllib.parse.unquote(fragment)
        if fragment and fragment not in ids:
            return f"no id '#{fragment}' on the target page"
        return None

    @property
    def urls_checked(self) -> int:
        return len(self._pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--toc", type=Path, default=Path("_toc.yml"))
    args = parser.parse_args()

    html_dir = args.html.resolve()
    source_dir = args.toc.resolve().parent
    if not (html_dir / "index.html").is_file():
        print(f"check_html: {html_dir}/index.html is missing; build the book first (make book)")
        return 1

    docnames = toc_docnames(args.toc)
    pages = ["index.html"] + [f"{name}.html" for name in docnames]
    chapters = {f"{name}.html" for name in docnames if (source_dir / f"{name}.ipynb").is_file()}

    failures: list[str] = []
    reports: list[str] = []
    for page in pages:
        if not (html_dir / page).is_file():
            failures.append(f"{page}: listed in {args.toc} but not built")

    # Selenium's connection to chromedriver and the link checks go to localhost:
    # never through an http_proxy set in the environment.
    for var in ("no_proxy", "NO_PROXY"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))
    server, base = start_server(html_dir)
    links = LinkChecker()
    n_images = n_links = n_external_console = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="check-html-chromium-") as profile:
        driver = make_driver(profile)
        try:
            for page in pages:
                if not (html_dir / page).is_file():
                    continue
                url = base + page
                driver.get(url)
                console = driver.get_log("browser")  # also drains the log for the next page
                final = urllib.parse.urldefrag(driver.current_url)[0]
                if final != url and final.removeprefix(base) in pages:
                    # index.html redirects to the root page, which is checked in its own turn
                    reports.append(f"  {page:<45} redirects to {final.removeprefix(base)}")
                    continue
                images = driver.execute_async_script(IMAGES_JS, IMAGE_WAIT_S)
                hrefs = driver.execute_script(LINKS_JS)
                console += driver.get_log("browser")

                for entry in console:
                    if entry.get("level") != "SEVERE":
                        continue
                    if console_entry_is_local(entry["message"], base):
                        failures.append(f"{page}: console error: {entry['message']}")
                    else:
                        n_external_console += 1

                article_images = 0
                for img in images:
                    if not is_local(img["src"], base):
                        continue
                    n_images += 1
                    article_images += img["inArticle"]
                    if not img["complete"] or img["naturalWidth"] == 0:
                        failures.append(f"{page}: image did not load: {img['src']}")

                for href in sorted(set(hrefs)):
                    if not is_local(href, base):
                        continue
                    n_links += 1
                    problem = links.check(href)
                    if problem:
                        failures.append(f"{page}: link {href.removeprefix(base)}: {problem}")

                if page in chapters and article_images == 0:
                    failures.append(f"{page}: chapter page shows no image (no plot?)")
                reports.append(f"  {page:<45} {article_images:>3} image(s) in the article")
        finally:
            driver.quit()
            server.shutdown()

    elapsed = time.perf_counter() - started
    print(
        f"check_html: {len(pages)} pages, {n_images} local images, {n_links} internal links "
        f"({links.urls_checked} distinct URLs), {n_external_console} console errors ignored "
        f"(external hosts, favicon), {elapsed:.1f} s"
    )
    print("\n".join(reports))
    if failures:
        print(f"\ncheck_html: FAILED, {len(failures)} problem(s):")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("check_html: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
