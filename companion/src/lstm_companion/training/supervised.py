"""Supervised training on the one loop: sequence tasks, padded batches, taggers, sentence classifiers.

Each function here says what a minibatch is and what its loss is, and lets
the one training loop (:func:`~lstm_companion.fit`) do the rest:

- :class:`TaskConfig` and :func:`train_on_task`: sample-first sequences with
  one label or target each, cross-entropy for integer labels and mean squared
  error for float targets (chapters 2, 4 and 5, and the adding problem of
  chapter 8's ablation); :func:`train_padded`: the same for a padded batch
  and its lengths (chapter 5);
- :class:`TaggerConfig` and :func:`train_tagger`: a tag at every position
  (chapter 6);
- :class:`SentimentConfig` and :func:`train_classifier`: the sentence
  classifier, with AdamW and early stopping on validation accuracy (chapters
  6 and 7).

The encoder-decoders' training (chapter 7) is in
:mod:`lstm_companion.training.seq2seq`.

Two ways to draw minibatches serve them all: a fixed budget of
``num_updates`` minibatches from a seeded permutation reshuffled after each
pass (:func:`update_batches`: the sequence tasks and the tagger), and whole
epochs over a permutation drawn anew each epoch (:func:`epoch_batches`: the
sentence classifier, and seq2seq). Every config has ``check()``,
``to_dict()`` and ``fit_config()``.

The models are in :mod:`lstm_companion.models` (``task_models``, ``classifier``,
``seq2seq``), their scores in :mod:`lstm_companion.measure`, and chapter 6's
cached sentiment recipe in :mod:`lstm_companion.recipes.sentiment`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_float, check_positive_int, check_samples, check_seed, check_tensor
from ..data.batching import check_padded_samples
from ..data.polarity import PolaritySplit, check_polarity_split
from ..models.classifier import SentimentClassifier, sentiment_accuracy
from ..models.task_models import PaddedSequenceModel, Tagger
from ..runtime import get_device
from .loop import FitConfig, History, fit

__all__ = [
    "update_batches",
    "epoch_batches",
    "TaskConfig",
    "train_on_task",
    "train_padded",
    "TaggerConfig",
    "train_tagger",
    "SentimentConfig",
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


def _fit_updates(
    model: nn.Module,
    num_samples: int,
    config: TaskConfig | TaggerConfig,
    generator: torch.Generator,
    loss_fn: Callable[[nn.Module, torch.Tensor, None], tuple[torch.Tensor, int, None]],
    device: torch.device,
    progress: bool,
) -> History:
    """:func:`fit` on ``config.num_updates`` minibatches from :func:`update_batches`, no validation."""
    batches = lambda epoch: update_batches(num_samples, config.batch_size, config.num_updates, generator)
    return fit(model, batches, loss_fn, config.fit_config(), device=device, progress=progress)


# ---------------------------------------------------------------- fixed-length and padded sequences


@dataclass
class TaskConfig:
    """Settings of :func:`train_on_task`; the defaults are chapter 1's SGD recipe."""

    num_updates: int = 300  # parameter updates (minibatches), the training budget
    batch_size: int = 64  # samples per minibatch
    lr: float = 1.0  # learning rate
    optimizer: str = "sgd"  # "sgd" or "adam"
    clip: float | None = 1.0  # max global gradient norm; None disables clipping
    seed: int = 0  # seeds the order of the minibatches

    def check(self) -> None:
        check_positive_int("num_updates", self.num_updates)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        check_seed(self.seed)

    def fit_config(self) -> FitConfig:
        """One "epoch" of ``num_updates`` minibatches, no validation."""
        return FitConfig(num_epochs=1, lr=self.lr, optimizer=self.optimizer, clip=self.clip)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    config: TaskConfig,
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
    :func:`update_batches`. Returns a :class:`~lstm_companion.History` whose
    ``step_loss`` and ``step_grad_norm`` (before clipping) hold one value per
    update; the model is left on ``device`` (default: the fastest one present).
    """
    if not isinstance(config, TaskConfig):
        raise TypeError(f"config must be a TaskConfig, got {type(config).__name__}")
    check_samples(X, y)
    if lengths is not None:
        check_tensor("lengths", lengths, shape=(X.shape[0],), floating=False)
    config.check()
    _check_batch_size(config.batch_size, X.shape[0])
    dev = get_device(device)
    gen = torch.Generator().manual_seed(config.seed)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        xb, yb = X[idx].to(dev), y[idx].to(dev)
        out = model(xb) if lengths is None else model(xb, lengths[idx])
        return _task_loss(out, yb), len(idx), None

    return _fit_updates(model, X.shape[0], config, gen, loss_fn, dev, progress)


def train_padded(
    model: PaddedSequenceModel,
    X: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    config: TaskConfig,
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


@dataclass
class TaggerConfig:
    """Settings of :func:`train_tagger` (Adam)."""

    num_updates: int = 300  # minibatches
    batch_size: int = 64  # sequences per minibatch
    lr: float = 1e-2  # Adam's learning rate
    clip: float = 1.0  # max global gradient norm
    seed: int = 0  # seeds the minibatch order

    def check(self) -> None:
        check_positive_int("num_updates", self.num_updates)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        check_positive_float("clip", self.clip)
        check_seed(self.seed)

    def fit_config(self) -> FitConfig:
        return FitConfig(num_epochs=1, lr=self.lr, optimizer="adam", clip=self.clip)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_tagger(
    model: Tagger,
    X: torch.Tensor,
    Y: torch.Tensor,
    config: TaggerConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a :class:`Tagger` with cross-entropy over every position (chapter 6); ``History.step_loss`` per update."""
    if not isinstance(config, TaggerConfig):
        raise TypeError(f"config must be a TaggerConfig, got {type(config).__name__}")
    check_tensor("X", X, ndim=2, floating=False)
    check_tensor("Y", Y, shape=tuple(X.shape), floating=False)
    config.check()
    _check_batch_size(config.batch_size, X.shape[0])
    dev = get_device(device)
    gen = torch.Generator().manual_seed(config.seed)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        logits = model(X[idx].to(dev))  # (batch_size, num_steps, num_tags)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[idx].to(dev).reshape(-1)), Y[idx].numel(), None

    return _fit_updates(model, X.shape[0], config, gen, loss_fn, dev, progress)


# ---------------------------------------------------------------- sentence classification (chapters 6 and 7)


@dataclass
class SentimentConfig:
    """Settings of :func:`train_classifier` (AdamW, early stopping on validation accuracy)."""

    num_epochs: int = 10  # passes over the training sentences, at most
    batch_size: int = 64  # sentences per minibatch
    lr: float = 2e-3  # AdamW's learning rate
    weight_decay: float = 0.0  # AdamW's decoupled weight decay
    clip: float | None = 5.0  # max global gradient norm; None disables clipping
    patience: int | None = 2  # stop after this many epochs without a better validation accuracy
    seed: int = 0  # seeds the minibatch order and dropout

    def check(self) -> None:
        self.fit_config().check()
        check_positive_int("batch_size", self.batch_size)

    def fit_config(self) -> FitConfig:
        return FitConfig(
            num_epochs=self.num_epochs,
            lr=self.lr,
            optimizer="adamw",
            weight_decay=self.weight_decay,
            clip=self.clip,
            patience=self.patience,
            restore_best=True,
            seed=self.seed,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_classifier(
    model: SentimentClassifier,
    train: PolaritySplit,
    val: PolaritySplit,
    config: SentimentConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with cross-entropy and AdamW; keep the best validation epoch (chapter 6).

    Minibatches come from a permutation seeded by ``config.seed`` (reshuffled
    each epoch); dropout is seeded by it too. After each epoch the validation
    accuracy is measured (``History.val_acc``); training stops after
    ``config.patience`` epochs without a new best, and the model ends with its
    best epoch's weights, on ``device``.
    """
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    if not isinstance(config, SentimentConfig):
        raise TypeError(f"config must be a SentimentConfig, got {type(config).__name__}")
    check_polarity_split("train", train)
    check_polarity_split("val", val)
    config.check()
    dev = get_device(device)
    gen = torch.Generator().manual_seed(config.seed)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        lengths = train.lengths[idx]
        tokens = train.tokens[idx, : int(lengths.max())].to(dev)  # (batch_size, longest in the batch)
        return F.cross_entropy(model(tokens, lengths), train.labels[idx].to(dev)), len(idx), None

    return fit(
        model,
        lambda epoch: epoch_batches(train.tokens.shape[0], config.batch_size, gen),
        loss_fn,
        config.fit_config(),
        validate=lambda model: sentiment_accuracy(model, val),  # type: ignore[arg-type]
        metric="accuracy",
        higher_is_better=True,
        device=dev,
        progress=progress,
    )
