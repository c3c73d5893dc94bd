#!/usr/bin/env python3
"""Open every page of the built book in headless Chromium and check it.

Usage: python .ci/check_html.py [--html _build/html] [--toc _toc.yml]
                                [--allow-pending CHECK[,CHECK...]]

The pages are served from 127.0.0.1 by an in-process HTTP server. index.html
and every page listed in _toc.yml are opened in a 1280 px wide window; every
collapsed cell and solution is opened before the layout is measured. A page
fails a check (name in brackets) when

- [built] a page listed in _toc.yml was not built;
- [console] the browser console has a SEVERE entry about a local URL (or
  naming no URL at all, e.g. an inline script error). Entries that name only
  external hosts (a CDN, Colab, Binder) are counted and ignored: CI machines
  are offline;
- [images] a local <img> has naturalWidth 0 once the page has loaded;
- [links] an internal link (same host) does not answer 200, or its #fragment
  is not an id (or name) on the target page;
- [plot] a chapter page (a notebook in the toc) shows no image in its article;
- [math] MathJax is not served by the book itself, does not finish
  typesetting (MathJax.startup.promise), or the article shows untypeset TeX
  (a text node with a literal \\( \\[ or $$ outside code) or a MathJax
  error (mjx-merror);
- [code-width] a code cell's input (its <pre>) scrolls sideways at 1280 px;
- [equation-width] a display equation (mjx-container[display=true]) is wider
  than its column, or scrolls, at 1280 px;
- [figures] an <img> in a <figure> or in the article does not load (or comes
  from another host), or a <figure> has no caption (<figcaption>);
- [exercises] a chapter page has no "Exercises" section (an h2);
- [solutions-hidden] an exercise's solution is shown when the page opens
  (sphinx-exercise's solution needs `:class: dropdown`);
- [phone-width] with a 390 px wide viewport the document is wider than the
  viewport (document.documentElement.scrollWidth > innerWidth + 1);
- [plot-scale] at 1280 px a plot (an <img> in a cell's output) is shown at
  less than 90 % of its drawn width: plots are drawn at 100 dpi with no text
  under 10 pt (notebooks/matplotlibrc, tests/repo/test_figure_style.py), so at 90 %
  or more their smallest text is still 9 pt;
- [output-width] a cell's text output (its <pre>) scrolls sideways at 1280 px;
- [table-width] a table is wider than its column (or its box scrolls) at
  1280 px;
- [figure-numbers] a plot (an <img> in a cell's output) is not in a numbered
  figure with a caption, or a figure has no number ("Fig. n.m");
- [glue] a glued value renders empty, or a page is withheld because its
  chapter failed (book/_ext/withhold_failed.py);
- [phone-text] at 390 px a drawing's smallest label (the SVG's smallest
  font-size, scaled as shown) or a plot's smallest text (10 pt at 100 dpi,
  scaled as shown) is under 9 px;
- [favicon] index.html has no <head> with a <link rel="icon">, or the icon
  is not in the build.

Every collapsed cell and solution is opened before any of these is measured,
so raw TeX in a solution (also single-dollar math such as a literal
``$\\mathbf{x}$`` left as text) is found.

--allow-pending names checks whose problems are reported but do not fail the
run (content that has not landed yet); it says when such a check passes, so
that its name can be dropped. At the end it prints what it counted: pages,
code blocks, equations, figures, exercises, and the problems of each check.

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

DESKTOP_SIZE = (1280, 1024)
PHONE_SIZE = (390, 844)  # a phone held upright, in CSS px
MATHJAX_WAIT_S = 20

# The checks, by the name --allow-pending takes.
CHECKS = {
    "built": "a page listed in the toc was not built",
    "console": "browser console errors about local URLs",
    "images": "local images that do not load",
    "links": "broken internal links and anchors",
    "plot": "chapter pages without an image",
    "math": "MathJax not local or not finished, untypeset TeX, MathJax errors",
    "code-width": "code cell inputs that scroll sideways at 1280 px",
    "equation-width": "display equations wider than their column at 1280 px",
    "figures": "figures whose image does not load, or without a caption",
    "exercises": "chapter pages without an Exercises section",
    "solutions-hidden": "solutions shown when the page opens",
    "phone-width": "pages wider than a 390 px viewport",
    "plot-scale": "plots (cell outputs) shrunk below 90 % of their drawn size at 1280 px: small print",
    "output-width": "cell text outputs that scroll sideways at 1280 px",
    "table-width": "tables wider than their column at 1280 px",
    "figure-numbers": "plots not in a numbered, captioned figure; figures without a number",
    "glue": "empty glued values, or pages withheld because their chapter failed",
    "phone-text": "drawing labels or plot text under 9 px at 390 px",
    "favicon": "index.html without a head and a favicon that loads",
}

# The smallest text a page may show on a phone, in CSS px.
MIN_PHONE_TEXT_PX = 9.0
# A plot's smallest text at its drawn size: 10 pt at 100 dpi (notebooks/matplotlibrc).
PLOT_MIN_TEXT_PX = 10 * 100 / 72

# A plot is drawn at 100 dpi with no text under 10 pt (notebooks/matplotlibrc,
# tests/repo/test_figure_style.py); shown at 90 % of its drawn width or more, its
# smallest text is still 9 pt.
MIN_PLOT_SCALE = 0.9

# Waits until MathJax has typeset the page (MathJax.startup.promise) and says
# where MathJax came from. `state` is "absent" when the page loads no MathJax.
MATHJAX_JS = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + arguments[0] * 1000;
const script = Array.from(document.scripts).find(s => /mathjax/i.test(s.src));
const src = script ? script.src : null;
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(
      () => done({src: src, state: 'typeset', version: mj.version || null}),
      err => done({src: src, state: 'failed: ' + err, version: mj.version || null}));
  } else if (!script) {
    done({src: null, state: 'absent', version: null});
  } else if (Date.now() > deadline) {
    done({src: src, state: 'did not start within the wait', version: null});
  } else {
    setTimeout(poll, 100);
  }
})();
"""

# Notes which solutions are hidden when the page opens, then opens every
# collapsed cell (<details>: hide-input, hide-output) and every toggle
# (sphinx-togglebutton: solution dropdowns), so that their content is measured.
EXPAND_JS = """
const article = document.querySelector('article') || document.body;
const solutions = Array.from(article.querySelectorAll('.admonition.solution')).map(s => ({
  id: s.id, hidden: s.classList.contains('toggle-hidden'),
}));
article.querySelectorAll('details').forEach(d => { d.open = true; });
article.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
return solutions;
"""

# Everything measured in the 1280 px window, once MathJax is done.
LAYOUT_JS = """
const article = document.querySelector('article') || document.body;
const short = (text, n) => text.replace(/\\s+/g, ' ').trim().slice(0, n);

// Untypeset TeX: delimiters left in text outside code and outside typeset math.
const SKIP = 'pre, code, kbd, samp, script, style, textarea, .highlight, mjx-container';
const rawTex = [];
const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (!/\\\\\\(|\\\\\\[|\\$\\$|\\$[^$]*\\\\[a-zA-Z]+|\\\\(mathbf|frac|sum|odot|cdot)\\b/.test(node.nodeValue)) continue;
  if (node.parentElement && node.parentElement.closest(SKIP)) continue;
  rawTex.push(short(node.nodeValue, 100));
}
const mathErrors = Array.from(article.querySelectorAll('mjx-merror')).map(
  e => short(e.getAttribute('data-mjx-error') || e.textContent, 100));

// The TeX source of a typeset container, for the report.
const texOf = container => {
  try {
    const items = window.MathJax.startup.document.getMathItemsWithin(container);
    if (items.length) return short(items[0].math, 90);
  } catch (e) { /* fall through */ }
  return short(container.textContent, 90);
};

// A <pre>'s widths and its longest line: for code inputs and for text outputs.
const preWidths = pre => {
  const lines = pre.textContent.replace(/\\n$/, '').split('\\n');
  let longest = '';
  lines.forEach(line => { if (line.length > longest.length) longest = line; });
  return {
    scrollWidth: pre.scrollWidth, clientWidth: pre.clientWidth,
    columns: longest.length, longest: longest.slice(0, 100),
  };
};
const code = Array.from(article.querySelectorAll('div.cell_input pre')).map(preWidths);

const display = Array.from(article.querySelectorAll('mjx-container[display="true"]')).map(c => {
  const parent = c.parentElement;
  const math = c.querySelector('mjx-math') || c;
  return {
    width: Math.ceil(math.getBoundingClientRect().width),
    available: parent.clientWidth,
    scrolls: c.scrollWidth > c.clientWidth + 1 || parent.scrollWidth > parent.clientWidth + 1,
    tex: texOf(c),
  };
});
const inline = article.querySelectorAll('mjx-container:not([display="true"])').length;

const figures = Array.from(article.querySelectorAll('figure')).map(f => {
  const img = f.querySelector('img');
  const caption = f.querySelector('figcaption');
  return {
    id: f.id || null,
    src: img ? (img.currentSrc || img.src) : null,
    loaded: img ? img.complete && img.naturalWidth > 0 : false,
    caption: caption ? short(caption.textContent, 60) : '',
  };
});
const articleImages = Array.from(article.querySelectorAll('img')).map(img => ({
  src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0,
}));
const plots = Array.from(article.querySelectorAll('.cell_output img')).map(img => ({
  src: short(img.currentSrc || img.src, 80), naturalWidth: img.naturalWidth, width: img.clientWidth,
}));

const outputs = Array.from(article.querySelectorAll('div.cell_output pre')).map(preWidths);
const tables = Array.from(article.querySelectorAll('table')).map(t => {
  const box = t.parentElement;
  const column = article.querySelector('section') || article;
  return {
    width: Math.ceil(t.getBoundingClientRect().width), available: column.clientWidth,
    scrolls: box.scrollWidth > box.clientWidth + 1, head: short(t.textContent, 60),
  };
});
const plotFigures = Array.from(article.querySelectorAll('.cell_output img')).map(img => {
  const fig = img.closest('figure');
  const cap = fig ? fig.querySelector('figcaption') : null;
  return {
    src: short(img.currentSrc || img.src, 80), inFigure: fig !== null,
    numbered: cap !== null && cap.querySelector('.caption-number') !== null,
  };
});
const unnumbered = Array.from(article.querySelectorAll('figure')).filter(f => {
  const cap = f.querySelector('figcaption');
  return !(cap && cap.querySelector('.caption-number'));
}).map(f => f.id || short(f.textContent, 40));
const emptyGlue = Array.from(article.querySelectorAll('span.pasted-text')).filter(
  s => s.textContent.trim() === '').length;
const withheld = document.getElementById('page-withheld') !== null;

const headingText = h => short(h.textContent, 80).replace(/#$/, '').replace(/^[\\d.]+\\s*/, '').trim().toLowerCase();
const exercisesSection = Array.from(article.querySelectorAll('h2')).some(h => {
  const section = h.closest('section');
  return h.id === 'exercises' || (section && /^exercises(-\\d+)?$/.test(section.id)) || headingText(h) === 'exercises';
});

return {
  rawTex: rawTex, mathErrors: mathErrors, code: code, display: display, inline: inline,
  figures: figures, articleImages: articleImages, exercisesSection: exercisesSection, plots: plots,
  outputs: outputs, tables: tables, plotFigures: plotFigures, unnumbered: unnumbered,
  emptyGlue: emptyGlue, withheld: withheld,
  exercises: article.querySelectorAll('.admonition.exercise').length,
};
"""

# In the 390 px viewport: how wide the document is, and the innermost elements
# that stick out (not inside a box that clips or scrolls them).
PHONE_JS = """
const vw = window.innerWidth;
const describe = el => {
  let name = el.tagName.toLowerCase();
  if (el.id) name += '#' + el.id;
  else if (typeof el.className === 'string' && el.className.trim()) name += '.' + el.className.trim().split(/\\s+/).join('.');
  const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
  return name + ' ' + Math.round(el.getBoundingClientRect().right) + 'px' + (text ? ' "' + text + '"' : '');
};
const clipped = el => {
  for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true;
  }
  return false;
};
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  if (wide.length >= 200) break;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= vw + 1) continue;
  if (getComputedStyle(el).position === 'fixed' || clipped(el)) continue;
  wide.push(el);
}
const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
const article = document.querySelector('article') || document.body;
const shown = Array.from(article.querySelectorAll('figure img, .cell_output img')).map(img => ({
  src: img.currentSrc || img.src, width: img.getBoundingClientRect().width, naturalWidth: img.naturalWidth,
  plot: img.closest('.cell_output') !== null,
}));
return {
  shown: shown,
  innerWidth: vw, scrollWidth: document.documentElement.scrollWidth,
  culprits: innermost.slice(0, 3).map(describe), nCulprits: innermost.length,
};
"""

# Waits two animation frames, so that a viewport change has been laid out.
REFLOW_JS = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""


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


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser dropped a request (e.g. when it quits): nothing wrong with the page
        super().handle_error(request, client_address)


def start_server(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
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
    driver.set_script_timeout(max(IMAGE_WAIT_S, MATHJAX_WAIT_S) + 5)
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


def parse_pending(values: list[str]) -> set[str]:
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(CHECKS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown check(s) {unknown}; the checks are {sorted(CHECKS)}")
    return names


class Problems:
    """Problems by check name, in the order found."""

    def __init__(self) -> None:
        self.by_check: dict[str, list[str]] = {name: [] for name in CHECKS}

    def add(self, check: str, message: str) -> None:
        self.by_check[check].append(message)

    def count(self, check: str) -> int:
        return len(self.by_check[check])


def svg_min_font(html_dir: Path, rel: str) -> float | None:
    """The smallest font size of an SVG file of the build, in px at its natural size (None: not an SVG)."""
    path = html_dir / urllib.parse.unquote(rel.split("?")[0].split("#")[0])
    if path.suffix.lower() != ".svg" or not path.is_file():
        return None
    text = path.read_text(encoding="utf8", errors="replace")
    sizes = [float(x) for x in re.findall(r'font-size\s*[=:]\s*"?\s*([0-9.]+)', text)]
    if not sizes:
        return None
    width = re.search(r'<svg[^>]*?\swidth="([0-9.]+)', text)
    box = re.search(r'viewBox="\s*[-0-9.]+\s+[-0-9.]+\s+([0-9.]+)', text)
    # sizes are in viewBox units; the width attribute says how many px the viewBox spans
    unit = float(width.group(1)) / float(box.group(1)) if width and box else 1.0
    return min(sizes) * unit


def check_layout(page: str, layout: dict, problems: Problems, totals: dict[str, int]) -> None:
    """The 1280 px checks of one page: math, code and equation widths, figures."""
    for text in layout["rawTex"]:
        problems.add("math", f"{page}: untypeset TeX: {text!r}")
    for text in layout["mathErrors"]:
        problems.add("math", f"{page}: MathJax error: {text!r}")

    totals["code blocks"] += len(layout["code"])
    for block in layout["code"]:
        totals["longest code line"] = max(totals["longest code line"], block["columns"])
        if block["scrollWidth"] > block["clientWidth"] + 1:
            totals["code blocks too wide"] += 1
            problems.add(
                "code-width",
                f"{page}: code scrolls sideways ({block['scrollWidth']} px in {block['clientWidth']} px, "
                f"longest line {block['columns']} columns): {block['longest']!r}",
            )

    totals["display equations"] += len(layout["display"])
    totals["inline equations"] += layout["inline"]
    for eq in layout["display"]:
        if eq["width"] > eq["available"] + 1 or eq["scrolls"]:
            totals["equations too wide"] += 1
            problems.add(
                "equation-width",
                f"{page}: display equation {eq['width']} px wide in a {eq['available']} px column"
                f"{' (scrolls)' if eq['scrolls'] else ''}: {eq['tex']!r}",
            )

    totals["figures"] += len(layout["figures"])
    for figure in layout["figures"]:
        name = f"figure #{figure['id']}" if figure["id"] else "a figure"
        if figure["src"] is None:
            problems.add("figures", f"{page}: {name} has no image")
        elif not figure["loaded"]:
            problems.add("figures", f"{page}: {name}: image did not load: {figure['src']}")
        if not figure["caption"]:
            problems.add("figures", f"{page}: {name} has no caption (figcaption)")

    for out in layout["outputs"]:
        if out["scrollWidth"] > out["clientWidth"] + 1:
            totals["outputs too wide"] += 1
            problems.add(
                "output-width",
                f"{page}: output scrolls sideways ({out['scrollWidth']} px in {out['clientWidth']} px): "
                f"{out['longest']!r}",
            )
    totals["tables"] += len(layout["tables"])
    for table in layout["tables"]:
        if table["width"] > table["available"] + 1 or table["scrolls"]:
            totals["tables too wide"] += 1
            problems.add(
                "table-width",
                f"{page}: table {table['width']} px wide in a {table['available']} px column"
                f"{' (scrolls)' if table['scrolls'] else ''}: {table['head']!r}",
            )
    for plot in layout["plotFigures"]:
        if not (plot["inFigure"] and plot["numbered"]):
            totals["plots without a numbered caption"] += 1
            problems.add("figure-numbers", f"{page}: plot not in a numbered, captioned figure: {plot['src']}")
    for name in layout["unnumbered"]:
        problems.add("figure-numbers", f"{page}: figure without a number: {name!r}")
    if layout["emptyGlue"]:
        problems.add("glue", f"{page}: {layout['emptyGlue']} glued value(s) render empty")
    if layout["withheld"]:
        problems.add("glue", f"{page}: the page is withheld (its chapter failed to execute or lost a glued value)")

    totals["plots"] += len(layout["plots"])
    for plot in layout["plots"]:
        if plot["naturalWidth"] > 0 and plot["width"] < MIN_PLOT_SCALE * plot["naturalWidth"]:
            totals["plots shrunk"] += 1
            problems.add(
                "plot-scale",
                f"{page}: a plot drawn {plot['naturalWidth']} px wide is shown at {plot['width']} px "
                f"({plot['width'] / plot['naturalWidth']:.0%}; draw it at most "
                f"{plot['width'] / MIN_PLOT_SCALE / 100:.1f} in wide at 100 dpi): {plot['src']}",
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--toc", type=Path, default=Path("_toc.yml"))
    parser.add_argument(
        "--allow-pending",
        action="append",
        default=[],
        metavar="CHECK[,CHECK...]",
        help=f"checks that only warn (content still to come); one of {', '.join(CHECKS)}",
    )
    args = parser.parse_args()
    try:
        pending = parse_pending(args.allow_pending)
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))

    html_dir = args.html.resolve()
    source_dir = args.toc.resolve().parent
    if not (html_dir / "index.html").is_file():
        print(f"check_html: {html_dir}/index.html is missing; build the book first (make book)")
        return 1

    docnames = toc_docnames(args.toc)
    pages = ["index.html"] + [f"{name}.html" for name in docnames]
    chapters = {f"{name}.html" for name in docnames if (source_dir / f"{name}.ipynb").is_file()}

    problems = Problems()
    reports: list[str] = []
    for page in pages:
        if not (html_dir / page).is_file():
            problems.add("built", f"{page}: listed in {args.toc} but not built")

    index_text = (html_dir / "index.html").read_text(encoding="utf8", errors="replace")
    icon = re.search(r'<link[^>]*rel="(?:shortcut )?icon"[^>]*href="([^"]+)"', index_text)
    if "<head>" not in index_text or icon is None:
        problems.add("favicon", 'index.html has no <head> with a <link rel="icon">')
    elif not (html_dir / urllib.parse.unquote(icon.group(1))).is_file():
        problems.add("favicon", f"index.html's icon {icon.group(1)} is not in the build")

    # Selenium's connection to chromedriver and the link checks go to localhost:
    # never through an http_proxy set in the environment.
    for var in ("no_proxy", "NO_PROXY"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))
    server, base = start_server(html_dir)
    links = LinkChecker()
    n_images = n_links = n_external_console = 0
    totals = dict.fromkeys(
        [
            "pages checked",
            "chapter pages",
            "code blocks",
            "code blocks too wide",
            "longest code line",
            "display equations",
            "equations too wide",
            "inline equations",
            "figures",
            "plots",
            "plots shrunk",
            "exercises",
            "solutions",
            "chapters with an Exercises section",
            "pages wider than 390 px",
            "outputs too wide",
            "tables",
            "tables too wide",
            "plots without a numbered caption",
            "smallest drawing label at 390 px",
            "smallest plot text at 390 px",
        ],
        0,
    )
    totals["smallest drawing label at 390 px"] = totals["smallest plot text at 390 px"] = 999
    mathjax_sources: set[str] = set()
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
                totals["pages checked"] += 1
                images = driver.execute_async_script(IMAGES_JS, IMAGE_WAIT_S)
                hrefs = driver.execute_script(LINKS_JS)
                mathjax = driver.execute_async_script(MATHJAX_JS, MATHJAX_WAIT_S)
                solutions = driver.execute_script(EXPAND_JS)
                layout = driver.execute_script(LAYOUT_JS)
                console += driver.get_log("browser")

                for entry in console:
                    if entry.get("level") != "SEVERE":
                        continue
                    if console_entry_is_local(entry["message"], base):
                        problems.add("console", f"{page}: console error: {entry['message']}")
                    else:
                        n_external_console += 1

                article_images = 0
                for img in images:
                    if not is_local(img["src"], base):
                        continue
                    n_images += 1
                    article_images += img["inArticle"]
                    if not img["complete"] or img["naturalWidth"] == 0:
                        problems.add("images", f"{page}: image did not load: {img['src']}")

                for href in sorted(set(hrefs)):
                    if not is_local(href, base):
                        continue
                    n_links += 1
                    problem = links.check(href)
                    if problem:
                        problems.add("links", f"{page}: link {href.removeprefix(base)}: {problem}")

                if page in chapters and article_images == 0:
                    problems.add("plot", f"{page}: chapter page shows no image (no plot?)")

                # MathJax must come from the book (offline readers) and finish typesetting.
                if mathjax["src"]:
                    mathjax_sources.add(mathjax["src"].removeprefix(base).split("?")[0])
                    if not is_local(mathjax["src"], base):
                        problems.add("math", f"{page}: MathJax is loaded from another host: {mathjax['src']}")
                if mathjax["state"] not in ("typeset", "absent"):
                    problems.add("math", f"{page}: MathJax {mathjax['state']}")
                check_layout(page, layout, problems, totals)
                for img in layout["articleImages"]:
                    if not is_local(img["src"], base):
                        problems.add("figures", f"{page}: image from another host (fails offline): {img['src']}")

                totals["solutions"] += len(solutions)
                for solution in solutions:
                    if not solution["hidden"]:
                        problems.add(
                            "solutions-hidden", f"{page}: solution #{solution['id']} is shown when the page opens"
                        )

                if page in chapters:
                    totals["chapter pages"] += 1
                    totals["exercises"] += layout["exercises"]
                    if layout["exercisesSection"]:
                        totals["chapters with an Exercises section"] += 1
                    else:
                        problems.add("exercises", f"{page}: no Exercises section (h2)")

                # A phone: the same page (collapsibles still open) in a 390 px viewport.
                width, height = PHONE_SIZE
                driver.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                )
                try:
                    driver.execute_async_script(REFLOW_JS)
                    phone = driver.execute_script(PHONE_JS)
                finally:
                    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
                if phone["innerWidth"] != width:
                    problems.add("phone-width", f"{page}: viewport is {phone['innerWidth']} px, not {width} px")
                elif phone["scrollWidth"] > phone["innerWidth"] + 1:
                    totals["pages wider than 390 px"] += 1
                    culprits = "; ".join(phone["culprits"])
                    problems.add(
                        "phone-width",
                        f"{page}: {phone['scrollWidth']} px wide in a {width} px viewport; "
                        f"{phone['nCulprits']} element(s) stick out, e.g. {culprits}",
                    )

                for img in phone["shown"]:
                    if not img["naturalWidth"] or not is_local(img["src"], base):
                        continue
                    scale = img["width"] / img["naturalWidth"]
                    if img["plot"]:
                        smallest, kind, key = PLOT_MIN_TEXT_PX * scale, "plot text", "smallest plot text at 390 px"
                    else:
                        font = svg_min_font(html_dir, img["src"].removeprefix(base))
                        if font is None:
                            continue
                        smallest, kind, key = font * scale, "drawing label", "smallest drawing label at 390 px"
                    totals[key] = min(totals[key], round(smallest, 1))
                    if smallest < MIN_PHONE_TEXT_PX:
                        problems.add(
                            "phone-text",
                            f"{page}: {kind} {smallest:.1f} px at 390 px (shown at {scale:.0%}): {img['src'][-60:]}",
                        )

                reports.append(
                    f"  {page:<45} {article_images:>3} image(s) in the article, {len(layout['code']):>3} code blocks, "
                    f"{len(layout['display']):>3} display equations, {len(layout['figures']):>2} figures, "
                    f"{layout['exercises']:>2} exercises"
                )
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
    print(f"\ncheck_html: MathJax served from {', '.join(sorted(mathjax_sources)) or 'no page'}")
    print("check_html: counts")
    for name, value in totals.items():
        print(f"  {name:<36} {value:>6}")

    failed = [name for name in CHECKS if problems.count(name) and name not in pending]
    print("\ncheck_html: problems per check")
    for name, description in CHECKS.items():
        n = problems.count(name)
        status = "ok" if n == 0 else ("PENDING (warns only)" if name in pending else "FAILED")
        print(f"  {name:<17} {n:>5}  {status:<21} {description}")
    for name in CHECKS:
        if name in pending and problems.count(name) == 0:
            print(f"check_html: pending check '{name}' passes now: drop it from --allow-pending (.ci/run)")

    for name in CHECKS:
        if not problems.count(name):
            continue
        label = "PENDING, warns only" if name in pending else "FAILED"
        print(f"\ncheck_html: [{name}] {label}, {problems.count(name)} problem(s):")
        for message in problems.by_check[name]:
            print(f"  - {message}")
    if failed:
        print(f"\ncheck_html: FAILED: {', '.join(failed)}")
        return 1
    print("\ncheck_html: OK" + (f" (pending, warn only: {', '.join(sorted(pending))})" if pending else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
