"""The bad-input tables together: every test file's ``BAD_INPUT`` (see ``tests/bad_input.py``).

Each test file's table is imported by path, so the count holds whichever files
a run collects. The tables must hold at least 350 cases in all, each with a
pattern that pins down the argument at fault and an id unique across tables.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bad_input import check_table

TESTS = Path(__file__).resolve().parent
MIN_CASES = 350


def tables() -> dict[str, list]:
    """``{file name: BAD_INPUT}`` for every ``tests/test_*.py`` that ends with a bad-input table."""
    found = {}
    for path in sorted(TESTS.glob("test_*.py")):
        if "\nBAD_INPUT = [" not in path.read_text():
            continue
        spec = importlib.util.spec_from_file_location(f"bad_input_table_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.name] = list(module.BAD_INPUT)
    return found


TABLES = tables()


def test_tables_hold_enough_cases():
    counts = {name: len(cases) for name, cases in TABLES.items()}
    assert sum(counts.values()) >= MIN_CASES, counts


def test_every_table_names_the_argument_and_ids_are_unique():
    every = [param for cases in TABLES.values() for param in cases]
    check_table(every)


def test_every_table_sits_at_the_end_of_its_file():
    for name in TABLES:
        text = (TESTS / name).read_text()
        tail = text[text.index("# ---- bad input") :]
        assert "\ndef test_" not in tail, f"{name}: tests after the bad-input table belong above it"
        assert text.rstrip().endswith("test_bad_input = bad_input_test(BAD_INPUT)"), name
