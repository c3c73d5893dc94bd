"""Write ``index.html`` as a small page with a head, not a bare redirect.

sphinx-external-toc writes ``index.html`` as one ``<meta http-equiv="Refresh">``
line when the book's root page is not ``index``: no ``<head>``, no title, no
favicon, so the browser asks for ``/favicon.ico`` and gets a 404. This
extension writes the redirect first (sphinx-external-toc leaves an existing
file alone): a valid page with a title, the book's favicon, the redirect and a
link for browsers that do not follow it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="{favicon}">
<meta http-equiv="Refresh" content="0; url={target}">
</head>
<body>
<p><a href="{target}">{title}</a></p>
</body>
</html>
"""


def _write_index(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    favicon = Path(app.config.html_favicon or "").name
    target = f"{app.config.root_doc}.html" if app.builder.name != "dirhtml" else f"{app.config.root_doc}/index.html"
    page = PAGE.format(
        title=html.escape(app.config.html_title or app.config.project),
        favicon=f"_static/{favicon}" if favicon else "data:,",
        target=html.escape(target),
    )
    (Path(app.outdir) / "index.html").write_text(page, encoding="utf8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("build-finished", _write_index, priority=100)  # before sphinx-external-toc's (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
