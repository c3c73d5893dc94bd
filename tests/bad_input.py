"""The bad-input tables' shared helper (imported by the test files; not collected itself).

Each test file ends with a table ``BAD_INPUT`` of the bad calls of the module it
tests, under the comment line ``# ---- bad input``. A case is
``case(id, fn, exc, pattern)``: calling ``fn()`` must raise ``exc`` with a
message matched by the regular expression ``pattern``, which must pin down the
argument (or file) at fault, so that a reader's mistake points at itself. The
file turns its table into a test with ``test_bad_input = bad_input_test(BAD_INPUT)``.

``tests/test_bad_input_count.py`` reads every table and checks their total size.
Small builders that several tables use (``in_tmp``) live here too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest


def case(id: str, fn: Callable[[], object], exc: type[BaseException], pattern: str, **kw: Any) -> Any:
    """One bad call: ``fn()`` must raise ``exc`` with a message that ``re.search``-matches ``pattern``."""
    return pytest.param(fn, exc, pattern, id=id, **kw)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is too loose to pin down the argument at fault, or ``None`` when it is specific enough."""
    if not isinstance(pattern, str):
        return f"the pattern must be a str, got {type(pattern).__name__}"
    if pattern in (".*", ".+", r".*", r".+"):
        return f"the pattern {pattern!r} accepts any message"
    if len(pattern) < 6:
        return f"the pattern {pattern!r} is shorter than 6 characters"
    return None


def check_table(cases: Sequence[Any]) -> None:
    """Raise if a case of ``cases`` has a loose pattern, a duplicate id or is not a ``case(...)``."""
    seen: set[str] = set()
    for param in cases:
        values = getattr(param, "values", None)
        if values is None or len(values) != 3 or not callable(values[0]):
            raise TypeError(f"every bad-input case must be case(id, fn, exc, pattern), got {param!r}")
        if param.id in seen:
            raise ValueError(f"bad-input case id {param.id!r} appears twice")
        seen.add(param.id)
        problem = pattern_problem(values[2])
        if problem:
            raise ValueError(f"bad-input case {param.id!r}: {problem}; name the argument")


def expect(fn: Callable[[], object], exc: type[BaseException], pattern: str) -> None:
    """``fn()`` raises ``exc`` with a message matching ``pattern`` (a loose pattern fails)."""
    problem = pattern_problem(pattern)
    assert problem is None, problem
    with pytest.raises(exc, match=pattern):
        fn()


def bad_input_test(cases: Sequence[Any]) -> Callable[..., None]:
    """The parametrized test of a table: assign it to ``test_bad_input`` in the test file.

    The table is checked (:func:`check_table`) when the file is collected.
    """
    check_table(cases)

    @pytest.mark.parametrize(("fn", "exc", "pattern"), cases)
    def test_bad_input(fn: Callable[[], object], exc: type[BaseException], pattern: str) -> None:
        expect(fn, exc, pattern)

    return test_bad_input


def in_tmp(fn: Callable[[Path], object]) -> Callable[[], object]:
    """A callable that runs ``fn(folder)`` in a fresh temporary folder (removed afterwards)."""

    def run() -> object:
        with tempfile.TemporaryDirectory() as folder:
            return fn(Path(folder))

    return run


def write_and_read(read: Callable[[Path], object], text: str, name: str = "table.json") -> Callable[[], object]:
    """A callable that writes ``text`` to a temporary ``name`` and calls ``read`` on its path."""

    def run(folder: Path) -> object:
        (folder / name).write_text(text)
        return read(folder / name)

    return in_tmp(run)
