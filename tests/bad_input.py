"""The bad-input tables' shared helper (imported by the test files; not collected itself).

Each test file ends with a table ``BAD_INPUT`` of the bad calls of the module it
tests, under the comment line ``# ---- bad input``. A case is
``case(id, fn, exc, pattern)``: calling ``fn()`` must raise ``exc`` with a
message matched by the regular expression ``pattern``, which must pin down the
argument (or file) at fault, so that a reader's mistake points at itself. The
file turns its table into a test with ``test_bad_input = bad_input_test(BAD_INPUT)``.

``tests/test_bad_input_count.py`` reads every table and checks their total size.
Small inputs and builders that several tables use live here too: ``NAN``,
``INF``, the tiny vocabulary ``V``/``VOCAB``/``CORPUS``, ``X3`` and ``st``
(an input and a state of the scratch layers), ``lm``, ``last_state``,
``translation_data``/``seq2seq`` (a tiny translator), ``in_tmp`` and
``write_and_read``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

import lstm_companion as lc


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


NAN, INF = float("nan"), float("inf")
V = 5  # vocabulary size of the small models below
VOCAB = lc.Vocab(list("abcd"))  # <unk>, a, b, c, d
CORPUS = torch.arange(100) % V
TEXT = "\n".join(f"{a} {b}\t{b} {a}" for a in "abcdef" for b in "ghijkl")  # 36 pairs "a g<TAB>g a"
SEQ2SEQ_CONFIG = lc.Seq2SeqConfig(8, 8, 1, 0.0, "luong", "general")


def X3(T: int = 2, B: int = 2, d: int = 3, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A zero input ``(num_steps, batch_size, num_inputs)``."""
    return torch.zeros(T, B, d, dtype=dtype)


def st(B: int = 2, h: int = 4, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """A zero cell state ``(H, C)``, each ``(batch_size, num_hiddens)``."""
    return torch.zeros(B, h, dtype=dtype), torch.zeros(B, h, dtype=dtype)


def lm() -> lc.RNNLM:
    """A seeded character LM over ``V`` tokens with a 4-unit scratch RNN."""
    torch.manual_seed(0)
    return lc.RNNLM(lc.RNNScratch(V, 4), V)


def last_state(num_outputs: int = 2) -> lc.LastStateModel:
    """A seeded last-state model on 3 input features."""
    torch.manual_seed(0)
    return lc.LastStateModel(lc.RNNScratch(3, 4), num_outputs)


def translation_data() -> lc.TranslationData:
    """The pairs of ``TEXT`` as translation data (3 held out)."""
    return lc.load_translation(lc.TranslationConfig(max_words=2, min_freq=1, num_test=3), text=TEXT)


def seq2seq(data: lc.TranslationData | None = None) -> lc.Seq2Seq:
    """A seeded tiny translator (``SEQ2SEQ_CONFIG``) for ``data``'s vocabularies."""
    data = data or translation_data()
    torch.manual_seed(0)
    return lc.build_seq2seq(SEQ2SEQ_CONFIG, len(data.src_vocab), len(data.tgt_vocab))


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
