"""Notebooks are committed clean, and the table of contents matches them.

Outputs are produced by executing the notebooks (`make book`, `make test`),
never committed: a committed output can go stale without anyone noticing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TOC = ROOT / "_toc.yml"

# .ci/book_toc.py reads _toc.yml; .ci/check_html.py uses it too.
_spec = importlib.util.spec_from_file_location("book_toc", ROOT / ".ci" / "book_toc.py")
book_toc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_toc)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            dirty.append(f"cell {index}: has outputs")
        if cell.get("execution_count") is not None:
            dirty.append(f"cell {index}: has execution_count {cell.execution_count}")
        if "execution" in cell.get("metadata", {}):
            dirty.append(f"cell {index}: has execution timing metadata")
    assert not dirty, (
        f"{path.name} is not clean ({'; '.join(dirty)}); clear it with "
        f"`jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}`"
    )


def test_every_notebook_is_in_the_toc() -> None:
    listed = set(book_toc.toc_docnames(TOC))
    missing = [p.name for p in NOTEBOOKS if str(p.relative_to(ROOT).with_suffix("")) not in listed]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"


def test_every_toc_file_exists() -> None:
    missing = [
        f
        for f in book_toc.toc_docnames(TOC)
        if not any((ROOT / f).with_suffix(s).is_file() for s in book_toc.SOURCE_SUFFIXES)
    ]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"
