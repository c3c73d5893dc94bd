"""A number the prose puts beside one split is computed from that split, not from the other.

Issue 22 found "lowered its validation perplexity by another {drop_gain_lstm}"
where the glued value subtracted a *test* perplexity. This test reads every
notebook the way a reviewer traces a number: for each ``glue(name, value)``
it collects the split markers of everything ``value`` is computed from
(identifiers, attribute names and string keys such as ``"val_ppl"``,
followed back through the assignments of the notebook's earlier code), and
for each sentence of the prose that names exactly one split ("validation"
or "test"), every glued number in it must not be computed from the other
split only. Numbers computed from neither (a parameter count, anything inside
``len(...)``) pass; a sentence that names both splits is not judged. A glue
name that carries a split (``val_mase_naive``, ``kn_test``) must not be
computed from the other split only, and must not stand in a sentence about
the other split.

Identifiers carry the split: ``val``, ``valid``, ``validation`` and
``dev`` mark the validation split, ``test`` the test split.

Limits, known: a number computed from *both* splits (a validation score
minus a test score) passes the sentence rule, because the tracer is coarse
(a variable that collects both splits' results marks everything computed
from it, and flagging mixes flagged dozens of honest numbers); such a
mix is caught only where its glue name carries a split. The tracer does not
look inside functions: a value returned by a notebook's own function is
marked by its arguments only.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from test_assert_strength import code_cells

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

VAL_WORDS = {"val", "valid", "validation", "dev"}
TEST_WORDS = {"test"}


def markers_of_text(text: str) -> set[str]:
    words = {w.lower() for w in re.split(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])", text) if w}
    return ({"validation"} if words & VAL_WORDS else set()) | ({"test"} if words & TEST_WORDS else set())


class Tracer(ast.NodeVisitor):
    """Split markers of every variable, following assignments in program order."""

    def __init__(self) -> None:
        self.deps: dict[str, set[str]] = {}
        self.glued: dict[str, set[str]] = {}  # glue name (or a regex for an f-string name) -> markers

    def markers(self, node: ast.AST | None) -> set[str]:
        found: set[str] = set()
        if node is None:
            return found
        skip = {  # a length counts items: it is not a score measured on a split
            id(n)
            for call in ast.walk(node)
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "len"
            for n in ast.walk(call)
        }
        for sub in ast.walk(node):
            if id(sub) in skip:
                continue
            if isinstance(sub, ast.Name):
                found |= markers_of_text(sub.id) | self.deps.get(sub.id, set())
            elif isinstance(sub, ast.Attribute):
                found |= markers_of_text(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 40:
                found |= markers_of_text(sub.value)
        return found

    def assign(self, targets: list[ast.expr], value: set[str]) -> None:
        for t in targets:
            if isinstance(t, (ast.Subscript, ast.Attribute)):  # x[k] = ... or x.a = ...: x gains the markers
                root = t
                while isinstance(root, (ast.Subscript, ast.Attribute)):
                    root = root.value
                if isinstance(root, ast.Name):
                    self.deps[root.id] = self.deps.get(root.id, set()) | value
                continue
            for sub in ast.walk(t):  # names, tuples of names
                if isinstance(sub, ast.Name):
                    self.deps[sub.id] = value

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        self.assign(node.targets, self.markers(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        self.assign([node.target], self.markers(node.value) | self.markers(node.target))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self.assign([node.target], self.markers(node.value))

    def visit_For(self, node: ast.For) -> None:
        self.assign([node.target], self.markers(node.iter))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "glue" and len(node.args) >= 2:
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                key = re.escape(name.value)
            elif isinstance(name, ast.JoinedStr):
                key = "".join(
                    re.escape(v.value) if isinstance(v, ast.Constant) else r"[A-Za-z0-9_]+" for v in name.values
                )
            else:
                return
            self.glued[key] = self.glued.get(key, set()) | self.markers(node.args[1])


def glue_markers(path: Path) -> dict[str, set[str]]:
    tracer = Tracer()
    for source in code_cells(path):
        try:
            tracer.visit(ast.parse(source))
        except SyntaxError:
            continue
    return tracer.glued


GLUE_REF = re.compile(r"\{glue(?::text|:md)?\}`([A-Za-z0-9_]+)")


def sentences(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"```.*?```", " ", text, flags=re.S)  # directives and code
        for para in re.split(r"\n\s*\n", text):
            out += re.split(r"(?<=[.!?;:])\s+(?=[A-Z*{(])|\n\s*[-*] ", para.replace("\n", " "))
    return out


def split_named(sentence: str) -> set[str]:
    s = re.sub(GLUE_REF, " ", sentence).lower().replace("cross-validation", "cross-fold")  # not a split
    return ({"validation"} if re.search(r"\b(validation|development)\b", s) else set()) | (
        {"test"} if re.search(r"\btest\b", s) else set()
    )


def name_split(name: str) -> set[str]:
    """The split a glue name carries (``val_mase_naive``: validation; ``kn_test``: test)."""
    return markers_of_text(name)


def mismatches(path: Path) -> list[str]:
    glued = glue_markers(path)

    def marks_of(ref: str) -> set[str]:
        marks: set[str] = set()
        for key, m in glued.items():
            if re.fullmatch(key, ref):
                marks |= m
        return marks

    bad = []
    for key, marks in glued.items():  # a name that carries a split is computed from it
        for split in name_split(key.replace("\\", "")):
            if marks and split not in marks:
                bad.append(f"glue {key!r} names the {split} split but is computed from the {sorted(marks)} split")
    for sentence in sentences(path):
        named = split_named(sentence)
        if len(named) != 1:
            continue
        (split,) = named
        other = ({"validation", "test"} - named).pop()
        for ref in GLUE_REF.findall(sentence):
            marks = marks_of(ref)
            if other in name_split(ref) or (other in marks and split not in marks):
                bad.append(
                    f"{ref!r} is computed from the {other} split, in a sentence about the {split} split: "
                    f"{sentence[:160]!r}"
                )
    return bad


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_glued_numbers_match_the_split_their_sentence_names(path: Path) -> None:
    bad = mismatches(path)
    assert not bad, "\n".join(bad)


def test_the_check_catches_a_number_from_the_other_split(tmp_path: Path) -> None:
    """The class of issue 22's chapter 4 error: a number beside one split, computed from the other."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": [
                    "val_ppl = [4.0, 3.9]\n",
                    "ppl = {'lstm': test_ppl}\n",
                    "glue('gain_val', min(val_ppl) - ppl['lstm'])\n",  # mixes the splits: fine by name alone
                    "glue('drop_val', ppl['lstm'] - 3.0)\n",  # the name says validation: computed from test
                    "glue('gain_ok', min(val_ppl) - 3.0)\n",
                ],
            },
            {
                "cell_type": "markdown",
                "source": [
                    "It lowered its test perplexity by {glue:text}`gain_ok`. ",
                    "It lowered the validation perplexity by {glue:text}`gain_val:.2f`.",
                ],
            },
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    bad = mismatches(path)
    assert len(bad) == 2, bad
    assert "'drop_val' names the validation split" in bad[0]
    assert "'gain_ok' is computed from the validation split" in bad[1]
