"""Supervised training on the one loop: sequence tasks, padded batches, taggers, sentence classifiers.

Each function here says what a minibatch is and what its loss is, and lets
the one training loop (:func:`~lstm_companion.fit`) do the rest:

- :func:`train_on_task`: sample-first sequences with one label or target
  each, cross-entropy for integer labels and mean squared error for float
  targets (chapters 2, 4 and 5, and the adding problem of chapter 8's
  ablation); :func:`train_padded`: the same for a padded batch and its
  lengths (chapter 5);
- :func:`train_tagger`: a tag at every position (chapter 6);
- :func:`train_classifier`: the sentence classifier, with early stopping on
  validation accuracy (chapters 6 and 7).

The encoder-decoders' training (chapter 7) is in
:mod:`lstm_companion.training.seq2seq`. All of them take one
:class:`~lstm_companion.FitConfig`.

Two ways to draw minibatches serve them all, both from the config's
``batch_generator()`` (its ``seed``): a fixed budget of ``num_updates``
minibatches from a permutation reshuffled after each pass
(:func:`update_batches`: the sequence tasks and the tagger), and whole epochs
over a permutation drawn anew each epoch (:func:`epoch_batches`: the
sentence classifier, seq2seq and the forecasters).

The models are in :mod:`lstm_companion.models` (``task_models``, ``classifier``,
``seq2seq``), their scores in :mod:`lstm_companion.measure`, and chapter 6's
cached sentiment recipe in :mod:`lstm_companion.recipes.sentiment`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_samples, check_tensor
from ..data.batching import check_padded_samples
from ..data.polarity import PolaritySplit, check_polarity_split
from ..models.classifier import SentimentClassifier, sentiment_accuracy
from ..models.task_models import PaddedSequenceModel, Tagger
from ..runtime import get_device
from .config import FitConfig, check_fit_config
from .loop import History, fit

__all__ = [
    "update_batches",
    "epoch_batches",
    "train_on_task",
    "train_padded",
    "train_tagger",
    "train_classifier",
]


def update_batches(
    num_samples: int, batch_size: int, num_updates: int, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Indices of ``num_updates`` minibatches drawn without replacement, reshuffled after each full pass."""
    per_pass = num_samples // batch_size
    order = torch.randperm(num_samples, generator=generator)
    for update in range(num_updates):
        i = update % per_pass
        if i == 0 and update > 0:
            order = torch.randperm(num_samples, generator=generator)
        yield order[i * batch_size : (i + 1) * batch_size]


def epoch_batches(num_samples: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Indices of one epoch's minibatches from a fresh permutation (the last one may be smaller)."""
    order = torch.randperm(num_samples, generator=generator)
    for i in range(0, num_samples, batch_size):
        yield order[i : i + batch_size]


def _check_batch_size(batch_size: int, num_samples: int) -> None:
    if batch_size > num_samples:
        raise ValueError(f"batch_size must be <= the number of samples {num_samples}, got {batch_size}")


def _check_config(config: object, num_samples: int, *, budget: bool) -> FitConfig:
    """``config`` checked, its batch size against ``num_samples``; ``budget``: it must set ``num_updates``."""
    config = check_fit_config(config)
    if budget and config.num_updates is None:
        raise ValueError("config.num_updates must be set: this task trains for a budget of updates, not epochs")
    _check_batch_size(config.batch_size, num_samples)
    return config


def _fit_updates(
    model: nn.Module,
    num_samples: int,
    config: FitConfig,
    loss_fn: Callable[[nn.Module, torch.Tensor, None], tuple[torch.Tensor, int, None]],
    device: torch.device,
    progress: bool,
) -> History:
    """:func:`fit` on ``config.num_updates`` minibatches from :func:`update_batches` (one "epoch"), no validation."""
    assert config.num_updates is not None
    num_updates, gen = config.num_updates, config.batch_generator()
    batches = lambda epoch: update_batches(num_samples, config.batch_size, num_updates, gen)
    return fit(model, batches, loss_fn, replace(config, num_epochs=1), device=device, progress=progress)


# ---------------------------------------------------------------- fixed-length and padded sequences


def _task_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y.is_floating_point():
        if out.shape[1] != 1:
            raise ValueError(f"floating targets y need a model with num_outputs=1, got {out.shape[1]} outputs")
        return F.mse_loss(out[:, 0], y.to(out.dtype))
    return F.cross_entropy(out, y)


def train_on_task(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    config: FitConfig,
    *,
    lengths: torch.Tensor | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on samples ``(X, y)`` for ``config.num_updates`` minibatches (chapter 2).

    With ``lengths`` (one integer per sample, chapter 5's padded batches) the
    model is called as ``model(X_batch, lengths_batch)``, the lengths staying
    on the CPU as ``pack_padded_sequence`` wants them.

    Integer labels ``y`` are fitted with cross-entropy, floating targets with
    mean squared error (on the model's single output). Minibatches come from
    :func:`update_batches`: the budget is ``config.num_updates`` (which must
    be set), one "epoch" without validation, so ``num_epochs``, ``patience``
    and ``restore_best`` play no part. Returns a :class:`~lstm_companion.History` whose
    ``step_loss`` and ``step_grad_norm`` (before clipping) hold one value per
    update; the model is left on ``device`` (default: the fastest one present).
    """
    check_samples(X, y)
    if lengths is not None:
        check_tensor("lengths", lengths, shape=(X.shape[0],), floating=False)
    _check_config(config, X.shape[0], budget=True)
    dev = get_device(device)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        xb, yb = X[idx].to(dev), y[idx].to(dev)
        out = model(xb) if lengths is None else model(xb, lengths[idx])
        return _task_loss(out, yb), len(idx), None

    return _fit_updates(model, X.shape[0], config, loss_fn, dev, progress)


def train_padded(
    model: PaddedSequenceModel,
    X: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a :class:`PaddedSequenceModel` classifier with cross-entropy (chapter 5).

    Like :func:`~lstm_companion.train_on_task`, but every minibatch
    carries its sequences' ``lengths``: ``X`` is a batch-first padded batch
    ``(num_samples, num_steps, num_inputs)``, ``lengths`` ``(num_samples,)``
    and ``y`` integer labels ``(num_samples,)``.
    """
    lengths = check_padded_samples(X, lengths, y)
    return train_on_task(model, X, y, config, lengths=lengths, device=device, progress=progress)


# ---------------------------------------------------------------- tagging (chapter 6)


def train_tagger(
    model: Tagger,
    X: torch.Tensor,
    Y: torch.Tensor,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a :class:`Tagger` with cross-entropy over every position (chapter 6); ``History.step_loss`` per update."""
    check_tensor("X", X, ndim=2, floating=False)
    check_tensor("Y", Y, shape=tuple(X.shape), floating=False)
    _check_config(config, X.shape[0], budget=True)
    dev = get_device(device)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        logits = model(X[idx].to(dev))  # (batch_size, num_steps, num_tags)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[idx].to(dev).reshape(-1)), Y[idx].numel(), None

    return _fit_updates(model, X.shape[0], config, loss_fn, dev, progress)


# ---------------------------------------------------------------- sentence classification (chapters 6 and 7)


def train_classifier(
    model: SentimentClassifier,
    train: PolaritySplit,
    val: PolaritySplit,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with cross-entropy; keep the best validation epoch (chapter 6's recipe: AdamW).

    Minibatches come from a permutation drawn from ``config.seed`` (anew each
    epoch); the dropout masks are reseeded only with ``config.dropout_seed``
    (the recipe sets it to the run's seed). After each epoch the validation
    accuracy is measured (``History.val_acc``); with ``config.patience`` set,
    training stops after that many epochs without a new best, and with
    ``config.restore_best`` the model ends with its best epoch's weights, on
    ``device``.
    """
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    check_polarity_split("train", train)
    check_polarity_split("val", val)
    config = check_fit_config(config)
    dev = get_device(device)
    gen = config.batch_generator()

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        lengths = train.lengths[idx]
        tokens = train.tokens[idx, : int(lengths.max())].to(dev)  # (batch_size, longest in the batch)
        return F.cross_entropy(model(tokens, lengths), train.labels[idx].to(dev)), len(idx), None

    return fit(
        model,
        lambda epoch: epoch_batches(train.tokens.shape[0], config.batch_size, gen),
        loss_fn,
        config,
        validate=lambda model: sentiment_accuracy(model, val),  # type: ignore[arg-type]
        metric="accuracy",
        higher_is_better=True,
        device=dev,
        progress=progress,
    )
