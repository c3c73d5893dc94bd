"""Training an encoder-decoder on the one loop: teacher forcing and a loss that ignores padding (chapter 7).

:func:`train_seq2seq` says what a minibatch of sentence pairs is (each cut to
its longest source and target) and what its loss is
(:func:`sequence_loss`, the mean cross-entropy over the non-``<pad>``
labels), and lets :func:`~lstm_companion.fit` do the rest, with the settings
of :class:`Seq2SeqTrainConfig`; minibatches are whole epochs over a
permutation drawn anew each epoch (:func:`~lstm_companion.epoch_batches`).
Chapter 7 trains small models with it live, and
``scripts/train_translation.py`` the committed translator. The models are in
:mod:`lstm_companion.models.seq2seq`, the data in
:mod:`lstm_companion.data.tatoeba`, BLEU in :mod:`lstm_companion.measure.bleu`;
the other supervised wrappers in :mod:`lstm_companion.training.supervised`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_float, check_positive_int, check_seed
from ..data.tatoeba import PAD_ID, TranslationData
from ..models.seq2seq import Seq2Seq
from ..runtime import model_device
from .loop import FitConfig, History, fit
from .supervised import epoch_batches

__all__ = ["Seq2SeqTrainConfig", "sequence_loss", "train_seq2seq"]


@dataclass(frozen=True)
class Seq2SeqTrainConfig:
    """How :func:`train_seq2seq` trains (chapter 7)."""

    num_epochs: int = 10  # passes over the training pairs
    batch_size: int = 128  # sentence pairs per update
    lr: float = 2e-3  # Adam's learning rate
    clip: float = 1.0  # maximal global gradient norm
    seed: int = 0  # seeds the shuffling (and dropout)

    def check(self) -> None:
        check_positive_int("num_epochs", self.num_epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        check_positive_float("clip", self.clip)
        check_seed(self.seed)

    def fit_config(self, max_seconds: float | None = None) -> FitConfig:
        return FitConfig(
            num_epochs=self.num_epochs,
            lr=self.lr,
            optimizer="adam",
            clip=self.clip,
            max_seconds=max_seconds,
            seed=self.seed,
        )

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
    on_epoch: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train with teacher forcing: input ``<bos> y_1 … y_n``, labels ``y_1 … y_n <eos>`` (chapter 7).

    Each minibatch is cut to its longest source and target. Records every
    update's loss and gradient norm and each epoch's training perplexity
    (``History.train_ppl``). ``max_seconds`` stops at the first update after
    that much time in updates (the ``on_epoch`` work is not counted); ``on_epoch(epoch, history)`` is called after each
    (possibly cut) epoch (the training script saves a checkpoint and scores
    the development sentences there) and stops training by returning ``True``.
    The model trains where its parameters are and is left in eval mode.
    """
    if not isinstance(config, Seq2SeqTrainConfig):
        raise TypeError(f"config must be a Seq2SeqTrainConfig, got {type(config).__name__}")
    if not isinstance(data, TranslationData):
        raise TypeError(f"data must be a TranslationData (from load_translation), got {type(data).__name__}")
    config.check()
    if max_seconds is not None:
        check_positive_float("max_seconds", max_seconds)
    dev = model_device(model)
    gen = torch.Generator().manual_seed(config.seed)

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        src_len, tgt_len = data.train_src_len[idx], data.train_tgt_len[idx]
        src = data.train_src[idx, : int(src_len.max())].to(dev)  # (batch_size, src_steps)
        tgt = data.train_tgt[idx, : int(tgt_len.max())].to(dev)  # (batch_size, tgt_steps + 1)
        logits, _ = model(src, src_len, tgt[:, :-1])  # (batch_size, tgt_steps, vocab_size)
        return sequence_loss(logits, tgt[:, 1:]), int((tgt_len - 1).sum()), None

    history = fit(
        model,
        lambda epoch: epoch_batches(data.num_train, config.batch_size, gen),
        loss_fn,
        config.fit_config(max_seconds),
        on_epoch=on_epoch,
        device=dev,
        progress=progress,
    )
    model.eval()
    return history
