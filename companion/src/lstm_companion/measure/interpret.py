"""What the cells of a trained LSTM track, after Karpathy, Johnson and Fei-Fei (2015) (chapter 9).

Chapter 9 runs the character model of chapter 4 over held-out text, records
every unit's cell ``C_t``, hidden state ``H_t`` and gates at every step
(:func:`cell_activations`), and asks which units follow an interpretable
quantity of the text read so far. The pieces:

- *signals*: one number per character of a text, e.g. :func:`position_in_word`
  (1, 2, 3, ... along a word, 0 on spaces) or :func:`is_vowel`; each returns a
  float tensor of shape ``(len(text),)`` aligned with the activations (the
  value at step ``t`` describes the character the model has just read);
- :func:`correlate_units`: the Pearson correlation of every unit with a
  signal; :func:`best_units`: the units with the largest ones;
- :func:`shuffled_control`: the same *maximum over units* for signals that no
  longer line up with the text (circularly shifted, or with the words put in
  another order), so that a best correlation is compared with what the
  maximum over hundreds of units reaches by chance;
- :func:`char_only_ceiling`: the largest correlation any function of the
  current character alone can reach; a unit above it must use what it read
  before;
- :func:`colored_text_html` and :func:`plot_colored_text`: a unit's activation
  as the background colour of each character, as in the paper's figures;
- :func:`position_classes` and :func:`gate_statistics`: gate values grouped by
  where the character sits in its word.

The model comes from :func:`~lstm_companion.char_lm`
(:mod:`lstm_companion.recipes.char_lm`); the gates are read with
:meth:`~lstm_companion.LSTMScratch.gate_trace`
(:mod:`lstm_companion.models.lstm`).
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from torch import nn
from torch.nn import functional as F

from .._checks import (
    check_finite_tensor,
    check_nonneg_float,
    check_positive_float,
    check_positive_int,
    check_str,
    check_tensor,
)
from ..models.lm import RNNLM
from ..models.lstm import LSTMScratch
from ..runtime import get_device

__all__ = [
    "TRACE_KEYS",
    "POSITION_CLASSES",
    "ArrayLike",
    "word_spans",
    "position_in_word",
    "steps_to_word_end",
    "char_indicator",
    "is_vowel",
    "is_word_start",
    "in_word",
    "position_classes",
    "cell_activations",
    "correlate_units",
    "shuffled_control",
    "best_units",
    "char_only_ceiling",
    "colored_text_html",
    "plot_colored_text",
    "gate_statistics",
]


#: What :func:`cell_activations` returns: the input, forget and output gates, the candidate, the cell, the hidden state.
TRACE_KEYS = ("i", "f", "o", "c", "C", "H")


#: The classes of :func:`position_classes`: a space, the first letter of a word, a later letter, anything else.
POSITION_CLASSES = ("space", "first letter", "later letter", "other")


ArrayLike = torch.Tensor | np.ndarray | Sequence[float]


def _check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name} must not be empty")
    return text


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word (a maximal run of letters, ``str.isalpha``), ``text[start:end]`` (chapter 9)."""
    _check_text(text)
    spans, start = [], None
    for t, ch in enumerate(text):
        if ch.isalpha():
            if start is None:
                start = t
        elif start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def position_in_word(text: str) -> torch.Tensor:
    """1, 2, 3, ... along each word, 0 on every other character; shape ``(len(text),)`` (chapter 9).

    ``position_in_word("the cat")`` is ``[1, 2, 3, 0, 1, 2, 3]``: what a
    reader who counts letters since the last space knows after each character.
    """
    out = torch.zeros(len(_check_text(text)))
    for start, end in word_spans(text):
        out[start:end] = torch.arange(1, end - start + 1, dtype=out.dtype)
    return out


def steps_to_word_end(text: str) -> torch.Tensor:
    """How many more characters until the word ends, ``(len(text),)`` (chapter 9).

    At letter ``k`` (1-based) of a word of ``L`` letters: ``L - k + 1``, the
    number of steps until a non-letter is read; 0 on non-letters.
    ``steps_to_word_end("the cat")`` is ``[3, 2, 1, 0, 3, 2, 1]``. Unlike
    :func:`position_in_word` this depends on characters not read yet: a model
    can only *predict* it.
    """
    out = torch.zeros(len(_check_text(text)))
    for start, end in word_spans(text):
        out[start:end] = torch.arange(end - start, 0, -1, dtype=out.dtype)
    return out


def char_indicator(text: str, chars: str) -> torch.Tensor:
    """1.0 where the character is one of ``chars``, else 0.0; shape ``(len(text),)`` (chapter 9)."""
    _check_text(text)
    _check_text(chars, "chars")
    wanted = set(chars)
    return torch.tensor([float(ch in wanted) for ch in text])


def is_vowel(text: str) -> torch.Tensor:
    """1.0 on the vowels ``a e i o u`` (either case), else 0.0; shape ``(len(text),)`` (chapter 9)."""
    return char_indicator(text, "aeiouAEIOU")


def is_word_start(text: str) -> torch.Tensor:
    """1.0 on the first letter of every word, else 0.0; shape ``(len(text),)`` (chapter 9)."""
    out = torch.zeros(len(_check_text(text)))
    for start, _ in word_spans(text):
        out[start] = 1.0
    return out


def in_word(text: str, word: str) -> torch.Tensor:
    """1.0 on every letter of each whole-word occurrence of ``word``, else 0.0 (chapter 9).

    ``in_word("the other the", "the")`` marks the first and the last "the",
    not the "the" inside "other". Shape ``(len(text),)``.
    """
    _check_text(text)
    if not isinstance(word, str) or not word.isalpha():
        raise ValueError(f"word must be a non-empty string of letters, got {word!r}")
    out = torch.zeros(len(text))
    for start, end in word_spans(text):
        if text[start:end] == word:
            out[start:end] = 1.0
    return out


def position_classes(text: str) -> list[str]:
    """The class of every character in :data:`POSITION_CLASSES` (chapter 9).

    ``"space"`` for ``" "``, ``"first letter"`` for a word's first letter,
    ``"later letter"`` for its other letters and ``"other"`` for anything
    else (nothing, in the preprocessed *Time Machine*).
    """
    _check_text(text)
    starts = is_word_start(text)
    out = []
    for t, ch in enumerate(text):
        if ch == " ":
            out.append("space")
        elif ch.isalpha():
            out.append("first letter" if starts[t] else "later letter")
        else:
            out.append("other")
    return out


@torch.no_grad()
def cell_activations(
    model: RNNLM | LSTMScratch,
    indices: torch.Tensor,
    *,
    num_streams: int = 1,
    warmup: int = 0,
    layer: int = 0,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """Run an LSTM language model over a long stretch of tokens and record every unit at every step (chapter 9).

    ``model`` is an :class:`~lstm_companion.RNNLM` whose core is an
    :class:`~lstm_companion.LSTMScratch` (or an ``nn.LSTM``, converted
    with ``LSTMScratch.from_torch``), or the core itself; its layer ``layer``
    is read with :meth:`~lstm_companion.LSTMScratch.gate_trace`.
    ``indices`` (shape ``(N,)``) are the tokens, read from a zero state. The
    model runs on ``device`` (default: where its parameters are; a model
    elsewhere is copied there, never moved).

    To go faster, ``num_streams > 1`` cuts the stretch into that many equal
    consecutive pieces, run side by side as one minibatch. Each piece after
    the first starts reading ``warmup`` tokens before its first recorded
    step, so that its state has seen context; with ``warmup >= N`` the result
    equals ``num_streams=1`` up to float rounding.

    Returns ``{"i", "f", "o", "c", "C", "H"}`` (:data:`TRACE_KEYS`), each of
    shape ``(N, num_hiddens)``, float32 on the CPU: row ``t`` is the state
    after reading ``indices[t]``.
    """
    if isinstance(model, RNNLM):
        core, vocab_size = model.core, model.vocab_size
    elif isinstance(model, (LSTMScratch, nn.LSTM)):
        core, vocab_size = model, None
    else:
        raise TypeError(f"model must be an RNNLM, an LSTMScratch or an nn.LSTM, got {type(model).__name__}")
    if isinstance(core, nn.LSTM):
        core = LSTMScratch.from_torch(core)
    if not isinstance(core, LSTMScratch):
        raise TypeError(f"model's core must be an LSTMScratch or an nn.LSTM, got {type(core).__name__}")
    vocab_size = vocab_size or core.num_inputs
    check_tensor("indices", indices, ndim=1, floating=False)
    if indices.min() < 0 or indices.max() >= vocab_size:
        raise ValueError(
            f"indices must hold token indices in [0, {vocab_size}), got values in "
            f"[{int(indices.min())}, {int(indices.max())}]"
        )
    check_positive_int("num_streams", num_streams)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    n = len(indices)
    if num_streams > n:
        raise ValueError(f"num_streams must be at most len(indices) = {n}, got {num_streams}")
    weight = core.cell(0).W_hi
    dev = weight.device if device is None else get_device(device)
    if dev.type != weight.device.type:
        core = copy.deepcopy(core).to(dev)  # leave the caller's model where it is
    length = math.ceil(n / num_streams)  # steps recorded per stream
    starts = [max(0, s * length - warmup) for s in range(num_streams)]
    offsets = [s * length - start for s, start in enumerate(starts)]  # steps read before recording
    num_steps = length + max(offsets)
    padded = torch.cat([indices.cpu(), torch.zeros(num_steps + n, dtype=indices.dtype)])  # the tail is never kept
    tokens = torch.stack([padded[start : start + num_steps] for start in starts], dim=1)  # (num_steps, num_streams)
    X = F.one_hot(tokens, vocab_size).to(device=dev, dtype=weight.dtype)  # (num_steps, num_streams, vocab_size)
    trace = core.gate_trace(X, layer=layer)  # each (num_steps, num_streams, num_hiddens)
    steps = torch.tensor(offsets)[:, None] + torch.arange(length)[None, :]  # (num_streams, length)
    streams = torch.arange(num_streams)[:, None].expand_as(steps)
    out = {}
    for key in TRACE_KEYS:
        recorded = trace[key].cpu()[steps, streams]  # (num_streams, length, num_hiddens)
        out[key] = recorded.reshape(num_streams * length, -1)[:n].float().contiguous()  # (N, num_hiddens)
    return out


def _as_signal(
    signal: object, n: int | None = None, name: str = "signal", of: str = "the activations' rows"
) -> torch.Tensor:
    if isinstance(signal, np.ndarray):
        signal = torch.from_numpy(signal)
    elif isinstance(signal, (list, tuple)):
        signal = torch.tensor(signal, dtype=torch.float64)
    if not isinstance(signal, torch.Tensor):
        raise TypeError(f"{name} must be a tensor, a numpy array or a list of numbers, got {type(signal).__name__}")
    check_tensor(name, signal, ndim=1)
    if n is not None and len(signal) != n:
        raise ValueError(f"{name} must have one value per step: length {n} ({of}), got {len(signal)}")
    signal = signal.double()
    if not torch.isfinite(signal).all():
        raise ValueError(f"{name} must be finite everywhere")
    return signal


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


def correlate_units(activations: torch.Tensor, signal: ArrayLike, *, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Pearson correlation of every unit with ``signal`` (chapter 9).

    ``activations``: ``(N, num_units)``, one row per step (e.g. a key of
    :func:`cell_activations`, or several side by side); ``signal``: ``(N,)``;
    ``mask``: optional bool ``(N,)``, the steps to use (e.g. letters only).
    Returns ``(num_units,)`` float64 values in ``[-1, 1]``; a unit that never
    changes gets 0. A constant signal is an error: it correlates with nothing.
    """
    acts = _as_activations(activations).double()
    s = _as_signal(signal, acts.shape[0])
    m = _as_mask(mask, acts.shape[0])
    if m is not None:
        acts, s = acts[m], s[m]
    _check_not_constant(s)
    return _correlations(acts, s[None, :])[0]


def _shuffle_words(signal: torch.Tensor, text: str, gen: torch.Generator) -> torch.Tensor:
    """The signal cut into pieces (leading non-letters, then each word with the non-letters after it), reordered."""
    spans = word_spans(text)
    cuts = sorted({0, *(start for start, _ in spans), len(text)})
    pieces = [signal[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    order = torch.randperm(len(pieces), generator=gen).tolist()
    return torch.cat([pieces[k] for k in order])


def shuffled_control(
    activations: torch.Tensor,
    signal: ArrayLike,
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
    s = _as_signal(signal, acts.shape[0])
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
        _check_text(text)
        if len(text) != full_length:
            raise ValueError(f"text must have one character per step: length {full_length}, got {len(text)}")
        controls = [_shuffle_words(s, text, gen) for _ in range(num_controls)]
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


def char_only_ceiling(text: str, signal: ArrayLike, *, mask: torch.Tensor | None = None) -> float:
    """The largest |correlation| with ``signal`` that any function of the current character can reach (chapter 9).

    This is the correlation ratio ``sqrt(Var(E[s | char]) / Var(s))``: the
    correlation of the signal with its mean given the character just read,
    which no other function of that character beats. A unit that correlates
    more strongly must carry information about earlier characters. 1.0 when
    the signal is itself a function of the current character (e.g.
    :func:`is_vowel`). ``mask`` (bool ``(len(text),)``) keeps only some
    steps, as in :func:`correlate_units`.
    """
    _check_text(text)
    s = _as_signal(signal, len(text), of="the text's characters")
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


def _check_values(text: str, values: ArrayLike) -> np.ndarray:
    _check_text(text)
    v = _as_signal(values, len(text), name="values", of="the text's characters").numpy()
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
    values: ArrayLike,
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
    values: ArrayLike,
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
