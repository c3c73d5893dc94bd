"""The references page labelled the way the text cites: [Elman, 1990].

The text cites author-year (``bibtex_reference_style = author_year``), but
pybtex's "plain" style labels the entries of the references page [1], [2], ...,
which no citation in the text mentions. This registers the bibliography style
"author_year_plain" (``bibtex_default_style`` in _config.yml): pybtex's "plain"
entries, sorted by author, year and title, each labelled as ``{cite:p}`` prints
it: [Elman, 1990], [Hochreiter and Schmidhuber, 1997], [Greff et al., 2017]
(a letter is appended when two entries would get the same label).

sphinxcontrib-bibtex resolves citations only against a ``:list: citation``
bibliography (its default), so an unlabelled bullet list is not an option.
"""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle

STYLE_NAME = "author_year_plain"


def _surname(person) -> str:
    """The surname as text, with LaTeX accents decoded: van Merriënboer, Koutník."""
    latex = " ".join(person.prelast_names + person.last_names)
    return Text.from_latex(latex).render_as("text")


def author_year_label(entry) -> str:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(person) for person in persons]
    if not names:
        who = entry.fields.get("organization") or entry.fields.get("title", entry.key)
        who = Text.from_latex(who).render_as("text")
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        labels = [author_year_label(entry) for entry in sorted_entries]
        repeated = {label for label, n in Counter(labels).items() if n > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label


class AuthorYearPlainStyle(PlainStyle):
    default_label_style = STYLE_NAME
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearPlainStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
