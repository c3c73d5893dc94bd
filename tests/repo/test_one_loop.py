"""The package trains through one update: ``fit_step``, the only backward pass of a training path.

Every trainer (the task wrappers, the recipes, chapter 12's DDP program)
goes through :func:`lstm_companion.fit`, whose update is
:func:`lstm_companion.fit_step`; chapter 12's ``lm_train_step`` calls the
same ``fit_step``. A second ``backward`` call, or torch's own
``clip_grad_norm_`` beside ``clip_gradients``, would be a second loop or a
second clipping formula. The one other backward call allowed is
chapter 10's timing workload ``forward_backward`` (no optimiser: it
measures a pass, it trains nothing).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "companion" / "src" / "lstm_companion"
ALLOWED = {("training/loop.py", "fit_step"), ("measure/benchmark.py", "forward_backward")}


class _Calls(ast.NodeVisitor):
    """Records the innermost enclosing function of every call of an attribute or function named ``name``."""

    def __init__(self, name: str, module: str) -> None:
        self.name, self.module = name, module
        self.stack: list[str] = ["<module>"]
        self.found: set[tuple[str, str]] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        callee = node.func
        called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if called == self.name:
            self.found.add((self.module, self.stack[-1]))
        self.generic_visit(node)


def _calls(name: str) -> set[tuple[str, str]]:
    """(module path, innermost enclosing function) of every call named ``name`` in the package."""
    found: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _Calls(name, path.relative_to(PACKAGE).as_posix())
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        found |= visitor.found
    return found


def test_backward_is_called_in_fit_step_alone() -> None:
    assert _calls("backward") == ALLOWED


def test_one_clipping_formula() -> None:
    assert _calls("clip_grad_norm_") == set()
    assert _calls("clip_gradients") == {("training/loop.py", "fit_step")}
