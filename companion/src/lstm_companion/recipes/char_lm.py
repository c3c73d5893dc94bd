"""The character language models of *The Time Machine* shared by chapters 3, 4 and 9, trained once and cached.

Chapters 3 and 4 both need a character language model of *The Time Machine*
with the scratch LSTM, chapter 4 compares it with the scratch RNN of
chapter 1, and chapter 9 looks inside the LSTM. :func:`char_lm` builds,
trains and caches these models once: whichever notebook runs first trains
(through :func:`~lstm_companion.load_or_train`), the others load the weights
and the training history from the cache. It returns a :class:`TrainedCharLM`:
the model, its history, the vocabulary and the three parts of the corpus
(training, validation, test).

Training is chapter 1's loop (:func:`~lstm_companion.train_lm`) run twice
(:func:`~lstm_companion.train_lm_with_lr_drop`, both in
:mod:`lstm_companion.training.bptt`): with Adam at ``lr`` until the validation
perplexity stops improving for ``patience`` epochs, then, from the best
weights so far, at the smaller learning rate ``lr * lr_drop`` for at most
``lr_drop_epochs`` more epochs: the common "reduce the learning rate on a
plateau" schedule, applied once. The settings of each kind
(:data:`CHAR_LM_KINDS`: ``"rnn"`` and ``"lstm"``) live in
:data:`CHAR_LM_SETTINGS`; they are part of the cache key, so changing one
trains again. :func:`char_lm_config` turns them into a
:class:`~lstm_companion.TrainConfig`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

import torch
from torch import nn

from .._checks import check_positive_float, check_positive_int
from ..data.text import Vocab, load_time_machine, split_corpus
from ..models.lm import RNNLM
from ..models.lstm import LSTMScratch
from ..models.rnn import RNNScratch
from ..runtime import get_device, seed_everything
from ..training.bptt import TrainConfig, epochs_before_drop, train_lm_with_lr_drop
from ..training.cache import load_or_train
from ..training.loop import History

__all__ = ["CHAR_LM_KINDS", "CHAR_LM_SETTINGS", "TrainedCharLM", "char_lm_config", "char_lm"]


CHAR_LM_KINDS = ("rnn", "lstm")


#: Settings of each recipe: the model's size, the validation and test fractions, the model's
#: seed, the learning-rate drop, and the :class:`~lstm_companion.TrainConfig`
#: fields (those not given keep their defaults).
CHAR_LM_SETTINGS: dict[str, dict[str, Any]] = {
    "lstm": {
        "num_hiddens": 256,
        "val_fraction": 0.1,  # validation: early stopping, the learning-rate drop, the best epoch
        "test_fraction": 0.1,  # test: measured once, for the perplexity the book reports
        "model_seed": 0,
        "num_epochs": 15,  # at most, before the drop; early stopping ends it sooner
        "batch_size": 64,
        "num_steps": 32,
        "lr": 1e-2,
        "optimizer": "adam",
        "clip": 1.0,
        "patience": 1,
        "lr_drop": 0.1,  # then continue at lr * lr_drop ...
        "lr_drop_epochs": 10,  # ... for at most this many epochs
    },
    "rnn": {
        "num_hiddens": 256,
        "val_fraction": 0.1,  # validation: early stopping, the learning-rate drop, the best epoch
        "test_fraction": 0.1,  # test: measured once, for the perplexity the book reports
        "model_seed": 0,
        "num_epochs": 40,
        "batch_size": 32,
        "num_steps": 64,
        "lr": 5e-3,
        "optimizer": "adam",
        "clip": 1.0,
        "patience": 1,
        "lr_drop": 0.1,
        "lr_drop_epochs": 10,
    },
}


_MODEL_KEYS = ("num_hiddens", "val_fraction", "test_fraction", "model_seed", "lr_drop", "lr_drop_epochs")


@dataclass
class TrainedCharLM:
    """A trained character language model and everything needed to use it (chapters 3 and 4)."""

    model: RNNLM  # the trained model (best validation epoch), on the training device
    history: History  # what training measured (loaded from the cache when ``loaded``)
    loaded: bool  # True when the weights came from the cache instead of training
    vocab: Vocab  # the 28-token character vocabulary
    train_corpus: torch.Tensor  # leading 80 % of the corpus (token indices)
    val_corpus: torch.Tensor  # the next 10 %: model selection
    test_corpus: torch.Tensor  # the trailing 10 %: the reported perplexity, measured once
    settings: dict[str, Any] = field(default_factory=dict)  # the recipe's settings (a copy)
    epochs_before_drop: int = 0  # epochs trained at the first learning rate (the rest at lr * lr_drop)


def _check_kind(kind: object) -> str:
    if kind not in CHAR_LM_KINDS:
        raise ValueError(f"kind must be one of {CHAR_LM_KINDS}, got {kind!r}")
    return kind


def char_lm_config(kind: str = "lstm") -> TrainConfig:
    """The :class:`~lstm_companion.TrainConfig` of the recipe ``kind`` before the drop (checked)."""
    settings = CHAR_LM_SETTINGS[_check_kind(kind)]
    names = {f.name for f in fields(TrainConfig)}
    if unknown := set(settings) - set(_MODEL_KEYS) - names:
        raise ValueError(f"CHAR_LM_SETTINGS[{kind!r}] has unknown keys {sorted(unknown)}")
    if missing := set(_MODEL_KEYS) - set(settings):
        raise ValueError(f"CHAR_LM_SETTINGS[{kind!r}] lacks the keys {sorted(missing)}")
    check_positive_int("num_hiddens", settings["num_hiddens"])
    check_positive_float("lr_drop", settings["lr_drop"])
    if not settings["lr_drop"] < 1:
        raise ValueError(f"lr_drop must be in (0, 1), got {settings['lr_drop']}")
    check_positive_int("lr_drop_epochs", settings["lr_drop_epochs"])
    config = TrainConfig(**{k: v for k, v in settings.items() if k in names})
    config.check()
    if config.patience is None:
        raise ValueError("patience must be set: the learning rate drops when the validation perplexity stalls")
    return config


def char_lm(kind: str = "lstm", *, device: torch.device | str | None = None, progress: bool = True) -> TrainedCharLM:
    """Train (or load from the cache) the character LM recipe ``kind`` (chapters 3 and 4).

    ``kind="lstm"``: the scratch :class:`~lstm_companion.LSTMScratch`
    (one layer) inside :class:`~lstm_companion.RNNLM`; ``kind="rnn"``: the
    scratch :class:`~lstm_companion.RNNScratch` of chapter 1, with the
    same number of hidden units, for comparison. Both train on the leading
    80 % of *The Time Machine* with :func:`train_lm_with_lr_drop`; the next
    10 % (validation) decides when to stop, when to drop the learning rate and
    which epoch's weights to keep. The trailing 10 % (``test_corpus``) plays
    no part in training: measure it once, for the number to report.
    """
    kind = _check_kind(kind)
    config = char_lm_config(kind)
    settings = copy.deepcopy(CHAR_LM_SETTINGS[kind])
    dev = get_device(device)
    corpus, vocab = load_time_machine()
    train_corpus, val_corpus, test_corpus = split_corpus(corpus, settings["val_fraction"], settings["test_fraction"])
    seed_everything(settings["model_seed"])
    num_hiddens = settings["num_hiddens"]
    core: nn.Module
    if kind == "lstm":
        core = LSTMScratch(len(vocab), num_hiddens)
    else:
        core = RNNScratch(len(vocab), num_hiddens)
    model = RNNLM(core, len(vocab)).to(dev)
    history, loaded = load_or_train(
        f"char-{kind}",
        model,
        settings,
        lambda: train_lm_with_lr_drop(
            model,
            train_corpus,
            val_corpus,
            config,
            lr_drop=settings["lr_drop"],
            lr_drop_epochs=settings["lr_drop_epochs"],
            device=dev,
            progress=progress,
        )[0],
        device=dev,
    )
    n_first = epochs_before_drop(history.val_ppl, config.num_epochs, config.patience or 1)
    return TrainedCharLM(model, history, loaded, vocab, train_corpus, val_corpus, test_corpus, settings, n_first)
