"""Training the word-level LSTM language model of chapters 11 and 12 on :func:`~lstm_companion.train_lm`.

Nothing new is needed to train :class:`~lstm_companion.WordLM`: the
truncated-BPTT trainer of chapter 1 (:func:`~lstm_companion.train_lm`) reads
the training stream as parallel rows, carries the (detached) state from one
minibatch to the next, clips the gradient norm and scores each epoch by
validation perplexity (:func:`~lstm_companion.evaluate_perplexity`). This
module only fixes the book's settings for the word model and makes a run
reproducible from one seed:

- :data:`WORD_LM_TRAIN`: the training settings of chapter 11's table
  (truncation 35, Adam, clipping at 0.25);
- :func:`train_word_lm`: seed, build the model from a
  :class:`~lstm_companion.WordLMConfig`, train, return model and history;
- :func:`word_lm_settings`: everything that defines a run, for
  :func:`~lstm_companion.load_or_train` and the results file.

The seed fixes the initial weights (``torch.manual_seed`` before the model is
built), the dropout masks (the same global generator, drawn in order) and the
batching offsets (``TrainConfig.seed``), so a run repeats exactly on one
machine and one torch version.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from .._checks import check_seed
from ..data.words import WordCorpus
from ..models.word_lm import WordLM, WordLMConfig
from .lm import TrainConfig, train_lm
from .loop import History

__all__ = ["WORD_LM_TRAIN", "train_word_lm", "word_lm_settings"]


#: Chapter 11's training settings: truncated BPTT over 35 words, 32 streams, Adam, the norm clipped at 0.25.
WORD_LM_TRAIN = TrainConfig(num_epochs=6, batch_size=32, num_steps=35, lr=3e-3, optimizer="adam", clip=0.25)


def word_lm_settings(corpus: WordCorpus, model: WordLMConfig, train: TrainConfig, seed: int) -> dict[str, Any]:
    """Everything that defines a run of :func:`train_word_lm` (the corpus's settings, the model's, training's, seed)."""
    return {"corpus": corpus.settings, "model": model.to_dict(), "train": train.to_dict(), "seed": seed}


def train_word_lm(
    corpus: WordCorpus,
    model_config: WordLMConfig,
    train_config: TrainConfig = WORD_LM_TRAIN,
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
    if not isinstance(train_config, TrainConfig):
        raise TypeError(f"train_config must be a TrainConfig, got {type(train_config).__name__}")
    check_seed(seed)
    torch.manual_seed(seed)
    model = model_config.build(corpus.vocab_size)
    history = train_lm(
        model, corpus.train, corpus.val, replace(train_config, seed=seed), device=device, progress=progress
    )
    return model, history
