"""The notebooks' asserts can fail: none checks a closed-form value against the constant it returns.

An assert is the book's promise that a claim was measured. Some values are not
measurements: ``lc.uniform_perplexity(V)`` returns ``V`` and
``lc.adding_baseline_mse()`` returns ``1/6`` by definition. An assert that
compares such a value with that constant (or with ``len(...)`` of the
vocabulary it was given) passes whatever the code does. This test reads every
code cell of every notebook and fails on:

- an assert comparing a name assigned from a closed-form companion function
  (:data:`CLOSED_FORM`) with a constant expression: literals, arithmetic on
  literals, ``len(...)``;
- an assert comparing an expression with itself (``x == x``,
  ``abs(x - x) < eps``);
- an assert comparing ``len(name)`` with a literal where ``name`` is a literal
  list, tuple, dict or set written in the notebook.

Measure the value instead (for example the perplexity of uniform scores
through the cross-entropy, or the baseline's error on test data).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# companion functions whose result is a closed form of their arguments
CLOSED_FORM = {"uniform_perplexity", "adding_baseline_mse", "lstm_num_params", "gru_num_params"}


def code_cells(path: Path) -> list[str]:
    """Each code cell's source, IPython magics (``%``, ``!``) replaced by ``pass`` (they are not Python)."""
    nb = json.loads(path.read_text())
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            cells.append(
                "\n".join(
                    ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
                    for ln in source.split("\n")
                )
            )
    return cells


def code_of(path: Path) -> str:
    return "\n".join(code_cells(path))


def call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr
        if isinstance(f, ast.Name):
            return f.id
    return None


def is_constant(node: ast.AST) -> bool:
    """A literal, arithmetic on literals, or len(...)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return is_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return is_constant(node.left) and is_constant(node.right)
    return call_name(node) == "len"


def operands(test: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """Pairs compared by an assert: ``a == b``, ``a < b``, and ``abs(a - b) < eps``."""
    pairs = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            left = node.left
            for right in node.comparators:
                pairs.append((left, right))
                left = right
        if call_name(node) == "abs" and node.args and isinstance(node.args[0], ast.BinOp):
            diff = node.args[0]
            if isinstance(diff.op, ast.Sub):
                pairs.append((diff.left, diff.right))
    return pairs


def weak_asserts(source: str) -> list[str]:
    tree = ast.parse(source)
    closed: set[str] = set()
    literal_containers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if call_name(node.value) in CLOSED_FORM:
                closed.add(name)
            if isinstance(node.value, (ast.List, ast.Tuple, ast.Dict, ast.Set)):
                literal_containers.add(name)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        text = ast.unparse(node.test)
        for a, b in operands(node.test):
            if ast.dump(a) == ast.dump(b):
                problems.append(f"compares an expression with itself: assert {text}")
            for x, y in ((a, b), (b, a)):
                if isinstance(x, ast.Name) and x.id in closed and is_constant(y):
                    problems.append(
                        f"{x.id} is a closed form (a companion constant), checked against one: assert {text}"
                    )
                if (
                    call_name(x) == "len"
                    and x.args
                    and isinstance(x.args[0], ast.Name)
                    and x.args[0].id in literal_containers
                    and isinstance(y, ast.Constant)
                ):
                    problems.append(f"the length of a literal written in the notebook: assert {text}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_asserts_can_fail(path: Path):
    problems = weak_asserts(code_of(path))
    assert not problems, f"{path.name}: asserts that cannot fail:\n" + "\n".join(problems)


def test_the_checker_catches_the_known_cases():
    source = """
uniform_ppl = lc.uniform_perplexity(len(vocab))
assert uniform_ppl == len(vocab)
baseline_mse = lc.adding_baseline_mse()
assert abs(baseline_mse - 1 / 6) < 1e-12
book = ["a", "b", "c"]
assert len(book) == 3
assert abs(x - x) < 1e-9
measured = float(F.cross_entropy(torch.zeros(5, 28), y).exp())
assert abs(measured - uniform_ppl) < 1e-4
"""
    problems = weak_asserts(source)
    assert len(problems) == 4, problems
    assert not any("measured" in p for p in problems)
