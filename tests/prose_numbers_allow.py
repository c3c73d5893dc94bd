"""The allow-list of tests/test_prose_numbers.py: numerals in prose that are settings, not results.

Each entry maps a file to ``{phrase: why}``. A phrase is a piece of the
file's prose (after tests/prose_numbers.py has stripped glue, math and code)
that holds a numeral which is a setting of the experiment (a size, a split
fraction, a seed), a definition or a fact about a paper, not a measured
result. Every phrase must still occur in its file (the test fails on a stale
entry), so the list stays short and true.
"""

from __future__ import annotations

ALLOWED: dict[str, dict[str, str]] = {}
