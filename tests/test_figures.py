"""The book's hand-written SVG figures (book/figures/*.svg) are safe, legible and used.

Every figure must:

- parse as XML, with an ``<svg>`` root and a ``viewBox`` between 600 and 800 user
  units wide and at most 1.2 times as tall as wide, so that a font size of 13 user
  units is still about 9 pt when the page scales the figure to its width;
- contain no ``<script>``, ``<image>`` or ``<foreignObject>``, no event-handler
  attribute, and no reference outside the file (every ``href`` and every ``url()``
  points at ``#an-id`` in the same file), so it renders the same everywhere;
- set every piece of text, subscripts included, at an effective font size of at
  least 13 user units. The size is resolved as a browser does: from the element's
  ``style`` attribute, else the rules of the file's ``<style>`` elements, else its
  ``font-size`` attribute, else inherited from its parent (16 at the root);
- stay under 25 KiB, since the SVG text is the editable source;
- be referenced from at least one notebook or book page (placed in the book).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "book" / "figures"
SVGS = sorted(FIGURES.glob("*.svg"))

MIN_FONT_SIZE = 13.0  # user units
DEFAULT_FONT_SIZE = 16.0  # a browser's "medium"
VIEWBOX_WIDTH = (600.0, 800.0)
MAX_ASPECT = 1.2  # height / width
MAX_BYTES = 25 * 1024

FORBIDDEN_ELEMENTS = {"script", "image", "foreignObject", "iframe", "audio", "video"}
TEXT_ELEMENTS = {"text", "tspan", "textPath"}
URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)")


def local(name: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return name.rsplit("}", 1)[-1]


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def parents_of(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


# --- a small CSS reader: enough for <style> rules on type, class and id selectors ---


class Rule:
    """One ``selector { font-size: ... }`` rule of a ``<style>`` element."""

    def __init__(self, selector: str, font_size: str, order: int) -> None:
        self.compounds = selector.split()
        for compound in self.compounds:
            if not re.fullmatch(r"(\*|[A-Za-z][\w-]*)?([.#][\w-]+)*", compound):
                raise ValueError(f"CSS selector {selector!r} is beyond what tests/test_figures.py reads; extend it")
        ids = sum(compound.count("#") for compound in self.compounds)
        classes = sum(compound.count(".") for compound in self.compounds)
        types = sum(1 for compound in self.compounds if re.match(r"[A-Za-z]", compound))
        self.specificity = (ids, classes, types, order)
        self.font_size = font_size

    @staticmethod
    def _matches_compound(compound: str, element: ET.Element) -> bool:
        match = re.match(r"(\*|[A-Za-z][\w-]*)?", compound)
        tag = match.group(1) if match else None
        if tag not in (None, "*") and tag != local(element.tag):
            return False
        classes = set((element.get("class") or "").split())
        for kind, name in re.findall(r"([.#])([\w-]+)", compound):
            if kind == "." and name not in classes:
                return False
            if kind == "#" and element.get("id") != name:
                return False
        return True

    def matches(self, element: ET.Element, parents: dict[ET.Element, ET.Element]) -> bool:
        *ancestors, last = self.compounds
        if not self._matches_compound(last, element):
            return False
        node = parents.get(element)
        for compound in reversed(ancestors):  # descendant combinators, innermost first
            while node is not None and not self._matches_compound(compound, node):
                node = parents.get(node)
            if node is None:
                return False
            node = parents.get(node)
        return True


def declarations(text: str) -> dict[str, str]:
    """``"a: 1; b: 2"`` -> ``{"a": "1", "b": "2"}``."""
    result = {}
    for declaration in text.split(";"):
        if ":" in declaration:
            name, value = declaration.split(":", 1)
            result[name.strip().lower()] = value.replace("!important", "").strip()
    return result


def style_rules(root: ET.Element) -> list[Rule]:
    rules = []
    for style in root.iter():
        if local(style.tag) != "style":
            continue
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
            font_size = declarations(body).get("font-size")
            if font_size is None:
                continue
            for selector in selectors.split(","):
                rules.append(Rule(selector.strip(), font_size, len(rules)))
    return rules


def resolve_size(value: str, parent_size: float) -> float:
    """A CSS or attribute font size in user units (px), relative to the parent's size."""
    value = value.strip().lower()
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)(px|pt|em|%)?", value)
    if not match:
        raise ValueError(f"font-size {value!r} is beyond what tests/test_figures.py reads; use a number")
    number, unit = float(match.group(1)), match.group(2)
    if unit == "pt":
        return number * 4 / 3
    if unit == "em":
        return number * parent_size
    if unit == "%":
        return number / 100 * parent_size
    return number


def font_sizes(root: ET.Element) -> dict[ET.Element, float]:
    """The effective font size of every element, as a browser cascades and inherits it."""
    parents = parents_of(root)
    rules = style_rules(root)
    sizes: dict[ET.Element, float] = {}

    def visit(element: ET.Element, parent_size: float) -> None:
        value = declarations(element.get("style") or "").get("font-size")
        if value is None:
            matching = [rule for rule in rules if rule.matches(element, parents)]
            if matching:
                value = max(matching, key=lambda rule: rule.specificity).font_size
        if value is None:
            value = element.get("font-size")
        size = parent_size if value is None or value.strip() == "inherit" else resolve_size(value, parent_size)
        sizes[element] = size
        for child in element:
            visit(child, size)

    visit(root, DEFAULT_FONT_SIZE)
    return sizes


def own_text(element: ET.Element) -> str:
    """The characters an element sets itself (its text and its children's tails)."""
    return (element.text or "") + "".join(child.tail or "" for child in element)


def label(element: ET.Element) -> str:
    return f"<{local(element.tag)}> {' '.join(''.join(element.itertext()).split())!r}"


# --- the tests ---


def test_there_are_figures() -> None:
    assert SVGS, f"no SVG files in {FIGURES}"


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_parses_with_a_legible_viewbox(path: Path) -> None:
    root = parse(path)
    assert local(root.tag) == "svg", f"{path.name}: the root element is <{local(root.tag)}>, not <svg>"
    viewbox = root.get("viewBox")
    assert viewbox, f"{path.name}: the <svg> element has no viewBox"
    numbers = [float(number) for number in re.split(r"[\s,]+", viewbox.strip())]
    assert len(numbers) == 4, f"{path.name}: viewBox {viewbox!r} is not four numbers"
    width, height = numbers[2:]
    low, high = VIEWBOX_WIDTH
    assert low <= width <= high, f"{path.name}: viewBox width {width:g} is outside [{low:g}, {high:g}]"
    assert 0 < height <= MAX_ASPECT * width, (
        f"{path.name}: viewBox height {height:g} is more than {MAX_ASPECT} times its width {width:g}"
    )


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_is_self_contained(path: Path) -> None:
    root = parse(path)
    problems = []
    for element in root.iter():
        tag = local(element.tag)
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            attribute = local(name)
            if attribute.lower().startswith("on"):
                problems.append(f"event handler {attribute}= on <{tag}>")
            if attribute == "href" and not value.strip().startswith("#"):
                problems.append(f"external {attribute}={value!r} on <{tag}>")
            for _, target in URL.findall(value):
                if not target.startswith("#"):
                    problems.append(f"external url({target}) in {attribute}= on <{tag}>")
        if tag == "style":
            css = element.text or ""
            if "@import" in css:
                problems.append("@import in <style>")
            problems += [
                f"external url({target}) in <style>" for _, target in URL.findall(css) if not target.startswith("#")
            ]
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_text_is_at_least_13_units(path: Path) -> None:
    root = parse(path)
    sizes = font_sizes(root)
    small = [
        f"{label(element)} at {sizes[element]:g}"
        for element in root.iter()
        if local(element.tag) in TEXT_ELEMENTS and own_text(element).strip() and sizes[element] < MIN_FONT_SIZE
    ]
    assert not small, f"{path.name}: text below {MIN_FONT_SIZE:g} user units: " + "; ".join(small)


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_is_small_enough_to_edit(path: Path) -> None:
    size = path.stat().st_size
    assert size <= MAX_BYTES, f"{path.name} is {size:,} bytes, more than {MAX_BYTES:,}"


def book_pages() -> dict[str, str]:
    """The text of every book page: the notebooks' markdown cells and the Markdown pages under book/."""
    pages = {}
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        pages[notebook.name] = "\n".join(
            "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for cell in cells
            if cell["cell_type"] == "markdown"
        )
    for page in sorted((ROOT / "book").rglob("*.md")):
        pages[str(page.relative_to(ROOT))] = page.read_text(encoding="utf-8")
    return pages


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_is_used_in_the_book(path: Path) -> None:
    reference = re.compile(r"figures/" + re.escape(path.name) + r"\b")
    users = [name for name, text in book_pages().items() if reference.search(text)]
    assert users, f"{path.name} is not referenced from any notebook or book page (expected e.g. figures/{path.name})"
