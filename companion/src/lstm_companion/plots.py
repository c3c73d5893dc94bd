"""The chapters' figures (matplotlib); each returns the ``Axes`` it drew on (chapters 1-4 and 7).

- :func:`plot_history`: training and held-out perplexity per epoch, best epoch
  marked (chapters 1 and 4);
- :func:`plot_perplexities`: held-out perplexity per model, as bars (chapters 1
  and 4);
- :func:`plot_step_series`: per-step curves such as the loss or the gradient
  norm (chapters 1-3);
- :func:`plot_accuracy_vs_distance`: held-out accuracy against the distance to
  remember, one dot per seed (chapters 2 and 4);
- :func:`plot_attention`: one sentence pair's attention weights as a heatmap
  (chapter 7).

A figure tied to one measurement lives with it:
:func:`~lstm_companion.plot_colored_text` in
:mod:`lstm_companion.measure.interpret` (chapter 9) and
:func:`~lstm_companion.plot_speed_ladder` in
:mod:`lstm_companion.measure.benchmark` (chapter 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from ._checks import check_positive_float, check_probability, check_tensor
from .training.loop import History

__all__ = ["plot_history", "plot_perplexities", "plot_step_series", "plot_accuracy_vs_distance", "plot_attention"]


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
