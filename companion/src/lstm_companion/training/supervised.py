"""training/supervised: moved from seq2seq, bilstm, sentiment, sequences, tasks."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from .._checks import (
    check_nonneg_float,
    check_positive_float,
    check_positive_int,
    check_samples,
    check_seed,
    check_tensor,
)
from ..data.batching import check_padded_samples
from ..data.polarity import PolaritySplit, _check_split
from ..data.tatoeba import PAD_ID, TranslationData
from ..measure.metrics import sentiment_accuracy
from ..models.classifier import SentimentClassifier
from ..models.heads import PaddedSequenceModel, Tagger
from ..models.seq2seq import Seq2Seq
from ..runtime import get_device, model_device
from .loop import History, clip_gradients, grad_norm

__all__ = [
    "Seq2SeqTrainConfig",
    "sequence_loss",
    "train_seq2seq",
    "TaggerConfig",
    "train_tagger",
    "SentimentConfig",
    "SentimentHistory",
    "train_classifier",
    "train_padded",
    "TaskConfig",
    "train_on_task",
]


@dataclass(frozen=True)
class Seq2SeqTrainConfig:
    """How :func:`train_seq2seq` trains (chapter 7)."""

    num_epochs: int = 10  # passes over the training pairs
    batch_size: int = 128  # sentence pairs per update
    lr: float = 2e-3  # Adam's learning rate
    clip: float = 1.0  # maximal global gradient norm
    seed: int = 0  # seeds the shuffling (and dropout)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sequence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the non-``<pad>`` labels (chapter 7).

    ``logits`` ``(batch_size, tgt_steps, vocab_size)``, ``labels`` ``(batch_size, tgt_steps)``.
    """
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=PAD_ID)


def train_seq2seq(
    model: Seq2Seq,
    data: TranslationData,
    config: Seq2SeqTrainConfig,
    *,
    progress: bool = True,
    max_seconds: float | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train with teacher forcing: input ``<bos> y_1 … y_n``, labels ``y_1 … y_n <eos>`` (chapter 7).

    Each minibatch is cut to its longest source and target. Records every
    update's loss and gradient norm and each epoch's training perplexity
    (``History.train_ppl``). ``max_seconds`` stops at the first update after
    the time ran out; ``on_epoch(epoch, history)`` is called after each
    (possibly cut) epoch (the training script saves a checkpoint there).
    """
    check_positive_int("num_epochs", config.num_epochs)
    check_positive_int("batch_size", config.batch_size)
    check_positive_float("lr", config.lr)
    check_positive_float("clip", config.clip)
    dev = model_device(model)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = History()
    start = time.perf_counter()
    n = data.num_train
    num_batches = math.ceil(n / config.batch_size)
    model.train()
    for epoch in range(config.num_epochs):
        perm = torch.randperm(n, generator=gen)
        total, tokens = 0.0, 0
        bar = tqdm(range(num_batches), desc=f"epoch {epoch + 1}/{config.num_epochs}", disable=not progress, leave=False)
        for b in bar:
            idx = perm[b * config.batch_size : (b + 1) * config.batch_size]
            src_len, tgt_len = data.train_src_len[idx], data.train_tgt_len[idx]
            src = data.train_src[idx, : int(src_len.max())].to(dev)  # (batch_size, src_steps)
            tgt = data.train_tgt[idx, : int(tgt_len.max())].to(dev)  # (batch_size, tgt_steps + 1)
            logits, _ = model(src, src_len, tgt[:, :-1])  # (batch_size, tgt_steps, vocab_size)
            loss = sequence_loss(logits, tgt[:, 1:])
            opt.zero_grad()
            loss.backward()
            history.step_grad_norm.append(clip_gradients(model.parameters(), config.clip))
            opt.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                history.diverged = True
                break
            history.step_loss.append(value)
            count = int((tgt_len - 1).sum())
            total += value * count
            tokens += count
            if b % 50 == 0:
                bar.set_postfix(loss=f"{value:.3f}")
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
        history.train_ppl.append(math.exp(total / max(tokens, 1)))
        history.seconds = time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(epoch, history)
        if history.diverged or (max_seconds is not None and history.seconds > max_seconds):
            break
    model.eval()
    return history


@dataclass
class TaggerConfig:
    """Settings of :func:`train_tagger`."""

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


def train_tagger(
    model: Tagger,
    X: torch.Tensor,
    Y: torch.Tensor,
    config: TaggerConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> list[float]:
    """Train a :class:`Tagger` with cross-entropy over every position (chapter 6); returns the loss per update."""
    check_tensor("X", X, ndim=2, floating=False)
    check_tensor("Y", Y, shape=tuple(X.shape), floating=False)
    config.check()
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size must be <= the number of samples {X.shape[0]}, got {config.batch_size}")
    dev = get_device(device)
    model.to(dev)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    per_pass = X.shape[0] // config.batch_size
    order = torch.randperm(X.shape[0], generator=gen)
    losses = []
    for update in tqdm(range(config.num_updates), desc="updates", disable=not progress, leave=False):
        i = update % per_pass
        if i == 0 and update > 0:
            order = torch.randperm(X.shape[0], generator=gen)
        idx = order[i * config.batch_size : (i + 1) * config.batch_size]
        logits = model(X[idx].to(dev))  # (batch_size, num_steps, num_tags)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[idx].to(dev).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        losses.append(loss.item())
    return losses


@dataclass
class SentimentConfig:
    """Settings of :func:`train_classifier`."""

    num_epochs: int = 10  # passes over the training sentences, at most
    batch_size: int = 64  # sentences per minibatch
    lr: float = 2e-3  # Adam's learning rate
    weight_decay: float = 0.0  # AdamW's decoupled weight decay
    clip: float | None = 5.0  # max global gradient norm; None disables clipping
    patience: int | None = 2  # stop after this many epochs without a better validation sentiment_accuracy
    seed: int = 0  # seeds the minibatch order and dropout

    def check(self) -> None:
        check_positive_int("num_epochs", self.num_epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        check_nonneg_float("weight_decay", self.weight_decay)
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        if self.patience is not None:
            check_positive_int("patience", self.patience)
        check_seed(self.seed)


@dataclass
class SentimentHistory:
    """What :func:`train_classifier` measured."""

    step_loss: list[float] = field(default_factory=list)  # training loss of every minibatch
    train_loss: list[float] = field(default_factory=list)  # mean training loss of every epoch
    val_acc: list[float] = field(default_factory=list)  # validation sentiment_accuracy after every epoch
    best_epoch: int = -1  # epoch (0-based) with the best validation sentiment_accuracy; its weights are kept
    seconds: float = 0.0  # wall-clock training time

    @property
    def best_val_acc(self) -> float:
        return self.val_acc[self.best_epoch] if self.val_acc else math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SentimentHistory:
        return cls(**d)


def train_classifier(
    model: SentimentClassifier,
    train: PolaritySplit,
    val: PolaritySplit,
    config: SentimentConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> SentimentHistory:
    """Train ``model`` with cross-entropy and AdamW; keep the best validation epoch (chapter 6).

    Minibatches come from a permutation seeded by ``config.seed`` (reshuffled
    each epoch); dropout is seeded by it too. After each epoch the validation
    sentiment_accuracy is measured; training stops after ``config.patience`` epochs
    without a new best, and the model ends with its best epoch's weights, on
    ``device``.
    """
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    _check_split("train", train)
    _check_split("val", val)
    config.check()
    dev = get_device(device)
    model.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout masks
    hist = SentimentHistory()
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs = 0
    start = time.perf_counter()
    n = train.tokens.shape[0]
    bar = tqdm(range(config.num_epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for i in range(0, n, config.batch_size):
            idx = order[i : i + config.batch_size]
            lengths = train.lengths[idx]
            tokens = train.tokens[idx, : int(lengths.max())].to(dev)  # (batch_size, longest in the batch)
            loss = F.cross_entropy(model(tokens, lengths), train.labels[idx].to(dev))  # type: ignore[arg-type]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip is not None:
                nn.utils.clip_grad_norm_(params, config.clip)
            opt.step()
            hist.step_loss.append(loss.item())
            total += loss.item() * len(idx)
            count += len(idx)
        hist.train_loss.append(total / count)
        acc = sentiment_accuracy(model, val)
        hist.val_acc.append(acc)
        if hist.best_epoch < 0 or acc > hist.val_acc[hist.best_epoch]:
            hist.best_epoch, bad_epochs = epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}", val_acc=f"{acc:.3f}")
        if config.patience is not None and bad_epochs >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    return hist


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
    and ``y`` integer labels ``(num_samples,)``. Returns a
    :class:`~lstm_companion.History` with one loss and one gradient norm
    (before clipping) per update.
    """
    lengths = check_padded_samples(X, lengths, y)
    return train_on_task(model, X, y, config, lengths=lengths, device=device, progress=progress)


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
    mean squared error (on the model's single output). Minibatches are drawn
    without replacement from a seeded permutation, reshuffled after each pass.
    Returns a :class:`~lstm_companion.History` whose ``step_loss`` and
    ``step_grad_norm`` (before clipping) hold one value per update; the model
    is left on ``device`` (default: the fastest one present).
    """
    check_samples(X, y)
    if lengths is not None:
        check_tensor("lengths", lengths, shape=(X.shape[0],), floating=False)
    config.check()
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size must be <= the number of samples {X.shape[0]}, got {config.batch_size}")
    dev = get_device(device)
    model.to(dev)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt: torch.optim.Optimizer = (
        torch.optim.SGD(params, lr=config.lr) if config.optimizer == "sgd" else torch.optim.Adam(params, lr=config.lr)
    )
    gen = torch.Generator().manual_seed(config.seed)
    per_pass = X.shape[0] // config.batch_size
    hist = History()
    order = torch.randperm(X.shape[0], generator=gen)
    for update in tqdm(range(config.num_updates), desc="updates", disable=not progress, leave=False):
        i = update % per_pass
        if i == 0 and update > 0:
            order = torch.randperm(X.shape[0], generator=gen)
        idx = order[i * config.batch_size : (i + 1) * config.batch_size]
        xb, yb = X[idx].to(dev), y[idx].to(dev)
        out = model(xb) if lengths is None else model(xb, lengths[idx])
        loss = _task_loss(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_gradients(params, config.clip) if config.clip is not None else grad_norm(params)
        opt.step()
        hist.step_loss.append(loss.item())
        hist.step_grad_norm.append(norm)
        if not math.isfinite(hist.step_loss[-1]):
            hist.diverged = True
            break
    return hist
