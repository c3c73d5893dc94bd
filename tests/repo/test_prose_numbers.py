"""No hand-typed results: every numeral in the book's prose is glued from a cell, or a declared setting.

tests/repo/prose_numbers.py strips glue roles, math, code, links and citations from
every markdown cell and book page, removes what its general rules account for
(years, chapter and exercise references, list markers, single digits, powers of
two and ten) and the phrases of the commented allow-list in
tests/repo/prose_numbers_allow.py. Any numeral left is a number someone typed: glue
it from the cell that computes it (and assert it there), or, if it is a setting
rather than a result, add the phrase to the allow-list with the reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from prose_numbers import ROOT, scan, sources
from prose_numbers_allow import ALLOWED

SOURCES = sources()


def test_allow_list_names_existing_files():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert set(ALLOWED) <= names, sorted(set(ALLOWED) - names)
    for path, phrases in ALLOWED.items():
        for phrase, why in phrases.items():
            assert any(c.isdigit() for c in phrase), f"{path}: allow-list phrase {phrase!r} holds no numeral"
            assert why.strip(), f"{path}: allow-list phrase {phrase!r} needs a reason"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_hand_typed_numbers(path: Path):
    rel = path.relative_to(ROOT).as_posix()
    allowed = ALLOWED.get(rel, {})
    hits, used = scan(path, allowed)
    stale = sorted(set(allowed) - used)
    assert not stale, f"{rel}: allow-list phrases no longer in the text (remove them): {stale}"
    assert not hits, f"{len(hits)} numbers typed by hand in {rel} (glue them, or allow-list a setting):\n" + "\n".join(
        str(h) for h in hits
    )


def test_scanner_catches_and_strips():
    from prose_numbers import strip

    text = "BLEU is {glue:text}`bleu:.3f` and $x = 0.25$; `lr = 3e-4`; chapter 5 (1997) ran 12 seeds to 0.731."
    left = strip(text)
    assert "0.25" not in left and "3e-4" not in left and "chapter 5" not in left and "1997" not in left
    assert "12" in left and "0.731" in left
