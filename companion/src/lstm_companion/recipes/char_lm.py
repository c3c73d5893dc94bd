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
(:data:`CHAR_LM_KINDS`: ``"rnn"`` and ``"lstm"``) are frozen
:class:`CharLMRecipe` values in :data:`CHAR_LM_RECIPES`, each holding its
:class:`~lstm_companion.FitConfig`; they are part of the cache key, so
changing one trains again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import torch
from torch import nn

from ..data.text import Vocab, load_time_machine, split_corpus
from ..models.lm import RNNLM
from ..models.lstm import LSTMScratch
from ..models.rnn import RNNScratch
from ..runtime import get_device, seed_everything
from ..training.bptt import epochs_before_drop, train_lm_with_lr_drop
from ..training.cache import load_or_train
from ..training.config import FitConfig, TrainingRecipe
from ..training.loop import History

__all__ = ["CHAR_LM_KINDS", "CHAR_LM_RECIPES", "CharLMRecipe", "TrainedCharLM", "char_lm"]


CHAR_LM_KINDS = ("rnn", "lstm")


@dataclass(frozen=True)
class CharLMRecipe(TrainingRecipe):
    """One character LM recipe: the model's size and seed, the corpus split, the training and its one drop."""

    num_hiddens: int  # hidden units of the scratch cell
    fit: FitConfig  # the training before the drop; early stopping on validation (patience) ends it
    val_fraction: float = 0.1  # validation: early stopping, the learning-rate drop, the best epoch
    test_fraction: float = 0.1  # test: measured once, for the perplexity the book reports
    model_seed: int = 0  # seed_everything(model_seed) before the model is built: its initial weights
    lr_drop: float = 0.1  # then continue at fit.lr * lr_drop ...
    lr_drop_epochs: int = 10  # ... for at most this many epochs

    def __post_init__(self) -> None:
        super().__post_init__()  # the types and ranges every recipe's fields obey; then what this one needs
        if self.fit.patience is None:
            raise ValueError(
                "CharLMRecipe.fit.patience must be set: the learning rate drops when the validation perplexity stalls"
            )
        if not self.fit.restore_best:
            raise ValueError(
                "CharLMRecipe.fit.restore_best must be True: the drop starts from the best validation epoch"
            )
        if self.fit.num_updates is not None or self.fit.max_seconds is not None:
            raise ValueError("CharLMRecipe.fit.num_updates and fit.max_seconds must be None: the two runs count epochs")
        if not self.lr_drop < 1:
            raise ValueError(f"CharLMRecipe.lr_drop must be in (0, 1), got {self.lr_drop}")


#: The two recipes (a read-only mapping of frozen recipes): the same model size, split and seed; the LSTM
#: trains with larger batches of shorter windows at a higher rate, the RNN for more epochs.
CHAR_LM_RECIPES: Mapping[str, CharLMRecipe] = MappingProxyType(
    {
        "lstm": CharLMRecipe(
            num_hiddens=256,
            fit=FitConfig(
                num_epochs=15,  # at most, before the drop; early stopping ends it sooner
                batch_size=64,
                num_steps=32,
                lr=1e-2,
                optimizer="adam",
                clip=1.0,
                patience=1,
            ),
        ),
        "rnn": CharLMRecipe(
            num_hiddens=256,
            fit=FitConfig(num_epochs=40, batch_size=32, num_steps=64, lr=5e-3, optimizer="adam", clip=1.0, patience=1),
        ),
    }
)


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
    recipe: CharLMRecipe  # the recipe it was trained with
    epochs_before_drop: int = 0  # epochs trained at the first learning rate (the rest at lr * lr_drop)


def _check_kind(kind: object) -> str:
    if kind not in CHAR_LM_KINDS:
        raise ValueError(f"kind must be one of {CHAR_LM_KINDS}, got {kind!r}")
    return kind


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
    recipe = CHAR_LM_RECIPES[_check_kind(kind)]
    dev = get_device(device)
    corpus, vocab = load_time_machine()
    train_corpus, val_corpus, test_corpus = split_corpus(corpus, recipe.val_fraction, recipe.test_fraction)
    seed_everything(recipe.model_seed)
    num_hiddens = recipe.num_hiddens
    core: nn.Module
    if kind == "lstm":
        core = LSTMScratch(len(vocab), num_hiddens)
    else:
        core = RNNScratch(len(vocab), num_hiddens)
    model = RNNLM(core, len(vocab)).to(dev)
    history, loaded = load_or_train(
        f"char-{kind}",
        model,
        recipe.record(),
        lambda: train_lm_with_lr_drop(
            model,
            train_corpus,
            val_corpus,
            recipe.fit,
            lr_drop=recipe.lr_drop,
            lr_drop_epochs=recipe.lr_drop_epochs,
            device=dev,
            progress=progress,
        )[0],
        device=dev,
    )
    n_first = epochs_before_drop(history.val_ppl, recipe.fit.num_epochs, recipe.fit.patience or 1)
    return TrainedCharLM(model, history, loaded, vocab, train_corpus, val_corpus, test_corpus, recipe, n_first)
