"""Find the numerals in the book's prose that no cell computed (used by tests/repo/test_prose_numbers.py).

The book's promise is that a number in its prose comes from an executed cell
(a myst-nb ``{glue:text}`` role) and is checked by an assert there. This module
strips from every markdown cell of ``notebooks/*.ipynb`` and from the pages in
``book/`` what may hold numerals legitimately (glue roles, math, code, links,
citations, labels, directive options) and reports every numeral left that
neither a general rule (:data:`RULES`) nor the per-file allow-list in
``tests/repo/prose_numbers_allow.py`` accounts for.

Run it directly to list the offenders with their context:

    python tests/repo/prose_numbers.py [notebooks/05_nn_lstm.ipynb ...]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("book/intro.md", "book/notation.md", "book/running.md")

# What is removed before looking for numerals: it is computed, typeset or an address.
_STRIP = [
    re.compile(r"<!--.*?-->", re.S),  # comments
    re.compile(r"^(`{3,}|~{3,}|:{3,})\s*\{?(code|code-cell|math|raw)\b.*?^\1\s*$", re.S | re.M),  # code/math blocks
    re.compile(r"^```.*?^```\s*$", re.S | re.M),  # fenced code
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\\\[.*?\\\]", re.S),
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"(?<![\\$])\$(?:(?!\n\n)[^$])+?\$"),  # inline math (may wrap a line)
    re.compile(r"\\\(.*?\\\)"),
    re.compile(r"\{[\w:.-]+\}`[^`]*`"),  # roles: {glue:text}`x:.3f`, {cite:p}`key`, {numref}`fig`, {doc}`...`
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)\s]*\)"),  # link targets
    re.compile(r"<https?://[^>]*>|https?://\S+"),  # bare addresses
    re.compile(r"^\(\S+\)=\s*$", re.M),  # labels
    re.compile(r"^\s*:[\w-]+:.*$", re.M),  # directive options (:label:, :width:, :class:)
    re.compile(r"^\s*(`{3,}|:{3,})\s*\{[\w-]+\}.*$", re.M),  # directive lines ({figure} path, {exercise})
    re.compile(r"<[^>\n]+>"),  # html tags and their attributes
]


@dataclass(frozen=True)
class Rule:
    """A general kind of numeral that is not a result; ``why`` says why it may stand."""

    pattern: re.Pattern[str]
    why: str


RULES: tuple[Rule, ...] = (
    Rule(re.compile(r"\b(19[4-9]\d|20[0-2]\d)[a-z]?\b"), "a year: citations and dates of papers"),
    Rule(
        re.compile(
            r"(?i)\b(chapters?|ch\.|parts?|sections?|exercises?|figures?|tables?|equations?|eqs?\.|steps?|"
            r"lines?|cells?|rungs?|items?|points?)\s+\d+(?:\.\d+)*(?:\s*(?:,|and|or|–|-|to)\s*\d+(?:\.\d+)*)*"
        ),
        "a reference to a chapter, part, section, exercise, figure, table, equation or list item",
    ),
    Rule(re.compile(r"^\s*\d+[.)]\s", re.M), "an ordered-list marker"),
    Rule(re.compile(r"(?<=[A-Za-z])-\d+\b"), "a name with a number (BLEU-4, GPT-2, float-16)"),
    Rule(re.compile(r"^#+ .*$", re.M), "a heading"),
    Rule(re.compile(r"(?i)\b(python|torch|pytorch|numpy|matplotlib|version|v)\s?\d+(\.\d+)*\b"), "a version"),
    Rule(re.compile(r"(?<![\w.,])\d(?![\w%]|[.,]\d)"), "a single digit: a count or a setting in an example"),
    Rule(
        re.compile(r"(?<![\w.,])(16|32|64|128|256|512|1024|2048|4096|10|100|1,?000|10,?000)(?![\w%]|[.,]\d)"),
        "a power of two or of ten: a size or a count chosen, not measured",
    ),
)

NUMERAL = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s?%)?")


@dataclass(frozen=True)
class Hit:
    path: str
    cell: int  # index into the notebook's cells; -1 for a page
    numeral: str
    context: str

    def __str__(self) -> str:
        where = f"{self.path} [{self.cell}]" if self.cell >= 0 else self.path
        return f"{where}: {self.numeral!r} in ...{self.context}..."


def prose(path: Path) -> Iterator[tuple[int, str]]:
    """``(cell index, markdown text)`` of a notebook's markdown cells, or ``(-1, text)`` of a page."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                yield i, "".join(cell["source"])
    else:
        yield -1, path.read_text(encoding="utf-8")


def strip(text: str) -> str:
    """The text without what may hold numerals legitimately; what is removed becomes one space."""
    for pattern in _STRIP:
        text = pattern.sub(" ", text)
    for rule in RULES:
        text = rule.pattern.sub(" ", text)
    return text


def scan(path: Path, allowed: dict[str, str]) -> tuple[list[Hit], set[str]]:
    """The numerals of ``path`` that are neither stripped, ruled nor allowed; and the allow-list phrases used."""
    rel = path.relative_to(ROOT).as_posix()
    hits: list[Hit] = []
    used: set[str] = set()
    for cell, text in prose(path):
        text = " ".join(strip(text).split())  # one space between words, so phrases match across lines
        for phrase in allowed:
            if phrase in text:
                used.add(phrase)
                text = text.replace(phrase, " ")
        for m in NUMERAL.finditer(text):
            context = " ".join(text[max(0, m.start() - 40) : m.end() + 25].split())
            hits.append(Hit(rel, cell, m.group(0), context))
    return hits, used


def sources() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + [ROOT / p for p in PAGES]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from prose_numbers_allow import ALLOWED

    paths = [ROOT / a for a in argv] if argv else sources()
    total = 0
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        hits, used = scan(path, ALLOWED.get(rel, {}))
        for hit in hits:
            print(hit)
        for phrase in sorted(set(ALLOWED.get(rel, {})) - used):
            print(f"{rel}: allow-list phrase not found (remove it): {phrase!r}")
        total += len(hits)
    print(f"{total} numerals outside glue, math, code and the allow-list")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
