"""The chapters' figures (matplotlib); each returns the ``Axes`` it drew on (chapters 1-4, 7 and 9).

- :func:`plot_history`: training and held-out perplexity per epoch, best epoch
  marked (chapters 1 and 4);
- :func:`plot_perplexities`: held-out perplexity per model, as bars (chapters 1
  and 4);
- :func:`plot_step_series`: per-step curves such as the loss or the gradient
  norm (chapters 1-3);
- :func:`plot_accuracy_vs_distance`: held-out accuracy against the distance to
  remember, one dot per seed (chapters 2 and 4);
- :func:`plot_attention`: one sentence pair's attention weights as a heatmap
  (chapter 7);
- :func:`plot_colored_text` and its HTML form :func:`colored_text_html`: a
  unit's activation as the background colour of each character of a text, as
  in Karpathy et al.'s figures (chapter 9; the activations and the statistics
  are in :mod:`lstm_companion.measure`).

:func:`~lstm_companion.plot_speed_ladder` lives with its measurement in
:mod:`lstm_companion.measure.benchmark` (chapter 10).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from ._checks import (
    check_positive_float,
    check_positive_int,
    check_probability,
    check_signal,
    check_str,
    check_tensor,
    check_text,
)
from .measure.signals import SignalLike
from .training.loop import History

__all__ = [
    "plot_history",
    "plot_perplexities",
    "plot_step_series",
    "plot_accuracy_vs_distance",
    "plot_attention",
    "colored_text_html",
    "plot_colored_text",
]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6, 3.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(history: History, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Training and held-out perplexity per epoch, best epoch marked (chapter 1)."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history.train_ppl) + 1)
    ax.plot(epochs, history.train_ppl, label="training")
    if history.val_ppl:
        ax.plot(epochs, history.val_ppl, label="held-out")
        ax.axvline(history.best_epoch + 1, color="grey", ls=":", label="best held-out")
    ax.set_xlabel("epoch")
    ax.set_ylabel("perplexity")
    ax.set_title(title or "Perplexity during training")
    ax.legend()
    return ax


def plot_perplexities(values: Mapping[str, float], *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Horizontal bars of held-out perplexity per model, lower is better (chapter 1)."""
    if not isinstance(values, Mapping) or len(values) == 0:
        raise ValueError(f"values must be a non-empty mapping of model name to perplexity, got {values!r}")
    for name, v in values.items():
        check_positive_float(f"values[{name!r}]", v)
    ax = _axes(ax, (6, 0.6 * len(values) + 1))
    names = list(values)
    bars = ax.barh(names, [values[n] for n in names], color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("held-out perplexity (lower is better)")
    ax.set_title(title or "What context buys")
    ax.set_xlim(0, max(values.values()) * 1.15)
    return ax


def plot_step_series(
    series: Mapping[str, Sequence[float]],
    *,
    ylabel: str,
    logy: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "minibatch",
) -> Axes:
    """Several per-step curves (loss, gradient norm) on one axis (chapters 1 and 2)."""
    ax = _axes(ax)
    for name, ys in series.items():
        ax.plot(np.arange(1, len(ys) + 1), ys, label=name, lw=1)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_accuracy_vs_distance(
    distances: Sequence[int],
    accuracies: Sequence[Sequence[float]],
    *,
    chance: float = 0.5,
    ax: Axes | None = None,
    title: str | None = None,
    label: str = "mean over seeds",
) -> Axes:
    """Held-out accuracy against the distance to remember (chapter 2).

    ``accuracies[s][i]`` is the accuracy of seed ``s`` at ``distances[i]``:
    one dot per seed, a line through the mean, and a dashed line at
    ``chance``. The distance axis is logarithmic.
    """
    check_probability("chance", chance, allow_one=True)
    acc = np.asarray(accuracies, dtype=float)
    if acc.ndim != 2 or acc.shape[1] != len(distances):
        raise ValueError(
            f"accuracies must have shape (num_seeds, {len(distances)}) to match distances, got {acc.shape}"
        )
    ax = _axes(ax)
    x = np.asarray(distances, dtype=float)
    for row in acc:
        ax.plot(x, row, "o", color="tab:blue", alpha=0.4, ms=4)
    ax.plot(x, acc.mean(axis=0), "-", color="tab:blue", label=label)
    ax.axhline(chance, color="grey", ls="--", label=f"chance ({chance:g})")
    ax.set_xscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([str(int(d)) for d in distances])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("distance (tokens between subject and verb)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title or "Accuracy against distance")
    ax.legend()
    return ax


def plot_attention(
    weights: torch.Tensor,
    src_words: Sequence[str],
    tgt_words: Sequence[str],
    *,
    ax: Any = None,
    title: str | None = None,
    cmap: str = "Reds",
    colorbar: bool = True,
) -> Any:
    """Heatmap of one sentence pair's attention weights (chapter 7), with a colour bar (0 to 1).

    ``weights`` ``(num_target_words, num_source_words)``: row ``i`` is where
    the decoder looked while writing ``tgt_words[i]``. ``colorbar=False``
    leaves the bar out (for a grid of maps sharing one). Returns the axes.
    """
    import matplotlib.pyplot as plt

    check_tensor("weights", weights, ndim=2, floating=True)
    for name, words in (("src_words", src_words), ("tgt_words", tgt_words)):
        if isinstance(words, str) or not isinstance(words, Sequence) or not all(isinstance(w, str) for w in words):
            raise TypeError(f"{name} must be a list of words (str), got {words!r}")
    if tuple(weights.shape) != (len(tgt_words), len(src_words)):
        raise ValueError(
            f"weights must have shape (len(tgt_words), len(src_words)) = {(len(tgt_words), len(src_words))}, "
            f"got {tuple(weights.shape)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * len(src_words) + 1.5, 0.45 * len(tgt_words) + 1))
    image = ax.imshow(weights.detach().cpu().numpy(), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.03, label="attention weight")
    ax.set_xticks(range(len(src_words)), list(src_words), rotation=60, ha="right")
    ax.set_yticks(range(len(tgt_words)), list(tgt_words))
    ax.set_xlabel("source (English)")
    ax.set_ylabel("output (French)")
    if title:
        ax.set_title(title)
    return ax


def _check_values(text: str, values: SignalLike) -> np.ndarray:
    check_text("text", text)
    v = check_signal("values", values, len(text), of="the text's characters").numpy()
    return v


def _check_range(vmin: float, vmax: float) -> None:
    for name, v in (("vmin", vmin), ("vmax", vmax)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if not vmin < vmax:
        raise ValueError(f"vmin must be less than vmax, got vmin={vmin}, vmax={vmax}")


def _text_colors(values: np.ndarray, vmin: float, vmax: float, cmap: str, strength: float) -> np.ndarray:
    """RGB colours ``(N, 3)`` in ``[0, 1]``: ``cmap`` between ``vmin`` and ``vmax``, mixed with white."""
    _check_range(vmin, vmax)
    check_str("cmap", cmap)
    if cmap not in plt.colormaps():
        raise ValueError(f"cmap must be the name of a matplotlib colormap such as 'RdBu_r', got {cmap!r}")
    strength = check_positive_float("strength", strength)
    if strength > 1.0:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    rgb: np.ndarray = plt.get_cmap(cmap)(Normalize(vmin, vmax, clip=True)(values))[:, :3]  # (N, 3)
    return 1.0 - strength * (1.0 - rgb)  # lighter, so that black text stays readable


def colored_text_html(
    text: str,
    values: SignalLike,
    *,
    vmin: float = -1.0,
    vmax: float = 1.0,
    cmap: str = "RdBu_r",
    strength: float = 0.8,
    title: str | None = None,
) -> str:
    """``text`` as HTML, each character on a background coloured by its value (chapter 9).

    ``values`` has one number per character (shape ``(len(text),)``), mapped
    through ``cmap`` between ``vmin`` and ``vmax`` (clipped): with the default
    ``RdBu_r``, blue is low, white the middle and red high (Karpathy et al.
    colour their text the same way); ``strength`` < 1 mixes the colours with white, so that the
    black characters stay readable. Show it with ``IPython.display.HTML``.
    """
    v = _check_values(text, values)
    colors = _text_colors(v, vmin, vmax, cmap, strength)  # (N, 3)
    spans = []
    for ch, (r, g, b) in zip(text, colors):
        shown = "&nbsp;" if ch == " " else html.escape(ch)
        spans.append(f'<span style="background-color: rgb({r * 255:.0f}, {g * 255:.0f}, {b * 255:.0f})">{shown}</span>')
    head = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    body = "<wbr>".join(spans)  # lines may break between any two characters
    return (
        f'<div style="font-family: monospace; font-size: 13px; line-height: 1.5; color: black; '
        f'background: white; padding: 4px">{head}{body}</div>'
    )


def plot_colored_text(
    text: str,
    values: SignalLike,
    *,
    width: int = 56,
    vmin: float = -1.0,
    vmax: float = 1.0,
    cmap: str = "RdBu_r",
    strength: float = 0.8,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Matplotlib version of :func:`colored_text_html`: ``width`` characters per row (chapter 9).

    Characters are 10 pt, in cells 0.13 in wide: the default 56 per row make
    a figure 7.3 in wide, which the book shows at its drawn size.
    """
    v = _check_values(text, values)
    colors = _text_colors(v, vmin, vmax, cmap, strength)  # (N, 3)
    check_positive_int("width", width)
    rows = math.ceil(len(text) / width)
    grid = np.ones((rows * width, 3))  # white after the last character
    grid[: len(v)] = colors
    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.13, rows * 0.25 + 0.4))
    ax.imshow(grid.reshape(rows, width, 3), aspect="auto", interpolation="nearest")
    for t, ch in enumerate(text):
        ax.text(t % width, t // width, ch, ha="center", va="center", family="monospace", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, loc="left")
    return ax
