"""Markdown that renders wrongly: a line that starts with ``+``, ``-`` or ``*`` inside open inline math.

Markdown reads such a line as a list item, which ends the paragraph and with
it the ``$...$``: the page shows raw TeX with its subscripts eaten, and the
text after it is typeset as one long italic formula (chapter 4's Solution
4.4 did this). Move the operator to the end of the previous line instead.
Display math (``$$ ... $$``) and fenced code are not checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md"))
SINGLE_DOLLAR = re.compile(r"(?<![$\\])\$(?!\$)")
LIST_MARKER = re.compile(r"^\s*[-+*]\s")


def markdown_blocks(path: Path) -> list[tuple[str, str]]:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        return [(f"cell {i}", "".join(c["source"])) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]
    return [("page", path.read_text())]


def list_lines_in_math(text: str) -> list[str]:
    found = []
    in_math = in_display = in_fence = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if stripped == "":
            in_math = False  # a blank line ends the paragraph, and any math in it
            continue
        if stripped.count("$$") % 2 == 1:
            in_display = not in_display
            continue
        if in_display or "$$" in stripped:
            continue
        if in_math and LIST_MARKER.match(line):
            found.append(line.strip())
        if len(SINGLE_DOLLAR.findall(line)) % 2 == 1:
            in_math = not in_math
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_list_marker_inside_inline_math(path: Path) -> None:
    problems = [f"{where}: {line!r}" for where, text in markdown_blocks(path) for line in list_lines_in_math(text)]
    assert not problems, f"{path.name}: a line starts with +, - or * inside $...$ (move it up a line): {problems}"


def test_the_lint_catches_solution_4_4() -> None:
    text = "compute\n$\\mathbf{X}_t \\mathbf{W} + \\mathbf{H}\n+ \\mathbf{b}$: two products\n\n- a list\n- b $x$"
    assert list_lines_in_math(text) == ["+ \\mathbf{b}$: two products"]
