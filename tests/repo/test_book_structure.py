"""The book's structure says what the table of contents says, and every chapter keeps its shape.

- every chapter notebook has a ``## Summary`` section followed by ``## Exercises``;
- ``book/intro.md``'s list "What is in the book" names the parts of
  ``_toc.yml`` in order, and under each part exactly the chapters ``_toc.yml``
  puts there (a chapter's number is its notebook's prefix, ``11_word_lm`` is
  chapter 11);
- every exercise solution (the cells from a ``{solution-start}`` marker to its
  ``{solution-end}``) holds a code cell with an ``assert``: the answer it states
  is checked, not only printed (an ``assert`` statement, or a call such as
  ``torch.testing.assert_close``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TOC = ROOT / "_toc.yml"
INTRO = ROOT / "book" / "intro.md"

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


def _headings(nb: nbformat.NotebookNode) -> list[str]:
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"^(`{3,}).*?^\1\s*$", "", cell.source, flags=re.S | re.M)  # not inside fences
        out += [line.strip() for line in text.splitlines() if re.match(r"^#{1,6} ", line)]
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_summary_then_exercises(path: Path) -> None:
    heads = _headings(nbformat.read(path, as_version=4))
    assert "## Summary" in heads, f"{path.name}: no '## Summary' section"
    assert "## Exercises" in heads, f"{path.name}: no '## Exercises' section"
    assert heads.index("## Summary") < heads.index("## Exercises"), f"{path.name}: Summary must come before Exercises"


def _toc_parts() -> list[tuple[int, str, list[int]]]:
    """(part number, caption, chapter numbers) of every numbered part of ``_toc.yml``."""
    parts = []
    for part in yaml.safe_load(TOC.read_text(encoding="utf-8"))["parts"]:
        match = re.match(r"Part ([IVX]+): (.+)", part.get("caption", ""))
        if not match:
            continue  # front and back matter
        chapters = [int(Path(c["file"]).name.split("_")[0]) for c in part["chapters"]]
        parts.append((ROMAN[match.group(1)], match.group(2), chapters))
    return parts


def _intro_parts() -> list[tuple[int, list[int]]]:
    """(part number, chapter numbers it names) of every "**Part N, ...:**" item of ``book/intro.md``."""
    text = INTRO.read_text(encoding="utf-8")
    section = text.split("## What is in the book", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"\n- (?=\*\*Part )", "\n" + section)[1:]
    out = []
    for item in items:
        match = re.match(r"\*\*Part ([IVX]+),", item)
        assert match, f"book/intro.md: cannot read the part of {item[:60]!r}"
        chapters = [int(n) for n in re.findall(r"\(chapters? (\d+)\)", " ".join(item.split()))]
        out.append((ROMAN[match.group(1)], chapters))
    return out


def test_intro_lists_the_parts_and_chapters_of_the_toc() -> None:
    toc = [(number, chapters) for number, _, chapters in _toc_parts()]
    intro = _intro_parts()
    assert toc, "no numbered parts found in _toc.yml"
    assert [n for n, _ in intro] == [n for n, _ in toc], (
        f"book/intro.md lists parts {[n for n, _ in intro]}, _toc.yml has {[n for n, _ in toc]}"
    )
    for (number, said), (_, listed) in zip(intro, toc, strict=True):
        assert said == listed, f"book/intro.md, Part {number}: names chapters {said}, _toc.yml has {listed}"


def _solutions(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """(label, sources of its code cells) of every solution block."""
    blocks: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            start = re.search(r"\{solution-start\}\s*(\S+)", cell.source)
            if start:
                assert current is None, f"solution {start.group(1)} starts inside {current and current[0]}"
                current = (start.group(1), [])
            if "{solution-end}" in cell.source:
                assert current is not None, "a {solution-end} without its start"
                blocks.append(current)
                current = None
        elif current is not None:
            current[1].append(cell.source)
    assert current is None, f"solution {current and current[0]} has no {{solution-end}}"
    return blocks


def _has_assert(source: str) -> bool:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
    tree = ast.parse("\n".join(lines))
    return any(
        isinstance(node, ast.Assert)
        or (  # torch.testing.assert_close, np.testing.assert_allclose, ...
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id).startswith("assert")
        )
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_asserts_its_answer(path: Path) -> None:
    blocks = _solutions(nbformat.read(path, as_version=4))
    assert blocks, f"{path.name}: no solution blocks found"
    missing = [label for label, codes in blocks if not any(_has_assert(c) for c in codes)]
    assert not missing, f"{path.name}: solutions without an assert (state the answer, then assert it): {missing}"
