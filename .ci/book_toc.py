"""The documents that _toc.yml (Jupyter Book 1 format) lists, in reading order.

Used by .ci/check_html.py and tests/repo/test_notebooks_clean.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml

SOURCE_SUFFIXES = (".md", ".ipynb")


def toc_docnames(toc_path: Path) -> list[str]:
    """The root, then every `file:` entry, each without its source suffix."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    names = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for key, value in node.items():
                if key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [name[: -len(s)] if (s := Path(name).suffix) in SOURCE_SUFFIXES else name for name in names]
