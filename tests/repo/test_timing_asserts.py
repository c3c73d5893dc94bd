"""No notebook asserts on a live timing: timings are verdicts, glued, never asserts that fail a reader.

Speed, scaling and precision effects depend on the processor and on what else
it is doing; a reader's busy laptop must never fail a chapter. So a value
computed from a clock in a notebook may be glued, printed and turned into a
verdict (``lc.compare_ratio``), but no ``assert`` may test it, unless the line
carries ``# timing-bound: <why>``, for a "something is broken" bound with a
margin far outside any load effect (say so in the reason).

How a value is recognised as a timing (taint, followed through the cells in
order): a name assigned from an expression that calls a clock or a timing
function (:data:`CLOCKS`), reads a timing field of a run's report
(:data:`TIMING_FIELDS`), or uses a name already known to hold a timing, is a
timing; so is a container into which a timing was appended or stored.
Committed benchmark results (``results/``) are fixed numbers, not live
timings: they are not tainted.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_assert_strength import code_cells  # the code cells, magics stripped

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# calls that read a clock or time something live
CLOCKS = {
    "perf_counter",
    "perf_counter_ns",
    "time",
    "monotonic",
    "process_time",
    "time_interleaved",
    "lstm_matmul_rates",
    "matmul_gflops",
    "timeit",
}
# fields of a live run's report or history that hold timings
TIMING_FIELDS = {"seconds", "tokens_per_second", "train_seconds", "step_seconds", "elapsed"}
MARKER = "# timing-bound:"


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _reads_clock(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in CLOCKS:
                return True
        if isinstance(n, ast.Attribute) and n.attr in TIMING_FIELDS:
            return True
        if isinstance(n, ast.Constant) and n.value in TIMING_FIELDS:
            return True
    return False


def _targets(node: ast.AST) -> set[str]:
    """The names an assignment target binds (the container's name for x[k] = ... and x.y = ...)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        return _targets(node.value)
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*(_targets(e) for e in node.elts))
    return set()


class _Taint(ast.NodeVisitor):
    """Walks a cell's statements in source order, tracking which names hold timings."""

    def __init__(self, tainted: set[str], lines: list[str]) -> None:
        self.tainted = tainted
        self.lines = lines
        self.found: list[str] = []

    def _is_timing(self, value: ast.AST) -> bool:
        return _reads_clock(value) or bool(_names(value) & self.tainted)

    def _assign(self, targets: list[ast.AST], value: ast.AST) -> None:
        names = set().union(*(_targets(t) for t in targets))
        if self._is_timing(value):
            self.tainted |= names
        else:  # a plain name bound to a non-timing value is clean again
            self.tainted -= {t.id for t in targets if isinstance(t, ast.Name)}

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assign(list(node.targets), node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assign([node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self._is_timing(node.value):
            self.tainted |= _targets(node.target)

    def visit_For(self, node: ast.For) -> None:
        for _ in range(2):  # a loop's body may use a name before the line that taints it
            self._assign([node.target], node.iter)
            for stmt in node.body:
                self.visit(stmt)
        for stmt in node.orelse:
            self.visit(stmt)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("append", "extend", "update", "setdefault", "add")
            and any(self._is_timing(arg) for arg in call.args)
        ):
            self.tainted |= _targets(call.func.value)

    def visit_Assert(self, node: ast.Assert) -> None:
        if self._is_timing(node.test):
            line = self.lines[node.lineno - 1]
            if MARKER not in line:
                self.found.append(line.strip())

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        pass  # a function's body runs when called; its locals are not the notebook's


def timing_asserts(sources: list[str]) -> list[str]:
    tainted: set[str] = set()
    found = []
    for src in sources:
        visitor = _Taint(tainted, src.split("\n"))
        visitor.visit(ast.parse(src))
        found += visitor.found
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_assert_on_a_live_timing(path: Path) -> None:
    found = timing_asserts(code_cells(path))
    assert not found, (
        f"{path.name} asserts on live timings: {found}. Glue a verdict (lc.compare_ratio) instead, or mark a "
        f"'something is broken' bound with '{MARKER} <why the margin is far outside any load effect>'."
    )


def test_the_check_catches_a_timing_assert() -> None:
    caught = timing_asserts(
        [
            "import time\nstart = time.perf_counter()\nwork()\nsec = {}\nsec['a'] = time.perf_counter() - start",
            "ratio = sec['a'] / 2\nassert ratio > 1.2",
            "times = []\nfor _ in range(3):\n    t0 = time.perf_counter()\n    times.append(time.perf_counter() - t0)\n"
            "assert min(times) < 1",
            "report = run()\nassert report['tokens_per_second'] > 10",
            "assert h.seconds < 5  # timing-bound: a whole epoch of nothing",
            "n = 3\nassert n == 3",
        ]
    )
    assert caught == ["assert ratio > 1.2", "assert min(times) < 1", "assert report['tokens_per_second'] > 10"]
