"""What the cells of a trained LSTM track, after Karpathy, Johnson and Fei-Fei (2015): the statistics (chapter 9).

Chapter 9 records every unit of the character model of chapter 4 over
held-out text (:func:`~lstm_companion.cell_activations`) and asks which
units follow an interpretable quantity of the text read so far, a *signal*
(:func:`~lstm_companion.position_in_word`, ...). This module holds the
statistics that answer:

- :func:`correlate_units`: the Pearson correlation of every unit with a
  signal; :func:`best_units`: the units with the largest ones;
- :func:`shuffled_control`: the same *maximum over units* for signals that no
  longer line up with the text (circularly shifted, or with the words put in
  another order by :func:`shuffle_words`), so that a best correlation is
  compared with what the maximum over hundreds of units reaches by chance;
- :func:`char_only_ceiling`: the largest correlation any function of the
  current character alone can reach; a unit above it must use what it read
  before;
- :func:`gate_statistics`: gate values grouped by where the character sits in
  its word (:func:`~lstm_companion.position_classes`).

Neighbours: the signals are in :mod:`lstm_companion.measure.signals`, the
recording of the activations in :mod:`lstm_companion.measure.activations`,
and a unit's activation drawn as the background colour of each character
(:func:`~lstm_companion.colored_text_html`,
:func:`~lstm_companion.plot_colored_text`) in :mod:`lstm_companion.plots`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from .._checks import (
    check_finite_tensor,
    check_nonneg_float,
    check_positive_int,
    check_signal,
    check_tensor,
    check_text,
)
from .signals import SignalLike, word_spans

__all__ = [
    "correlate_units",
    "shuffle_words",
    "shuffled_control",
    "best_units",
    "char_only_ceiling",
    "gate_statistics",
]


def _as_activations(activations: object) -> torch.Tensor:
    if isinstance(activations, np.ndarray):
        activations = torch.from_numpy(activations)
    activations = check_tensor("activations", activations, ndim=2, floating=True)
    check_finite_tensor("activations", activations)
    return activations.cpu()


def _correlations(acts: torch.Tensor, signals: torch.Tensor) -> torch.Tensor:
    """Pearson correlations, ``(num_signals, num_units)``, of centred float64 inputs; 0 for constant units."""
    a = acts - acts.mean(0)
    s = signals - signals.mean(1, keepdim=True)  # (num_signals, N)
    a_norm: torch.Tensor = a.norm(dim=0)  # (num_units,); Tensor.norm is not annotated in torch
    s_norm: torch.Tensor = s.norm(dim=1, keepdim=True)  # (num_signals, 1)
    r = (s @ a) / (s_norm * a_norm.clamp_min(1e-300))
    r[:, a_norm <= 1e-12 * max(1.0, float(a_norm.max()))] = 0.0
    return r.clamp(-1.0, 1.0)


def _as_mask(mask: object, n: int) -> torch.Tensor | None:
    if mask is None:
        return None
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    mask = check_tensor("mask", mask, shape=(n,), dtype=torch.bool)
    if int(mask.sum()) < 3:
        raise ValueError(f"mask must keep at least 3 steps, got {int(mask.sum())}")
    return mask


def _check_not_constant(s: torch.Tensor) -> None:
    if float(s.std()) == 0.0:
        raise ValueError("signal is constant (on the steps kept): its correlation with any unit is undefined")


def correlate_units(activations: torch.Tensor, signal: SignalLike, *, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Pearson correlation of every unit with ``signal`` (chapter 9).

    ``activations``: ``(N, num_units)``, one row per step (e.g. a key of
    :func:`cell_activations`, or several side by side); ``signal``: ``(N,)``;
    ``mask``: optional bool ``(N,)``, the steps to use (e.g. letters only).
    Returns ``(num_units,)`` float64 values in ``[-1, 1]``; a unit that never
    changes gets 0. A constant signal is an error: it correlates with nothing.
    """
    acts = _as_activations(activations).double()
    s = check_signal("signal", signal, acts.shape[0])
    m = _as_mask(mask, acts.shape[0])
    if m is not None:
        acts, s = acts[m], s[m]
    _check_not_constant(s)
    return _correlations(acts, s[None, :])[0]


def shuffle_words(signal: SignalLike, text: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """``signal`` with the words of ``text`` in a random order: the control of ``mode="words"`` (chapter 9).

    ``signal`` has one value per character of ``text``. It is cut into
    pieces (the non-letters before the first word, then each word with the
    non-letters after it) and the pieces are put in an order drawn from
    ``generator`` (default: torch's global generator). Returns the same
    values, permuted, as float64 ``(len(text),)``.
    """
    check_text("text", text)
    s = check_signal("signal", signal, len(text), of="the text's characters")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    spans = word_spans(text)
    cuts = sorted({0, *(start for start, _ in spans), len(text)})
    pieces = [s[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    order = torch.randperm(len(pieces), generator=generator).tolist()
    return torch.cat([pieces[k] for k in order])


def shuffled_control(
    activations: torch.Tensor,
    signal: SignalLike,
    *,
    mode: str = "shift",
    text: str | None = None,
    mask: torch.Tensor | None = None,
    num_controls: int = 20,
    min_shift: int = 100,
    seed: int = 0,
) -> torch.Tensor:
    """The best |correlation| over all units with signals that do not line up with the text (chapter 9).

    Each control moves the signal against the activations and records
    ``max_u |r_u|``, the same maximum over the same units as the real best
    unit faces. ``mode="shift"`` rolls the signal circularly by a random
    amount in ``[min_shift, N - min_shift]``, which keeps its own rhythm
    (e.g. the period of word lengths); ``mode="words"`` (needs ``text``,
    ``len(text) == N``) cuts it into words, each with the spaces after it,
    and puts them in a random order. With a ``mask`` (bool ``(N,)``), only
    the steps kept count, as in :func:`correlate_units`: the shift rolls the
    kept part of the signal, the word order is shuffled on the whole text.
    Returns ``(num_controls,)`` float64.
    """
    acts = _as_activations(activations).double()
    s = check_signal("signal", signal, acts.shape[0])
    m = _as_mask(mask, acts.shape[0])
    full_length = len(s)
    if m is not None:
        acts = acts[m]
    n = acts.shape[0]
    _check_not_constant(s if m is None else s[m])
    check_positive_int("num_controls", num_controls)
    if mode not in ("shift", "words"):
        raise ValueError(f"mode must be 'shift' or 'words', got {mode!r}")
    gen = torch.Generator().manual_seed(seed)
    controls = []
    if mode == "shift":
        check_positive_int("min_shift", min_shift)
        if not 2 * min_shift < n:
            raise ValueError(f"min_shift must be less than half the number of steps ({n}), got {min_shift}")
        shifts = torch.randint(min_shift, n - min_shift + 1, (num_controls,), generator=gen)
        kept = s if m is None else s[m]
        controls = [torch.roll(kept, int(k)) for k in shifts]
    else:
        if text is None:
            raise ValueError("mode='words' needs the text the activations were computed on (text=...)")
        check_text("text", text)
        if len(text) != full_length:
            raise ValueError(f"text must have one character per step: length {full_length}, got {len(text)}")
        controls = [shuffle_words(s, text, gen) for _ in range(num_controls)]
        if m is not None:
            controls = [c[m] for c in controls]
    r = _correlations(acts, torch.stack(controls))  # (num_controls, num_units)
    return r.abs().max(dim=1).values


def best_units(correlations: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` units with the largest |correlation|, as ``(unit, r)`` pairs, best first (chapter 9)."""
    check_tensor("correlations", correlations, ndim=1, floating=True)
    check_finite_tensor("correlations", correlations)
    check_positive_int("k", k)
    if k > len(correlations):
        raise ValueError(f"k must be at most the number of units ({len(correlations)}), got {k}")
    order = torch.argsort(correlations.abs(), descending=True, stable=True)[:k]
    return [(int(u), float(correlations[u])) for u in order]


def char_only_ceiling(text: str, signal: SignalLike, *, mask: torch.Tensor | None = None) -> float:
    """The largest |correlation| with ``signal`` that any function of the current character can reach (chapter 9).

    This is the correlation ratio ``sqrt(Var(E[s | char]) / Var(s))``: the
    correlation of the signal with its mean given the character just read,
    which no other function of that character beats. A unit that correlates
    more strongly must carry information about earlier characters. 1.0 when
    the signal is itself a function of the current character (e.g.
    :func:`is_vowel`). ``mask`` (bool ``(len(text),)``) keeps only some
    steps, as in :func:`correlate_units`.
    """
    check_text("text", text)
    s = check_signal("signal", signal, len(text), of="the text's characters")
    m = _as_mask(mask, len(text))
    if m is not None:
        s = s[m]
        text = "".join(ch for ch, keep in zip(text, m.tolist()) if keep)
    _check_not_constant(s)
    var = float(s.var(unbiased=False))
    chars = sorted(set(text))
    code_of = {ch: k for k, ch in enumerate(chars)}
    codes = torch.tensor([code_of[ch] for ch in text])  # (N,)
    sums = torch.zeros(len(chars), dtype=torch.float64).index_add_(0, codes, s)
    counts = torch.bincount(codes, minlength=len(chars)).double()
    cond_mean = (sums / counts)[codes]  # (N,)  E[s | current character]
    return float(min(1.0, math.sqrt(float(cond_mean.var(unbiased=False)) / var)))


def gate_statistics(
    gate: torch.Tensor,
    classes: Sequence[str],
    *,
    low: float = 0.1,
    high: float = 0.9,
) -> dict[str, dict[str, float]]:
    """Summaries of one gate's values by class of step (e.g. :func:`position_classes`) (chapter 9).

    ``gate``: ``(N, num_hiddens)`` values in ``[0, 1]`` (``"i"``, ``"f"`` or
    ``"o"`` of :func:`cell_activations`); ``classes``: one label per step.
    For each label present, in order of first appearance: ``"steps"``, the
    number of steps; ``"mean"``, the mean gate value over those steps and all
    units; ``"frac_low"`` and ``"frac_high"``, the fraction of (step, unit)
    values below ``low`` and above ``high`` (a forget gate below 0.1 erases
    over 90 % of that unit's cell in one step).
    """
    check_tensor("gate", gate, ndim=2, floating=True)
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be a sequence of labels (one per step), got {type(classes).__name__}")
    if len(classes) != gate.shape[0]:
        raise ValueError(f"classes must have one label per step: length {gate.shape[0]}, got {len(classes)}")
    low, high = check_nonneg_float("low", low), check_nonneg_float("high", high)
    if not low < high <= 1.0:
        raise ValueError(f"low and high must satisfy 0 <= low < high <= 1, got low={low}, high={high}")
    check_finite_tensor("gate", gate)
    if float(gate.min()) < 0.0 or float(gate.max()) > 1.0:
        raise ValueError(f"gate must hold values in [0, 1] (a sigmoid), got [{float(gate.min())}, {float(gate.max())}]")
    labels = list(dict.fromkeys(classes))
    out: dict[str, dict[str, float]] = {}
    for label in labels:
        rows = torch.tensor([c == label for c in classes])
        g = gate[rows].double()
        out[label] = {
            "steps": float(rows.sum()),
            "mean": float(g.mean()),
            "frac_low": float((g < low).double().mean()),
            "frac_high": float((g > high).double().mean()),
        }
    return out
