"""Chapter 6's sentiment recipe: the classifier's sizes and training settings, cached training (chapters 6 and 7).

- :data:`SENTIMENT_RECIPE`: chapter 6's LSTM and BiLSTM, a frozen
  :class:`SentimentRecipe` (vocabulary, sizes, and the
  :class:`~lstm_companion.FitConfig` it trains with), shared with
  ``scripts/sentiment_seeds.py`` (whose several-seed table is
  ``results/sentiment.json``); :meth:`SentimentRecipe.fit_for` is its
  training for one seed;
- :func:`make_classifier`: a :class:`~lstm_companion.SentimentClassifier`
  of the recipe's sizes (the pooling as an argument);
- :func:`load_or_train_classifier`: :func:`~lstm_companion.train_classifier`,
  cached by :func:`~lstm_companion.load_or_train`, the key covering the
  model's, the data split's and the training's settings; chapter 7 trains its
  attention-pooling classifier through it too.

The data are in :mod:`lstm_companion.data.polarity`, the classifier in
:mod:`lstm_companion.models.classifier`, its training in
:mod:`lstm_companion.training.supervised`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from .._checks import check_seed
from ..data.polarity import PolarityData
from ..models.classifier import POOLINGS, SentimentClassifier
from ..runtime import get_device
from ..training.cache import load_or_train
from ..training.config import FitConfig, TrainingRecipe
from ..training.loop import History
from ..training.supervised import train_classifier

__all__ = ["load_or_train_classifier", "SentimentRecipe", "SENTIMENT_RECIPE", "make_classifier"]


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


@dataclass(frozen=True)
class SentimentRecipe(TrainingRecipe):
    """Chapter 6's sentence classifier: its vocabulary, its sizes and its training."""

    PER_RUN = ("seed", "dropout_seed")  # fit_for sets both

    min_freq: int = 2  # vocabulary: training words seen at least twice
    embed_size: int = 128  # random word embeddings, learned
    num_hiddens: int = 64  # per direction
    pooling: str = "max"  # max over the LSTM states of the sentence
    dropout: float = 0.5  # on the embeddings and on the pooled vector
    # AdamW, at most 8 epochs, early stopping on validation accuracy
    fit: FitConfig = FitConfig(num_epochs=8, batch_size=128, lr=1e-2, optimizer="adamw", clip=5.0, patience=3)

    def fit_for(self, seed: int) -> FitConfig:
        """The training of the run with ``seed``: it draws the minibatch order and the dropout masks."""
        return replace(self.fit, seed=check_seed(seed), dropout_seed=seed)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pooling not in POOLINGS:
            raise ValueError(f"SentimentRecipe.pooling must be one of {POOLINGS}, got {self.pooling!r}")


#: Chapter 6's LSTM and BiLSTM (and ``scripts/sentiment_seeds.py``'s).
SENTIMENT_RECIPE = SentimentRecipe()


def make_classifier(
    vocab_size: int, *, bidirectional: bool, pooling: str | None = None, recipe: SentimentRecipe | None = None
) -> SentimentClassifier:
    """A :class:`SentimentClassifier` with the sizes of ``recipe`` (default chapter 6's; ``pooling`` overrides its)."""
    r = SENTIMENT_RECIPE if recipe is None else recipe
    if not isinstance(r, SentimentRecipe):
        raise TypeError(f"recipe must be a SentimentRecipe or None, got {type(r).__name__}")
    return SentimentClassifier(
        vocab_size,
        r.embed_size,
        r.num_hiddens,
        bidirectional=bidirectional,
        pooling=pooling or r.pooling,
        dropout=r.dropout,
    )
