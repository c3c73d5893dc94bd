"""Chapter 6's sentiment recipe: the classifier's sizes and training settings, cached training (chapters 6 and 7).

- :data:`SENTIMENT_SETTINGS`: the sizes and training settings of chapter 6's
  LSTM and BiLSTM, shared with ``scripts/sentiment_seeds.py`` (whose
  several-seed table is ``results/sentiment.json``);
- :func:`make_classifier` and :func:`sentiment_config`: a
  :class:`~lstm_companion.SentimentClassifier` and a
  :class:`~lstm_companion.FitConfig` with those settings (the pooling
  and the seed as arguments);
- :func:`load_or_train_classifier`: :func:`~lstm_companion.train_classifier`,
  cached by :func:`~lstm_companion.load_or_train`, the key covering the
  model's, the data split's and the training's settings; chapter 7 trains its
  attention-pooling classifier through it too.

The data are in :mod:`lstm_companion.data.polarity`, the classifier in
:mod:`lstm_companion.models.classifier`, its training in
:mod:`lstm_companion.training.supervised`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from .._checks import check_seed
from ..data.polarity import PolarityData
from ..models.classifier import SentimentClassifier
from ..runtime import get_device
from ..training.cache import load_or_train
from ..training.config import FitConfig
from ..training.loop import History
from ..training.supervised import train_classifier

__all__ = ["load_or_train_classifier", "SENTIMENT_SETTINGS", "make_classifier", "sentiment_config"]


def load_or_train_classifier(
    name: str,
    model: SentimentClassifier,
    data: PolarityData,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
    cache: str | Path | None = None,
) -> tuple[History, bool]:
    """:func:`~lstm_companion.train_classifier`, cached by :func:`~lstm_companion.load_or_train`.

    The cache key hashes the model's settings, the data split's settings,
    ``config``, the package's source code, the PyTorch version and the device
    type. Returns ``(history, loaded)``. The model must be freshly built with
    the seed the caller wants: training starts from its current weights.
    """
    if not isinstance(data, PolarityData):
        raise TypeError(f"data must be a PolarityData (from load_polarity), got {type(data).__name__}")
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    dev = get_device(device)
    model.to(dev)
    settings = {"model": model.settings(), "data": data.settings, "config": asdict(config)}
    return load_or_train(
        name,
        model,
        settings,
        lambda: train_classifier(model, data.train, data.val, config, device=dev, progress=progress),
        device=dev,
        cache=cache,
    )


#: The settings of chapter 6's LSTM and BiLSTM (and of ``scripts/sentiment_seeds.py``).
SENTIMENT_SETTINGS: dict[str, Any] = {
    "min_freq": 2,  # vocabulary: training words seen at least twice
    "embed_size": 128,  # random word embeddings, learned
    "num_hiddens": 64,  # per direction
    "pooling": "max",  # max over the LSTM states of the sentence
    "dropout": 0.5,  # on the embeddings and on the pooled vector
    "num_epochs": 8,  # at most
    "batch_size": 128,
    "lr": 1e-2,
    "weight_decay": 0.0,
    "clip": 5.0,
    "patience": 3,  # early stopping on validation accuracy
}


def make_classifier(
    vocab_size: int, *, bidirectional: bool, pooling: str | None = None, settings: dict[str, Any] | None = None
) -> SentimentClassifier:
    """A :class:`SentimentClassifier` with chapter 6's sizes (``pooling`` overrides the recipe's)."""
    s = SENTIMENT_SETTINGS if settings is None else settings
    return SentimentClassifier(
        vocab_size,
        s["embed_size"],
        s["num_hiddens"],
        bidirectional=bidirectional,
        pooling=pooling or s["pooling"],
        dropout=s["dropout"],
    )


def sentiment_config(seed: int = 0, settings: dict[str, Any] | None = None) -> FitConfig:
    """The :class:`FitConfig` of chapter 6's recipe, with minibatch order and dropout seeded by ``seed``."""
    s = SENTIMENT_SETTINGS if settings is None else settings
    return FitConfig(
        num_epochs=s["num_epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        optimizer="adamw",
        weight_decay=s["weight_decay"],
        clip=s["clip"],
        patience=s["patience"],
        seed=check_seed(seed),
        dropout_seed=seed,
    )
