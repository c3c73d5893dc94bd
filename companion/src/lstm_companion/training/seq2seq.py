"""Training an encoder-decoder on the one loop: teacher forcing and a loss that ignores padding (chapter 7).

:func:`train_seq2seq` says what a minibatch of sentence pairs is (each cut to
its longest source and target) and what its loss is
(:func:`sequence_loss`, the mean cross-entropy over the non-``<pad>``
labels), and lets :func:`~lstm_companion.fit` do the rest, with the settings
of a :class:`~lstm_companion.FitConfig`; minibatches are whole epochs over a
permutation drawn anew each epoch (:func:`~lstm_companion.epoch_batches`).
Chapter 7 trains small models with it live, and
``scripts/train_translation.py`` the committed translator. The models are in
:mod:`lstm_companion.models.seq2seq`, the data in
:mod:`lstm_companion.data.tatoeba`, BLEU in :mod:`lstm_companion.measure.bleu`;
the other supervised wrappers in :mod:`lstm_companion.training.supervised`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from ..data.tatoeba import PAD_ID, TranslationData
from ..models.seq2seq import Seq2Seq
from ..runtime import model_device
from .config import FitConfig, check_fit_config
from .loop import History, fit
from .supervised import epoch_batches

__all__ = ["sequence_loss", "train_seq2seq"]


def sequence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the non-``<pad>`` labels (chapter 7).

    ``logits`` ``(batch_size, tgt_steps, vocab_size)``, ``labels`` ``(batch_size, tgt_steps)``.
    """
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=PAD_ID)


def train_seq2seq(
    model: Seq2Seq,
    data: TranslationData,
    config: FitConfig,
    *,
    progress: bool = True,
    on_epoch: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train with teacher forcing: input ``<bos> y_1 … y_n``, labels ``y_1 … y_n <eos>`` (chapter 7).

    Each minibatch is cut to its longest source and target. Records every
    update's loss and gradient norm and each epoch's training perplexity
    (``History.train_ppl``). ``config.max_seconds`` stops at the first update after
    that much time in updates (the ``on_epoch`` work is not counted); ``on_epoch(epoch, history)`` is called after each
    (possibly cut) epoch (the training script saves a checkpoint and scores
    the development sentences there) and stops training by returning ``True``.
    The model trains where its parameters are and is left in eval mode.
    """
    if not isinstance(data, TranslationData):
        raise TypeError(f"data must be a TranslationData (from load_translation), got {type(data).__name__}")
    config = check_fit_config(config)
    dev = model_device(model)
    gen = config.batch_generator()

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
        config,
        on_epoch=on_epoch,
        device=dev,
        progress=progress,
    )
    model.eval()
    return history
