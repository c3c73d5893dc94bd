"""Drop duplicated <script> tags from every HTML page.

Sphinx 7.4 (the last Sphinx that Jupyter Book 1 supports) adds an inline
script registered during the build (``app.add_js_file(None, body=...)``) twice:
once when the extension registers it and again in ``prepare_writing``, where
the filename ``None`` has become ``''`` so the duplicate check misses it.
sphinx-thebe's ``const THEBE_JS_URL = ...`` then runs twice and the browser
logs "Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been
declared" on every page (``.ci/check_html.py`` fails on it).
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        filename = getattr(script, "filename", script) or ""
        attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
        key = (filename, attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
