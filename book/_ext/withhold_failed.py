"""A chapter that failed to execute, or lost a glued value, is never published quietly.

With ``--keep-going``, Sphinx still writes the page of a notebook whose
execution failed: the traceback, and every later glued number rendered as
nothing ("processed  tokens per second"). The ``-W`` build fails, but the page
could still be read or published. This extension replaces such a page's body
with a notice saying why it is withheld, and logs a warning (so ``-W`` fails):

- a notebook whose execution failed (myst-nb's execution record says
  ``succeeded: False``);
- a page on which a glued value could not be found (myst-nb's glue warnings,
  collected from Sphinx's log while the pages are read).
"""

from __future__ import annotations

import logging
from typing import Any

from docutils import nodes
from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)
NOTICE = (
    "This page is withheld: {reason}. Its numbers come from executing the chapter's notebook, so a "
    "page built without them would show sentences with blanks where the measurements go. "
    "The build log and the execution report (reports/) say what failed."
)


class _GlueWarnings(logging.Handler):
    """Remembers the documents (docnames or source paths) that logged a glue warning (a glued key that was not found)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.sources: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.getMessage())
        if "glue" not in message.lower() and getattr(record, "subtype", None) != "glue":
            return
        location = getattr(record, "location", None)
        if isinstance(location, tuple):  # (docname, line), as myst-nb logs it
            location = location[0]
        if location:
            self.sources.add(str(location).split(":", 1)[0])


def _failed_reason(app: Any, docname: str, handler: _GlueWarnings) -> str | None:
    try:
        from myst_nb.sphinx_ import NbMetadataCollector

        data = NbMetadataCollector.get_exec_data(app.env, docname)
    except Exception:  # myst-nb absent or changed: fall back to the glue warnings
        data = None
    if data and data.get("succeeded") is False:
        return f"its notebook failed to execute ({data.get('error') or 'an error'})"
    source = str(app.env.doc2path(docname))
    if docname in handler.sources or source in handler.sources:
        return "a glued value on it could not be found"
    return None


def _withhold(app: Any, doctree: nodes.document, docname: str) -> None:
    reason = _failed_reason(app, docname, _HANDLER)
    if reason is None:
        return
    LOGGER.warning(f"page withheld: {reason}", location=docname)
    title = next(iter(doctree.findall(nodes.title)), None)
    section = nodes.section(ids=["page-withheld"], names=["page-withheld"])
    section += nodes.title(text=title.astext() if title is not None else docname)
    notice = nodes.warning()
    notice += nodes.paragraph(text=NOTICE.format(reason=reason))
    section += notice
    doctree.clear()
    doctree += section


# module-level (not on the environment, which Sphinx pickles)
_HANDLER = _GlueWarnings()


def _install_handler(app: Any) -> None:
    _HANDLER.sources.clear()
    logger = logging.getLogger("sphinx")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _install_handler)
    app.connect("doctree-resolved", _withhold, priority=900)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
