"""Chapter 14's synthetic tasks: parity (state tracking) and MQAR (associative recall), one run at a time.

One run trains one :class:`~lstm_companion.TokenTagger` (one core of
:data:`~lstm_companion.TAGGER_CORES`, its hidden size matched to a parameter
budget by :func:`~lstm_companion.matched_hidden`) with one seed through
:func:`~lstm_companion.fit`, selects the epoch on a validation set drawn like
the training data, and scores the selected weights once on the test data:

- :func:`run_parity`: trained on running parity with lengths 2 to
  ``train_max_len`` (40), validated on length ``train_max_len``, tested on the
  parity of whole strings of each length in ``test_lengths`` (up to 256);
- :func:`run_mqar`: trained and tested on :func:`~lstm_companion.mqar_task`
  with ``num_pairs`` pairs; the score is the accuracy over the query positions.
  Every core reads the current and the previous token (``shift=1``), so that
  a key and its value meet at one step, as the causal convolution before the
  xLSTM's cells provides.

``scripts/xlstm_tasks.py`` calls them for every core, seed and size and writes
``results/xlstm_tasks.json``; :func:`load_xlstm_tasks` reads it back, and
:func:`load_scan_speed` the scan timings of ``bench/scan_speed.py``.

The character language model of *The Time Machine* (chapters 3 and 4's data
and split) with each core of :data:`LM_CORES`, a Transformer among them:
:func:`train_char_lm` trains one (random windows of the training text, for
``max_seconds`` of updates or ``num_epochs`` epochs, the epoch with the best
validation perplexity kept) and :func:`char_lm_test_perplexity` scores it on
the test text, once. Both read the text with
:func:`~lstm_companion.window_perplexity`, the same targets and the same
context for every core. ``scripts/xlstm_lm.py`` chooses each core's learning
rate on validation, trains three seeds and writes ``results/xlstm_lm.json``
(:func:`load_xlstm_lm`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_positive_int, check_seed
from ..data.download import find_results, read_json_record
from ..data.synthetic import mqar_task, parity_task
from ..data.text import load_time_machine, split_corpus
from ..measure.metrics import window_perplexity
from ..models.state import RecurrentState
from ..models.task_models import TAGGER_CORES, TokenTagger, matched_hidden
from ..training.config import FitConfig, TrainingRecipe
from ..training.loop import History, fit

__all__ = [
    "ParityRecipe",
    "MQARRecipe",
    "LMComparisonRecipe",
    "PARITY_RECIPE",
    "MQAR_RECIPE",
    "LM_RECIPE",
    "LM_CORES",
    "run_parity",
    "run_mqar",
    "train_char_lm",
    "char_lm_test_perplexity",
    "load_xlstm_tasks",
    "load_xlstm_lm",
    "load_scan_speed",
]


@dataclass(frozen=True)
class ParityRecipe(TrainingRecipe):
    """Running parity (chapter 14): tiny models, short training."""

    PER_RUN = ("seed", "dropout_seed")  # every run sets its seeds

    budget: int = 1200  # parameters, embedding and read-out included
    embed_size: int = 8
    train_max_len: int = 40  # training strings of 2 to 40 bits; validation at 40
    test_lengths: tuple[int, ...] = (40, 256)  # whole-string parity tested at these lengths
    batches_per_epoch: int = 25  # an "epoch": 25 fresh minibatches, then validation
    num_test: int = 512  # validation and test strings per length
    fit: FitConfig = FitConfig(num_epochs=12, batch_size=64, lr=1e-2)  # Adam; the seed is per run


@dataclass(frozen=True)
class MQARRecipe(TrainingRecipe):
    """Multi-query associative recall (chapter 14): the pairs grow, the models stay the same size."""

    PER_RUN = ("seed", "dropout_seed")  # every run sets its seeds

    budget: int = 12000  # parameters, embedding and read-out included
    embed_size: int = 32
    shift: int = 1  # every core reads the previous token too: a key meets its value
    num_keys: int = 32
    num_values: int = 32
    batches_per_epoch: int = 25  # an "epoch": 25 fresh minibatches, then validation
    num_test: int = 512  # validation and test sequences
    fit: FitConfig = FitConfig(num_epochs=20, batch_size=64, lr=3e-3)  # Adam; the seed is per run


@dataclass(frozen=True)
class LMComparisonRecipe(TrainingRecipe):
    """The character language model table (chapter 14): matched parameters, matched seconds of updates."""

    PER_RUN = ("lr", "seed", "dropout_seed")  # the rate comes from lrs; every run sets its seeds

    budget: int = 60000  # parameters, embedding and read-out included
    embed_size: int = 32
    shift: int = 1  # every core reads the current and the previous character
    num_heads: int = 4  # sLSTM, mLSTM and Transformer heads (LSTM and minGRU: the width is a multiple of 4)
    val_fraction: float = 0.1  # chapters 3 and 4's split: 80 / 10 / 10
    test_fraction: float = 0.1
    window: int = 128  # training windows of 128 characters (+1 for the targets)
    context: int = 64  # evaluation: every scored character sees 64 to 127 before it
    batches_per_epoch: int = 25  # an "epoch" here: 25 random minibatches, then validation
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2)  # chosen per core on validation (seed 0)
    # Adam, no epoch limit: max_seconds of updates (validation not counted) ends training, the same for every core
    fit: FitConfig = FitConfig(num_epochs=10_000, batch_size=32, clip=1.0, max_seconds=60.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.context < self.window:
            raise ValueError(f"LMComparisonRecipe.context must be < window={self.window}, got {self.context}")


#: Parity's recipe: the script's and the chapter's live slice's.
PARITY_RECIPE = ParityRecipe()

#: MQAR's recipe.
MQAR_RECIPE = MQARRecipe()

#: The cores of the character language model table: four recurrent ones and a Transformer.
LM_CORES = ("lstm", "slstm", "mlstm", "mingru", "transformer")

#: The character language model table's recipe.
LM_RECIPE = LMComparisonRecipe()

Batch = tuple[torch.Tensor, torch.Tensor]


def _tag_loss(model: nn.Module, batch: Batch, state: RecurrentState) -> tuple[torch.Tensor, int, RecurrentState]:
    X, Y = batch
    scores = model(X)
    count = int((Y != -100).sum())
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), Y.reshape(-1), ignore_index=-100), count, None


@torch.no_grad()
def _accuracy(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, *, last_only: bool = False) -> float:
    model.eval()
    pred = model(X).argmax(-1)
    model.train()
    if last_only:
        return float((pred[:, -1] == Y[:, -1]).float().mean())
    mask = Y != -100
    return float((pred[mask] == Y[mask]).float().mean())


R = TypeVar("R")


def _recipe_of(name: str, recipe: object, kind: type[R]) -> R:
    if not isinstance(recipe, kind):
        raise TypeError(f"{name} must be a {kind.__name__} or None, got {type(recipe).__name__}")
    return recipe


def _check_core(core: str) -> None:
    if core not in TAGGER_CORES:
        raise ValueError(f"core must be one of {TAGGER_CORES}, got {core!r}")


def _train_tagger(
    model: TokenTagger,
    batches: Callable[[int], Iterator[Batch]],
    config: FitConfig,
    seed: int,
    validate: Callable[[nn.Module], float],
) -> History:
    """Both tasks' training: the one loop on the CPU, the epoch with the best validation accuracy kept."""
    return fit(
        model,
        batches,
        _tag_loss,
        replace(config, seed=seed, dropout_seed=seed),
        validate=validate,
        metric="accuracy",
        higher_is_better=True,
        device="cpu",
        progress=False,
    )


def run_parity(core: str, seed: int, recipe: ParityRecipe | None = None) -> dict[str, Any]:
    """Train ``core`` on running parity (lengths <= 40) with ``seed``; whole-string accuracy at each test length.

    Returns ``{"core", "seed", "hidden", "params", "val_acc", "test_acc":
    {length: accuracy}, "seconds"}``; chance is 0.5 (chapter 14).
    """
    _check_core(core)
    seed = check_seed(seed)
    r = _recipe_of("recipe", PARITY_RECIPE if recipe is None else recipe, ParityRecipe)
    max_len = check_positive_int("train_max_len", r.train_max_len)
    hidden = matched_hidden(core, r.budget, 2, 2, embed_size=r.embed_size)
    torch.manual_seed(seed)
    model = TokenTagger(core, 2, 2, hidden, embed_size=r.embed_size)
    gen = replace(r.fit, seed=seed).batch_generator()  # the lengths and strings of the minibatches
    Xv, Yv = parity_task(r.num_test, max_len, seed=10_000 + seed)

    def batches(epoch: int) -> Iterator[Batch]:
        for _ in range(r.batches_per_epoch):
            length = int(torch.randint(2, max_len + 1, (1,), generator=gen))
            yield parity_task(r.fit.batch_size, length, seed=int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))

    hist = _train_tagger(model, batches, r.fit, seed, lambda m: _accuracy(m, Xv, Yv, last_only=True))
    test = {}
    for length in r.test_lengths:
        Xt, Yt = parity_task(r.num_test, int(length), seed=20_000 + seed)
        test[str(length)] = _accuracy(model, Xt, Yt, last_only=True)
    return {
        "core": core,
        "seed": seed,
        "hidden": hidden,
        "params": sum(p.numel() for p in model.parameters()),
        "val_acc": max(hist.val_score),
        "test_acc": test,
        "seconds": hist.seconds,
    }


def run_mqar(core: str, seed: int, num_pairs: int, recipe: MQARRecipe | None = None) -> dict[str, Any]:
    """Train ``core`` on MQAR with ``num_pairs`` pairs and ``seed``; accuracy over the query positions (chapter 14).

    Fresh training data every minibatch; validation and test sets drawn with
    other seeds. Chance is ``1 / num_values``.
    """
    _check_core(core)
    seed = check_seed(seed)
    check_positive_int("num_pairs", num_pairs)
    r = _recipe_of("recipe", MQAR_RECIPE if recipe is None else recipe, MQARRecipe)
    vocab = r.num_keys + r.num_values
    shape = {"embed_size": r.embed_size, "shift": r.shift}
    hidden = matched_hidden(core, r.budget, vocab, vocab, **shape)
    torch.manual_seed(seed)
    model = TokenTagger(core, vocab, vocab, hidden, **shape)
    kw = {"num_keys": r.num_keys, "num_values": r.num_values}
    Xv, Yv = mqar_task(r.num_test, num_pairs, seed=10_000 + seed, **kw)
    Xt, Yt = mqar_task(r.num_test, num_pairs, seed=20_000 + seed, **kw)

    def batches(epoch: int) -> Iterator[Batch]:
        for i in range(r.batches_per_epoch):
            yield mqar_task(r.fit.batch_size, num_pairs, seed=1_000_000 * (seed + 1) + 1000 * epoch + i, **kw)

    hist = _train_tagger(model, batches, r.fit, seed, lambda m: _accuracy(m, Xv, Yv))
    return {
        "core": core,
        "seed": seed,
        "num_pairs": num_pairs,
        "hidden": hidden,
        "params": sum(p.numel() for p in model.parameters()),
        "val_acc": max(hist.val_score),
        "test_acc": _accuracy(model, Xt, Yt),
        "seconds": hist.seconds,
    }


def _lm_split(r: LMComparisonRecipe) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    corpus, vocab = load_time_machine()
    return (*split_corpus(corpus, r.val_fraction, r.test_fraction), len(vocab))


def _lm_loss(model: nn.Module, batch: Batch, state: RecurrentState) -> tuple[torch.Tensor, int, RecurrentState]:
    X, Y = batch
    scores = model(X)
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), Y.reshape(-1)), Y.numel(), None


def train_char_lm(
    core: str,
    seed: int,
    lr: float,
    recipe: LMComparisonRecipe | None = None,
    *,
    num_epochs: int | None = None,
) -> tuple[TokenTagger, dict[str, Any]]:
    """Train ``core`` as a character LM of *The Time Machine* with ``seed`` and ``lr`` (chapter 14).

    Every minibatch holds ``batch_size`` windows of the training text at
    random places (drawn from ``seed`` and the epoch). Training stops after
    ``max_seconds`` seconds of updates, or after ``num_epochs`` epochs when
    given (then ``max_seconds`` is ignored: the chapter's live slice, which
    repeats the first epochs of a timed run exactly). The epoch with the best
    validation perplexity is kept. Returns the model and ``{"core", "seed",
    "lr", "hidden", "params", "val_ppl": [per epoch], "best_epoch",
    "best_val_ppl" (``inf`` for a run that diverged or scored nan),
    "diverged", "train_seconds", "tokens", "tokens_per_second"}``; the test
    text is not read (:func:`char_lm_test_perplexity`).
    """
    if core not in LM_CORES:
        raise ValueError(f"core must be one of {LM_CORES}, got {core!r}")
    seed = check_seed(seed)
    r = _recipe_of("recipe", LM_RECIPE if recipe is None else recipe, LMComparisonRecipe)
    train, val, _, vocab = _lm_split(r)
    shape = {"embed_size": r.embed_size, "shift": r.shift, "num_heads": r.num_heads, "max_len": r.window}
    hidden = matched_hidden(core, r.budget, vocab, vocab, **shape)
    torch.manual_seed(seed)
    model = TokenTagger(core, vocab, vocab, hidden, **shape)
    window, batch_size = r.window, r.fit.batch_size
    offsets = torch.arange(window + 1)

    def batches(epoch: int) -> Iterator[Batch]:
        gen = torch.Generator().manual_seed(1_000_003 * seed + epoch)
        for _ in range(r.batches_per_epoch):
            starts = torch.randint(0, len(train) - window, (batch_size,), generator=gen)
            rows = train[starts[:, None] + offsets]
            yield rows[:, :-1], rows[:, 1:]

    config = replace(r.fit, lr=lr, seed=seed, dropout_seed=seed)
    if num_epochs is not None:  # the chapter's live slice: epochs instead of seconds
        config = replace(config, num_epochs=check_positive_int("num_epochs", num_epochs), max_seconds=None)
    hist = fit(
        model,
        batches,
        _lm_loss,
        config,
        validate=lambda m: window_perplexity(m, val, window=window, context=r.context),
        metric="perplexity",
        device="cpu",
        progress=False,
    )
    tokens = len(hist.step_loss) * batch_size * window
    # a run that diverged before its first validation, or scored nan, is never the one chosen
    best = hist.val_score[hist.best_epoch] if hist.val_score and hist.best_epoch >= 0 else math.inf
    return model, {
        "core": core,
        "seed": seed,
        "lr": lr,
        "hidden": hidden,
        "params": sum(p.numel() for p in model.parameters()),
        "val_ppl": hist.val_score,
        "best_epoch": hist.best_epoch,
        "best_val_ppl": best if math.isfinite(best) else math.inf,
        "diverged": hist.diverged,
        "train_seconds": hist.train_seconds,
        "tokens": tokens,
        "tokens_per_second": tokens / hist.train_seconds,
    }


def char_lm_test_perplexity(model: TokenTagger, recipe: LMComparisonRecipe | None = None) -> float:
    """The test perplexity of a model from :func:`train_char_lm` (read once, for the reported number)."""
    r = _recipe_of("recipe", LM_RECIPE if recipe is None else recipe, LMComparisonRecipe)
    test = _lm_split(r)[2]
    return window_perplexity(model, test, window=r.window, context=r.context)


def load_xlstm_lm(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read ``results/xlstm_lm.json`` (written by ``scripts/xlstm_lm.py``; chapter 14)."""
    where = find_results("xlstm_lm.json") if path is None else path
    return read_json_record(
        where, what="xlstm language model table", required=["runs", "chosen", "settings", "machine"]
    )


def load_xlstm_tasks(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read ``results/xlstm_tasks.json`` (written by ``scripts/xlstm_tasks.py``; chapter 14)."""
    where = find_results("xlstm_tasks.json") if path is None else path
    return read_json_record(where, what="xlstm task table", required=["parity", "mqar", "settings", "machine"])


def load_scan_speed(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read ``results/scan_speed_cpu.json`` (written by ``bench/scan_speed.py``; chapter 14)."""
    where = find_results("scan_speed_cpu.json") if path is None else path
    return read_json_record(where, what="scan timing table", required=["rows", "settings", "machine"])
