"""Scores of trained models: accuracies, perplexity, squared and absolute errors (chapters 2, 4, 5, 6 and 8).

- :func:`accuracy`: the fraction of samples whose largest logit is the
  label, for a model of sample-first ``X`` such as
  :class:`~lstm_companion.LastStateModel` (chapters 2, 4 and 5);
- :func:`padded_accuracy`: the same for a
  :class:`~lstm_companion.PaddedSequenceModel` on a padded batch and its
  lengths (chapter 5);
- :func:`mean_squared_error`: a regression model's single output against
  float targets, the measure of the adding problem (chapters 5 and 8);
- :func:`rmse` and :func:`mae`: the errors of a forecast, in the units of the
  series (chapter 5's sunspots);
- :func:`tagging_accuracy`: the fraction of correct tags of a
  :class:`~lstm_companion.Tagger`, overall or per position (chapter 6);
- :func:`paired_bootstrap`: the difference of a score between two systems
  evaluated on the same items, with a paired bootstrap interval (Koehn,
  2004): BLEU over sentences (chapter 7, :func:`~lstm_companion.paired_bootstrap_bleu`),
  forecast errors over origins (chapter 13);
- :func:`causal_perplexity`: the perplexity of a
  :class:`~lstm_companion.CharLSTM` when token ``t + 1`` is predicted from
  tokens ``1..t`` only, the honest measurement that exposes the BiLSTM's leak
  of the next character (chapter 6);
- :func:`window_perplexity`: the perplexity of a model that maps a window of
  tokens to next-token scores at every step (no state carried), over a whole
  corpus read in overlapping windows, so that every scored token but the
  first ``context`` is predicted from more than ``context`` tokens (chapter
  14's language models).

The functions that run a model evaluate it in eval mode and then restore its
training mode; a label the model has no output for is an error, not a silent
miss. Other scores live with what they measure: a language model's perplexity
on a corpus (:func:`~lstm_companion.evaluate_perplexity`) in
:mod:`lstm_companion.training.bptt`, the sentence classifier's
:func:`~lstm_companion.sentiment_accuracy` in
:mod:`lstm_companion.models.classifier`, BLEU in
:mod:`lstm_companion.measure.bleu`; the baselines are in
:mod:`lstm_companion.measure.baselines`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._checks import (
    check_finite_float,
    check_finite_tensor,
    check_index_range,
    check_positive_int,
    check_samples,
    check_tensor,
)
from ..data.batching import check_padded_samples
from ..models.lm import CharLSTM
from ..models.task_models import PaddedSequenceModel, Tagger
from ..runtime import model_device

__all__ = [
    "paired_bootstrap",
    "tagging_accuracy",
    "causal_perplexity",
    "window_perplexity",
    "rerun_check",
    "summarise_seeds",
    "rmse",
    "mae",
    "padded_accuracy",
    "accuracy",
    "mean_squared_error",
]


def _mean_rows(rows: np.ndarray) -> float:
    return float(rows.mean())


def paired_bootstrap(
    stats_a: object,
    stats_b: object,
    score: Callable[[np.ndarray], float] | None = None,
    *,
    num_samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``score(b) - score(a)`` over paired items, with a paired bootstrap interval (chapters 7 and 13).

    ``stats_a`` and ``stats_b`` hold one row of statistics per item (a
    sentence, a forecast origin), shape ``(n,)`` or ``(n, k)``, for the same
    items in the same order. ``score(rows)`` turns the rows of one system into
    its score (default: their mean, e.g. a mean error over origins; corpus
    BLEU sums the rows' counts first). The items are resampled with
    replacement ``num_samples`` times, the same items for both systems
    (paired). Returns ``(difference, low, high)``: the difference on all items
    and the central ``confidence`` interval of the resampled differences. An
    interval that excludes 0 says the items support the ordering.
    """
    check_positive_int("num_samples", num_samples)
    if isinstance(confidence, bool) or not isinstance(confidence, float) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be a float in (0, 1), got {confidence!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    arrays = []
    for name, value in (("stats_a", stats_a), ("stats_b", stats_b)):
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().double().numpy()
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be numbers, one row per item, got {type(value).__name__}") from err
        if array.ndim not in (1, 2) or array.shape[0] == 0:
            raise ValueError(f"{name} must have shape (n,) or (n, k) with n >= 1, got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite (it holds NaN or inf)")
        arrays.append(array)
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(f"stats_b must have the shape of stats_a, {a.shape} (paired items), got {b.shape}")
    if score is None:
        score = _mean_rows
    elif not callable(score):
        raise TypeError(f"score must be a function rows -> float or None, got {type(score).__name__}")
    n = a.shape[0]
    diff = score(b) - score(a)
    rng = np.random.default_rng(seed)
    diffs = np.empty(num_samples)
    for j in range(num_samples):
        index = rng.integers(0, n, n)
        diffs[j] = score(b[index]) - score(a[index])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha])
    return float(diff), float(low), float(high)


@torch.no_grad()
def tagging_accuracy(model: Tagger, X: torch.Tensor, Y: torch.Tensor, *, per_position: bool = False) -> torch.Tensor:
    """Fraction of correct tags: overall (a 0-dim tensor) or per position ``(num_steps,)`` (chapter 6)."""
    check_tensor("X", X, ndim=2, floating=False)
    check_tensor("Y", Y, shape=tuple(X.shape), floating=False)
    was_training = model.training
    model.eval()
    logits = model(X.to(model_device(model)))  # (num_samples, num_steps, num_tags)
    model.train(was_training)
    check_labels("Y", Y, logits, what="tags")
    pred: torch.Tensor = logits.argmax(dim=-1).cpu()  # (num_samples, num_steps)
    correct = (pred == Y).double()
    return correct.mean(dim=0) if per_position else correct.mean()


@torch.no_grad()
def causal_perplexity(model: CharLSTM, corpus: torch.Tensor, *, num_steps: int = 32, max_windows: int = 256) -> float:
    """Perplexity when token ``t + 1`` is predicted from tokens ``1..t`` only (chapter 6).

    The corpus is cut into windows of ``num_steps + 1`` tokens (at most
    ``max_windows``, from its start). For each ``t`` the model reads only
    the window's first ``t`` tokens and predicts the next one from its
    output at the last of them: what a language model must do when it
    generates. For a unidirectional model this equals the ordinary
    perplexity on those windows; a bidirectional one can no longer peek.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("num_steps", num_steps)
    check_positive_int("max_windows", max_windows)
    vocab_size = getattr(model, "vocab_size", None)
    if isinstance(vocab_size, int):
        check_index_range("corpus", corpus, vocab_size, what="token indices", of="the model's vocab_size")
    n = min(max_windows, (len(corpus) - 1) // (num_steps + 1))
    if n < 1:
        raise ValueError(f"corpus of length {len(corpus)} is too short for num_steps={num_steps}")
    windows = corpus[: n * (num_steps + 1)].reshape(n, num_steps + 1).to(model_device(model))  # (n, num_steps + 1)
    was_training = model.training
    model.eval()
    total = 0.0
    for t in range(1, num_steps + 1):
        logits, _ = model(windows[:, :t])  # (n, t, vocab_size): the model sees tokens 1..t only
        total += float(F.cross_entropy(logits[:, -1], windows[:, t], reduction="sum"))
    model.train(was_training)
    return math.exp(total / (n * num_steps))


@torch.no_grad()
def window_perplexity(
    model: nn.Module, corpus: torch.Tensor, *, window: int = 128, context: int = 64, batch_size: int = 256
) -> float:
    """Perplexity of every token of ``corpus`` but the first, read in windows that overlap by ``context`` (chapter 14).

    ``model(tokens)`` maps ``(B, T)`` token indices to ``(B, T, vocab)`` scores
    for the next token, and carries no state between calls (a
    :class:`~lstm_companion.TokenTagger`). Windows of ``window + 1`` tokens
    start every ``window - context`` tokens; the first scores all its
    predictions, every later one only its last ``window - context``, each of
    which is predicted from ``context + 1`` to ``window`` tokens (only the
    first ``context`` targets of the corpus see fewer: all that precede
    them). So every token from the second to the last is predicted exactly once, and
    models that keep state (an RNN) and models that cannot (a Transformer
    with a fixed window) are scored on the same targets with the same
    context.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("window", window)
    check_positive_int("batch_size", batch_size)
    if not isinstance(context, int) or not 0 <= context < window:
        raise ValueError(f"context must be an int in [0, window={window}), got {context!r}")
    if len(corpus) < 2:
        raise ValueError(f"corpus must hold at least 2 tokens, got {len(corpus)}")
    vocab_size = getattr(model, "vocab_size", None)
    if isinstance(vocab_size, int):
        check_index_range("corpus", corpus, vocab_size, what="token indices", of="the model's vocab_size")
    stride = window - context
    starts = list(range(0, max(len(corpus) - 1 - context, 1), stride))
    dev = model_device(model)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for b in range(0, len(starts), batch_size):
            chunk = starts[b : b + batch_size]
            ends = [min(s + window + 1, len(corpus)) for s in chunk]
            width = max(e - s for s, e in zip(chunk, ends, strict=True))
            X = torch.zeros(len(chunk), width, dtype=torch.long)
            keep = torch.zeros(len(chunk), width - 1, dtype=torch.bool)
            for r, (s, e) in enumerate(zip(chunk, ends, strict=True)):
                X[r, : e - s] = corpus[s:e]
                keep[r, (0 if s == 0 else context) : e - s - 1] = True
            scores = model(X[:, :-1].to(dev)).float().cpu()
            loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), X[:, 1:].reshape(-1), reduction="none")
            total += float(loss[keep.reshape(-1)].sum())
            count += int(keep.sum())
    finally:
        model.train(was_training)
    if count != len(corpus) - 1:  # every target exactly once
        raise AssertionError(f"window_perplexity scored {count} targets, expected {len(corpus) - 1}")
    return math.exp(total / count)


def summarise_seeds(scores: Sequence[float]) -> dict[str, float]:
    """``{"mean", "min", "max", "std"}`` of one score over seeds (the scripts' tables; ``std`` is 0 for one seed)."""
    values = [check_finite_float("scores", v) for v in scores]
    if not values:
        raise ValueError("scores must hold at least one seed's score")
    return {
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def rerun_check(live: float, recorded: float, seed_values: Sequence[float], *, exact: bool) -> dict[str, object]:
    """Compare a live rerun with its committed ``recorded`` value (chapters 11 and 14).

    With ``exact=True`` (the record's machine is this one:
    :func:`~lstm_companion.same_machine`) the rerun repeats the committed
    computation, so the rule is equality (to 1e-9, relative). Otherwise
    only rounding differs (the same initial weights, batches and masks), and
    a change of seed moves a result far more than rounding does: the rule is
    ``recorded`` plus or minus one standard deviation of ``seed_values`` (at
    least two seeds' results of the recording machine). Rounding-sized
    differences were measured in chapter 14's setting: initial weights
    perturbed by a relative 1e-7 moved the live validation perplexity by at
    most 0.12 of the seeds' standard deviation. Returns ``{"rule":
    "exact" or "band", "ok", "low", "high", "live", "recorded"}``; the
    chapter asserts ``ok`` and glues ``rule``.
    """
    check_finite_float("live", live)
    check_finite_float("recorded", recorded)
    values = [check_finite_float("seed_values", v) for v in seed_values]
    if len(values) < 2:
        raise ValueError(f"seed_values must hold at least 2 seeds' results, got {len(values)}")
    if exact:
        tol = 1e-9 * max(abs(recorded), 1.0)
        low, high, rule = recorded - tol, recorded + tol, "exact"
    else:
        width = statistics.stdev(values)
        low, high, rule = recorded - width, recorded + width, "band"
    return {"rule": rule, "ok": low <= live <= high, "low": low, "high": high, "live": live, "recorded": recorded}


def check_labels(name: str, y: torch.Tensor, logits: torch.Tensor, *, what: str = "class labels") -> None:
    """Raise unless ``y`` holds labels in ``[0, num_outputs)``, ``num_outputs`` being the size of ``logits``' last axis.

    A label the model has no output for can never be predicted: accuracy would
    quietly count it as wrong.
    """
    check_index_range(name, y, logits.shape[-1], what=what, of=f"the model has {logits.shape[-1]} outputs")


def _check_first_logits(model: nn.Module, was_training: bool, y: torch.Tensor, logits: torch.Tensor) -> None:
    """:func:`check_labels` on the first minibatch's logits, leaving ``model`` in its training mode if it raises."""
    try:
        check_labels("y", y, logits)
    except ValueError:
        model.train(was_training)
        raise


def _pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    check_tensor("pred", pred, floating=True)
    check_tensor("target", target, floating=True)
    check_finite_tensor("pred", pred)
    check_finite_tensor("target", target)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    return pred.double(), target.double()


def rmse(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Root mean squared error, in the units of the series (chapter 5)."""
    pred, target = _pair(pred, target)
    return float(((pred - target) ** 2).mean().sqrt())


def mae(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean absolute error, in the units of the series (chapter 5)."""
    pred, target = _pair(pred, target)
    return float((pred - target).abs().mean())


@torch.no_grad()
def padded_accuracy(
    model: PaddedSequenceModel,
    X: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 1024,
) -> float:
    """Fraction of padded sequences whose largest logit is the label ``y`` (chapter 5)."""
    lengths = check_padded_samples(X, lengths, y)
    check_positive_int("batch_size", batch_size)
    dev = model.output.weight.device
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, X.shape[0], batch_size):
        logits = model(X[i : i + batch_size].to(dev), lengths[i : i + batch_size])  # (batch_size, num_classes)
        if i == 0:
            _check_first_logits(model, was_training, y, logits)
        correct += int((logits.argmax(dim=1).cpu() == y[i : i + batch_size].cpu()).sum())
    model.train(was_training)
    return correct / X.shape[0]


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """Fraction of samples whose largest logit is the label ``y`` (chapter 2)."""
    check_samples(X, y)
    check_tensor("y", y, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    dev = model_device(model)
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, X.shape[0], batch_size):
        logits = model(X[i : i + batch_size].to(dev))  # (batch_size, num_classes)
        if i == 0:
            _check_first_logits(model, was_training, y, logits)
        correct += int((logits.argmax(dim=1).to(y.device) == y[i : i + batch_size]).sum())
    model.train(was_training)
    return correct / X.shape[0]


@torch.no_grad()
def mean_squared_error(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """Mean squared error of a regression model's single output against float targets ``y`` (chapter 5).

    The measure of the adding problem, where always predicting 1 scores
    :func:`adding_baseline_mse` = 1/6. ``model(X[i:j])`` must return
    ``(batch_size, 1)``, like :class:`LastStateModel` with ``num_outputs=1``.
    """
    check_samples(X, y)
    check_tensor("y", y, ndim=1, floating=True)
    check_finite_tensor("y", y)
    check_positive_int("batch_size", batch_size)
    dev = model_device(model)
    was_training = model.training
    model.eval()
    total = 0.0
    for i in range(0, X.shape[0], batch_size):
        out = model(X[i : i + batch_size].to(dev))  # (batch_size, 1)
        if out.dim() != 2 or out.shape[1] != 1:
            raise ValueError(f"model must return (batch_size, 1) for float targets y, got shape {tuple(out.shape)}")
        total += float(((out[:, 0].double().cpu() - y[i : i + batch_size].double()) ** 2).sum())
    model.train(was_training)
    return total / X.shape[0]
