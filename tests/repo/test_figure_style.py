"""Plots are legible: no text under 10 pt, and no plot drawn wider than the book shows it.

The book's column is 676 px wide at a 1280 px window. A plot drawn at 100 dpi
and at most 7.5 in wide is shown at 90 % of its size or more (the browser check
``plot-scale`` in .ci/check_html.py measures that on the built pages), so text of
10 pt stays at 9 pt or more. This test checks the sizes where they are set:

- ``notebooks/matplotlibrc`` (the style every notebook gets when it runs from
  ``notebooks/``) sets every text size to at least 10 pt and 100 dpi;
- no notebook or companion plotting code asks for a smaller font (a literal
  ``fontsize=`` under 10, or ``"small"`` and smaller) or draws a figure wider
  than 7.5 in (a literal ``figsize=(w, h)``);
- the companion's plotting functions, run under the book's style with typical
  inputs, draw figures at most 7.5 in wide with no visible text under 10 pt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import lstm_companion as lc  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RC = ROOT / "notebooks" / "matplotlibrc"
MIN_PT = 10.0
MAX_WIDTH_IN = 7.5
SIZE_KEYS = (
    "font.size",
    "axes.titlesize",
    "axes.labelsize",
    "xtick.labelsize",
    "ytick.labelsize",
    "legend.fontsize",
    "legend.title_fontsize",
    "figure.titlesize",
    "figure.labelsize",
)
SMALL_NAMES = ("xx-small", "x-small", "small", "smaller")
FONTSIZE = re.compile(r"\b(?:fontsize|labelsize|size)\s*=\s*([0-9.]+|['\"][a-z-]+['\"])")
FIGSIZE = re.compile(r"\bfigsize\s*=\s*\(\s*([0-9.]+)\s*,")
PLOT_CODE = [
    ROOT / "companion/src/lstm_companion/plots.py",
    ROOT / "companion/src/lstm_companion/measure/benchmark.py",
]


def book_style() -> dict:
    return matplotlib.rc_params_from_file(str(RC), use_default_template=True)


def test_matplotlibrc_sets_legible_sizes():
    rc = book_style()
    with matplotlib.rc_context(rc):
        for key in SIZE_KEYS:
            size = matplotlib.font_manager.FontProperties(size=rc[key]).get_size_in_points()
            assert size >= MIN_PT, f"{RC}: {key} is {rc[key]} ({size} pt), under {MIN_PT} pt"
    assert rc["figure.dpi"] == 100, rc["figure.dpi"]
    assert rc["figure.figsize"][0] <= MAX_WIDTH_IN


def code_sources() -> list[tuple[str, str]]:
    out = [(str(p.relative_to(ROOT)), p.read_text()) for p in PLOT_CODE]
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                out.append((f"{nb_path.name} [{i}]", "".join(cell["source"])))
    return out


def test_no_small_fonts_or_wide_figures_in_code():
    problems = []
    for where, code in code_sources():
        for m in FONTSIZE.finditer(code):
            value = m.group(1).strip("'\"")
            if value in SMALL_NAMES or (value[0].isdigit() and float(value) < MIN_PT):
                problems.append(f"{where}: {m.group(0)} (at least {MIN_PT:g} pt)")
        for m in FIGSIZE.finditer(code):
            if float(m.group(1)) > MAX_WIDTH_IN:
                problems.append(f"{where}: {m.group(0)}...) (at most {MAX_WIDTH_IN} in wide)")
    assert not problems, "\n".join(problems)


def check_figure(fig) -> None:
    width = fig.get_size_inches()[0]
    assert width <= MAX_WIDTH_IN + 1e-9, f"figure {width:.2f} in wide"
    small = [
        (t.get_text(), t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_PT
    ]
    assert not small, small


def _history() -> lc.History:
    return lc.History(train_loss=[2.0, 1.5, 1.2], val_score=[6.0, 5.0, 5.5], best_epoch=1, metric="perplexity")


def _speed_results() -> dict:
    row = lambda m: {"train_ms": {"median": m, "q25": 0.9 * m, "q75": 1.1 * m}}
    return {
        "num_steps": 100,
        "batch_size": 32,
        "num_inputs": 64,
        "num_hiddens": 256,
        "results": {"nn.LSTM": row(10.0), "scratch": row(30.0), "fused": row(12.0)},
        "roofline": {"bound_ms": {"shapes": 6.0, "peak": 5.0}},
    }


PLOTS = {
    "plot_history": lambda: lc.plot_history(_history(), title="Scratch RNN on The Time Machine"),
    "plot_perplexities": lambda: lc.plot_perplexities({"unigram": 15.0, "RNN": 5.0, "LSTM": 4.3}, title="Test"),
    "plot_accuracy_vs_distance": lambda: lc.plot_accuracy_vs_distance(
        [10, 20, 50], [[1.0, 0.9, 0.5], [1.0, 1.0, 0.5]], chance=0.5
    ),
    "plot_attention": lambda: lc.plot_attention(
        torch.softmax(torch.randn(8, 8), -1),
        "i do not know what to say".split() + ["<eos>"],
        "je ne sais pas quoi dire . <eos>".split(),
    ),
    "plot_colored_text": lambda: lc.plot_colored_text(
        "the time traveller smiled . " * 6, torch.linspace(-1, 1, 6 * 28), title="cell 42"
    ),
    "plot_speed_ladder": lambda: lc.plot_speed_ladder(_speed_results()),
}


@pytest.mark.parametrize("name", list(PLOTS))
def test_companion_plots_are_legible_in_the_book_style(name: str):
    with matplotlib.rc_context(book_style()):
        ax = PLOTS[name]()
        fig = ax.figure
        try:
            fig.canvas.draw()
            check_figure(fig)
        finally:
            plt.close(fig)
