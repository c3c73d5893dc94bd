"""Training the word-level LSTM language model of chapters 11 and 12 on :func:`~lstm_companion.train_lm`.

Nothing new is needed to train :class:`~lstm_companion.WordLM`: the
truncated-BPTT trainer of chapter 1 (:func:`~lstm_companion.train_lm`) reads
the training stream as parallel rows, carries the (detached) state from one
minibatch to the next, clips the gradient norm and scores each epoch by
validation perplexity (:func:`~lstm_companion.evaluate_perplexity`). This
module only fixes the book's settings for the word model and makes a run
reproducible from one seed:

- :data:`WORD_LM_CORPUS`, :data:`WORD_LM_TRAIN`: the corpus slice and the
  training settings of chapter 11's table (truncation 35, Adam, clipping at
  0.25), sized so that one run takes well under a minute on two CPU cores;
- :data:`WORD_LM_REGULARISERS`: the table's rows, each a
  :class:`~lstm_companion.WordLMConfig` (no regulariser, each one alone, all
  together);
- :func:`train_word_lm`: seed, build the model from a
  :class:`~lstm_companion.WordLMConfig`, train, return model and history;
- :func:`word_lm_settings`: everything that defines a run, for
  :func:`~lstm_companion.load_or_train` and the results file;
- :func:`cached_word_lm`: :func:`train_word_lm` through
  :func:`~lstm_companion.load_or_train`, so the book build after the test run
  loads the weights instead of training again.

The seed fixes the initial weights (``torch.manual_seed`` before the model is
built), the dropout masks (the same global generator, drawn in order) and the
batching offsets (``FitConfig.seed``), so a run repeats exactly on one
machine and one torch version.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from .._checks import check_seed
from ..data.words import WordCorpus
from ..models.word_lm import WordLM, WordLMConfig
from ..runtime import get_device
from ..training.bptt import train_lm
from ..training.cache import load_or_train
from ..training.config import FitConfig
from ..training.loop import History

__all__ = [
    "WORD_LM_CORPUS",
    "WORD_LM_TRAIN",
    "WORD_LM_REGULARISERS",
    "train_word_lm",
    "word_lm_settings",
    "cached_word_lm",
]


#: Chapter 11's corpus: ``lc.load_word_corpus(**WORD_LM_CORPUS)``, a slice of 8,000 distinct sentences and a
#: 2,000-token vocabulary, small enough to train a row of the table in well under a minute on two CPU cores.
WORD_LM_CORPUS: dict[str, Any] = {"max_vocab": 2000, "seed": 0, "max_sentences": 8000}

#: Chapter 11's training settings: truncated BPTT over 35 words, 32 streams, Adam, the norm clipped at 0.25.
WORD_LM_TRAIN = FitConfig(num_epochs=8, batch_size=32, num_steps=35, lr=1e-2, optimizer="adam", clip=0.25)


#: The rows of chapter 11's table: no regulariser, each regulariser alone, and all of them together.
WORD_LM_REGULARISERS: dict[str, WordLMConfig] = {
    "none": WordLMConfig(200, 200, 2),
    "dropout (per step)": WordLMConfig(200, 200, 2, dropouti=0.3, dropouth=0.3, dropout=0.3, locked=False),
    "locked dropout": WordLMConfig(200, 200, 2, dropouti=0.3, dropouth=0.3, dropout=0.3),
    "weight drop": WordLMConfig(200, 200, 2, wdrop=0.3),
    "embedding dropout": WordLMConfig(200, 200, 2, dropoute=0.1),
    "tied weights": WordLMConfig(200, 200, 2, tie_weights=True),
    "all": WordLMConfig(
        200, 200, 2, dropouti=0.3, dropouth=0.3, dropout=0.3, wdrop=0.3, dropoute=0.1, tie_weights=True
    ),
}


def word_lm_settings(corpus: WordCorpus, model: WordLMConfig, train: FitConfig, seed: int) -> dict[str, Any]:
    """Everything that defines a run of :func:`train_word_lm` (the corpus's settings, the model's, training's, seed)."""
    return {"corpus": corpus.settings, "model": model.to_dict(), "train": train.to_dict(), "seed": seed}


def train_word_lm(
    corpus: WordCorpus,
    model_config: WordLMConfig,
    train_config: FitConfig = WORD_LM_TRAIN,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> tuple[WordLM, History]:
    """Build a :class:`~lstm_companion.WordLM` with ``seed`` and train it on ``corpus`` (chapter 11).

    Returns the model (holding the weights of its best validation epoch,
    ``train_config.restore_best``) and its :class:`~lstm_companion.History`
    (validation perplexity per epoch). ``seed`` also replaces
    ``train_config.seed``, so one number makes the run.
    """
    if not isinstance(corpus, WordCorpus):
        raise TypeError(f"corpus must be a WordCorpus (lc.load_word_corpus), got {type(corpus).__name__}")
    if not isinstance(model_config, WordLMConfig):
        raise TypeError(f"model_config must be a WordLMConfig, got {type(model_config).__name__}")
    if not isinstance(train_config, FitConfig):
        raise TypeError(f"train_config must be a FitConfig, got {type(train_config).__name__}")
    check_seed(seed)
    torch.manual_seed(seed)
    model = model_config.build(corpus.vocab_size)
    history = train_lm(
        model, corpus.train, corpus.val, replace(train_config, seed=seed), device=device, progress=progress
    )
    return model, history


def cached_word_lm(
    name: str,
    corpus: WordCorpus,
    model_config: WordLMConfig,
    train_config: FitConfig = WORD_LM_TRAIN,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> tuple[WordLM, History, bool]:
    """:func:`train_word_lm`, cached by :func:`~lstm_companion.load_or_train` under ``name`` (chapter 11).

    The cache key holds :func:`word_lm_settings` (corpus, model, training,
    seed), the package's code, torch and the device type. Returns ``(model,
    history, loaded)``; ``loaded`` says whether the weights came from the
    cache.
    """
    dev = get_device(device)
    model = model_config.build(corpus.vocab_size).to(dev)

    def train() -> History:
        trained, history = train_word_lm(corpus, model_config, train_config, seed=seed, device=dev, progress=progress)
        model.load_state_dict(trained.state_dict())
        return history

    settings = word_lm_settings(corpus, model_config, train_config, seed)
    history, loaded = load_or_train(name, model, settings, train, device=dev)
    return model, history, loaded
