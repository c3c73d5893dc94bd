"""The package's layout rules (CONTRIBUTING.md, "Layering"), checked on its import statements.

- Data flows one way, ``data -> models -> training -> measure -> recipes``:
  a module imports from its own layer and the layers to its left, plus the
  shared modules every layer may use; ``plots`` may use any layer and no
  layer imports it. Imports inside functions count too, so a lazy import
  cannot hide a wrong direction.
- No import cycle between the package's modules (lazy imports included).
- No private name (a leading underscore) is imported from another module,
  by the package or by the tests.
- A module stays under about 400 lines unless it is one idea that says why
  in its docstring: those few are listed here, each with its reason.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "companion" / "src" / "lstm_companion"
LAYERS = {"data": 0, "models": 1, "training": 2, "measure": 3, "recipes": 4}
SHARED = {"runtime", "rng", "machine", "fingerprint", "_checks"}
MAX_LINES = 400
LONG_BY_DESIGN = {  # module: the sentence of its docstring that says why it is one idea
    "models/fast_lstm/cpp.py": "one build state",
    "models/seq2seq.py": "one interface",
    "data/download.py": "one checked path",
}


@functools.cache
def _modules() -> dict[str, Path]:
    """Dotted name (``models.lstm``, ``models.fast_lstm``) of every module of the package, and its file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """The package modules ``name`` imports (relative imports resolved; ``from . import x`` gives ``x``)."""
    modules = _modules()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("lstm_companion"):
                target = node.module.split(".")[1:]
            else:
                continue
            dotted = ".".join(target)
            for alias in node.names:
                sub = f"{dotted}.{alias.name}" if dotted else alias.name
                if sub in modules:
                    found.add(sub)
                elif dotted in modules:
                    found.add(dotted)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lstm_companion."):
                    found.add(alias.name.removeprefix("lstm_companion."))
    return {m for m in found if m != name}


def _graph() -> dict[str, set[str]]:
    """Import graph of the modules, package ``__init__`` files left out (they re-export, they are not used)."""
    modules = _modules()
    return {
        name: {m for m in _imports(name, path) if modules[m].name != "__init__.py"}
        for name, path in modules.items()
        if path.name != "__init__.py"
    }


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for name, deps in _graph().items():
        top = name.split(".")[0]
        for dep in deps:
            dep_top = dep.split(".")[0]
            if dep_top == "plots" and top != "plots":
                wrong.append(f"{name} imports plots (only the chapters do)")
            elif top in SHARED and dep_top not in SHARED:
                wrong.append(f"{name} (shared by every layer) imports {dep}")
            elif top in LAYERS and dep_top in LAYERS and LAYERS[dep_top] > LAYERS[top]:
                wrong.append(f"{name} imports {dep}, a layer above it")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def _private_imports(path: Path) -> list[str]:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            ours = node.level > 0 or (node.module or "").startswith("lstm_companion")
            if ours:
                bad += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
    return bad


def test_no_private_name_crosses_a_module() -> None:
    bad = [b for path in sorted(PACKAGE.rglob("*.py")) for b in _private_imports(path)]
    bad += [b for path in sorted((ROOT / "tests").rglob("*.py")) for b in _private_imports(path)]
    bad = [b for b in bad if not b.endswith(": __version__")]
    assert not bad, bad


def test_modules_stay_small_or_say_why() -> None:
    long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long[rel] = lines
    unexplained = sorted(set(long) - set(LONG_BY_DESIGN))
    assert not unexplained, f"over {MAX_LINES} lines without a reason: {[(m, long[m]) for m in unexplained]}"
    for rel, reason in LONG_BY_DESIGN.items():
        doc = ast.get_docstring(ast.parse((PACKAGE / rel).read_text(encoding="utf-8"))) or ""
        assert reason in " ".join(doc.split()), f"{rel}'s docstring must say why it is one module ({reason!r})"
