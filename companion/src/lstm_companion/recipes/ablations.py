"""Chapter 8's ablation: eight recurrent cores, two tasks, three seeds, and the committed table.

Chapter 8 asks which parts of the LSTM matter, as Greff et al. (2017) and
Jozefowicz et al. (2015) did at scale. One run builds a model around one
core, trains it on one task with one seed, and scores it:

- :data:`ABLATIONS`: the eight cores, each differing from ``"vanilla"`` (an
  LSTM with forget-gate bias 1) in one respect: forget-gate bias 0, no forget
  gate, no input gate, no output gate, coupled input and forget gates (each an
  :class:`~lstm_companion.LSTMVariant`), ``nn.GRU`` and ``nn.RNN``;
  :func:`make_core` builds one.
- :data:`ABLATION_RECIPES` and :data:`ABLATION_TASKS`: the two tasks, the
  adding problem (test MSE, :class:`AddingAblation`) and the character
  language model of *The Time Machine* (test perplexity of the best
  validation epoch, :class:`CharLMAblation`), frozen recipes holding their
  data, sizes and :class:`~lstm_companion.FitConfig`;
  :func:`ablation_settings` is their record in the committed table.
- :func:`ablation_data` (-> :class:`AblationData`), :func:`ablation_model`,
  :func:`train_ablation` and :func:`evaluate_ablation`: the steps of one run;
  :func:`run_ablation` takes them all (with ``cache=True`` the training goes
  through :func:`~lstm_companion.load_or_train`).
- :func:`load_ablation_table`: reads ``results/ablations.json``, which
  ``scripts/ablations.py`` writes by calling :func:`run_ablation` for every
  task, core and seed (2 x 8 x 3 = 48 runs); chapter 8 reads the table and
  reruns a live slice against it.

The variants are in :mod:`lstm_companion.models.variants`, the adding problem
in :mod:`lstm_companion.data.synthetic`, the training in
:mod:`lstm_companion.training`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from .._checks import check_positive_int, check_record_keys, check_seed
from ..data.download import find_results, read_json_record
from ..data.synthetic import adding_problem
from ..data.text import load_time_machine, split_corpus
from ..measure.metrics import mean_squared_error
from ..models.lm import RNNLM
from ..models.task_models import LastStateModel
from ..models.variants import LSTMVariant
from ..runtime import get_device, seed_everything
from ..training.bptt import evaluate_perplexity, train_lm
from ..training.cache import load_or_train
from ..training.config import FitConfig, TrainingRecipe
from ..training.loop import History
from ..training.supervised import train_on_task

__all__ = [
    "ABLATIONS",
    "AddingAblation",
    "CharLMAblation",
    "ABLATION_RECIPES",
    "ablation_settings",
    "ABLATION_TASKS",
    "make_core",
    "AblationData",
    "ablation_data",
    "ablation_model",
    "train_ablation",
    "evaluate_ablation",
    "run_ablation",
    "load_ablation_table",
]


#: The eight models of chapter 8's ablation, each differing from ``"vanilla"`` in one respect.
#: ``core``: ``"lstm"`` (an :class:`LSTMVariant`), ``"gru"`` (``nn.GRU``) or ``"rnn"`` (``nn.RNN``, tanh).
ABLATIONS: dict[str, dict[str, Any]] = {
    "vanilla": {"core": "lstm", "variant": "vanilla", "forget_bias": 1.0},
    "forget_bias_0": {"core": "lstm", "variant": "vanilla", "forget_bias": 0.0},
    "no_forget": {"core": "lstm", "variant": "no_forget", "forget_bias": None},
    "no_input": {"core": "lstm", "variant": "no_input", "forget_bias": 1.0},
    "no_output": {"core": "lstm", "variant": "no_output", "forget_bias": 1.0},
    "coupled": {"core": "lstm", "variant": "coupled", "forget_bias": 1.0},
    "gru": {"core": "gru"},
    "rnn": {"core": "rnn"},
}


@dataclass(frozen=True)
class AddingAblation(TrainingRecipe):
    """Chapter 8's adding problem: the data, the models' size, and the training every core gets."""

    PER_RUN = ("seed",)  # train_ablation sets each run's seed

    num_steps: int = 50  # sequence length T
    num_hiddens: int = 64
    num_train: int = 10_000  # training samples (data seed 0)
    num_test: int = 2_000  # test samples (data seed 1)
    fit: FitConfig = FitConfig(num_epochs=1, num_updates=1000, batch_size=64, lr=1e-2, optimizer="adam", clip=1.0)


@dataclass(frozen=True)
class CharLMAblation(TrainingRecipe):
    """Chapter 8's character language model: the split, the models' size, and the training every core gets."""

    PER_RUN = ("seed",)  # train_ablation sets each run's seed

    num_hiddens: int = 128
    val_fraction: float = 0.1  # validation text: picks the best epoch
    test_fraction: float = 0.1  # test text: the score in the table
    fit: FitConfig = FitConfig(num_epochs=5, batch_size=64, num_steps=32, lr=1e-2, optimizer="adam", clip=1.0)


#: The two tasks (a read-only mapping of frozen recipes); the ablation script and chapter 8 share them.
ABLATION_RECIPES: Mapping[str, AddingAblation | CharLMAblation] = MappingProxyType(
    {"adding": AddingAblation(), "char_lm": CharLMAblation()}
)


ABLATION_TASKS = tuple(ABLATION_RECIPES)


def ablation_settings() -> dict[str, dict[str, Any]]:
    """Every task's :meth:`~AddingAblation.record`: the ``settings`` of ``results/ablations.json``."""
    return {task: recipe.record() for task, recipe in ABLATION_RECIPES.items()}


def make_core(ablation: str, num_inputs: int, num_hiddens: int) -> nn.Module:
    """The recurrent core of ``ablation`` (a key of :data:`ABLATIONS`), time-major like ``nn.LSTM`` (chapter 8)."""
    if ablation not in ABLATIONS:
        raise ValueError(f"ablation must be one of {tuple(ABLATIONS)}, got {ablation!r}")
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("num_hiddens", num_hiddens)
    spec = ABLATIONS[ablation]
    if spec["core"] == "gru":
        return nn.GRU(num_inputs, num_hiddens)
    if spec["core"] == "rnn":
        return nn.RNN(num_inputs, num_hiddens)
    return LSTMVariant(num_inputs, num_hiddens, variant=spec["variant"], forget_bias=spec["forget_bias"])


@dataclass
class AblationData:
    """The data of one ablation task (chapter 8); unused fields stay ``None``."""

    task: str
    X_train: torch.Tensor | None = None  # adding: (num_train, num_steps, 2)
    y_train: torch.Tensor | None = None  # adding: (num_train,)
    X_test: torch.Tensor | None = None  # adding: (num_test, num_steps, 2)
    y_test: torch.Tensor | None = None  # adding: (num_test,)
    train_corpus: torch.Tensor | None = None  # char_lm: token indices
    val_corpus: torch.Tensor | None = None  # char_lm: validation text (picks the epoch)
    test_corpus: torch.Tensor | None = None  # char_lm: test text (the score)
    vocab_size: int = 0  # char_lm: 28 characters


def _check_task(task: object) -> str:
    if not isinstance(task, str) or task not in ABLATION_RECIPES:
        raise ValueError(f"task must be one of {ABLATION_TASKS}, got {task!r}")
    return task


def ablation_data(task: str) -> AblationData:
    """Load or generate the data of ``task`` (``"adding"`` or ``"char_lm"``) with :data:`ABLATION_RECIPES`."""
    r = ABLATION_RECIPES[_check_task(task)]
    if isinstance(r, AddingAblation):
        X, y = adding_problem(r.num_train, r.num_steps, seed=0)
        X_test, y_test = adding_problem(r.num_test, r.num_steps, seed=1)
        return AblationData(task, X_train=X, y_train=y, X_test=X_test, y_test=y_test)
    corpus, vocab = load_time_machine()
    train_corpus, val_corpus, test_corpus = split_corpus(corpus, r.val_fraction, r.test_fraction)
    return AblationData(
        task, train_corpus=train_corpus, val_corpus=val_corpus, test_corpus=test_corpus, vocab_size=len(vocab)
    )


def ablation_model(task: str, ablation: str, seed: int, data: AblationData) -> nn.Module:
    """A freshly initialised model (seeded with ``seed``) for ``task`` around ``ablation``'s core (chapter 8)."""
    r = ABLATION_RECIPES[_check_task(task)]
    if not isinstance(data, AblationData):
        raise TypeError(f"data must be an AblationData (from ablation_data), got {type(data).__name__}")
    seed_everything(check_seed(seed))
    if task == "adding":
        return LastStateModel(make_core(ablation, 2, r.num_hiddens), 1)
    return RNNLM(make_core(ablation, data.vocab_size, r.num_hiddens), data.vocab_size)


def train_ablation(
    task: str,
    model: nn.Module,
    seed: int,
    data: AblationData,
    *,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``task`` with :data:`ABLATION_RECIPES`, minibatch order seeded by ``seed`` (chapter 8)."""
    config = replace(ABLATION_RECIPES[_check_task(task)].fit, seed=check_seed(seed))
    if task == "adding":
        assert data.X_train is not None and data.y_train is not None
        return train_on_task(model, data.X_train, data.y_train, config, device=device, progress=progress)
    assert data.train_corpus is not None
    return train_lm(model, data.train_corpus, data.val_corpus, config, device=device, progress=progress)


def evaluate_ablation(task: str, model: nn.Module, data: AblationData) -> float:
    """The measure of ``task``: test MSE (adding) or test perplexity (char_lm); lower is better."""
    if _check_task(task) == "adding":
        assert data.X_test is not None and data.y_test is not None
        return mean_squared_error(model, data.X_test, data.y_test)
    assert data.test_corpus is not None
    return evaluate_perplexity(model, data.test_corpus)


def run_ablation(
    task: str,
    ablation: str,
    seed: int,
    data: AblationData | None = None,
    *,
    device: torch.device | str | None = "cpu",
    cache: bool = False,
    progress: bool = True,
) -> tuple[float, nn.Module]:
    """Build, train (or, with ``cache``, load via ``checkpoint.load_or_train``) and evaluate one run (chapter 8).

    Returns ``(score, model)``: the test MSE or the test perplexity. The
    ablation script (``scripts/ablations.py``) calls this for every task,
    ablation and seed; chapter 8 reruns a few with ``cache=True``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    data = ablation_data(task) if data is None else data
    if not isinstance(data, AblationData):
        raise TypeError(f"data must be an AblationData (from ablation_data) or None, got {type(data).__name__}")
    if data.task != task:
        raise ValueError(f"data must be the data of task {task!r}, got data of {data.task!r}")
    dev = get_device(device)
    model = ablation_model(task, ablation, seed, data).to(dev)

    def train() -> History:
        return train_ablation(task, model, seed, data, device=dev, progress=progress)

    if cache:
        recipe = ABLATION_RECIPES[task].record()
        settings = {"task": task, "ablation": ablation, "seed": seed, **ABLATIONS[ablation], **recipe}
        load_or_train(f"ch08-{task}-{ablation}-{seed}", model, settings, train, device=dev)
    else:
        train()
    return evaluate_ablation(task, model, data), model


def load_ablation_table(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read the table written by ``scripts/ablations.py`` (chapter 8).

    Without ``path``, find ``results/ablations.json`` with
    :func:`lstm_companion.find_results` (a notebook runs in ``notebooks/``). The table holds
    ``settings``, ``ablations``, ``seeds``, ``machine``,
    ``companion_version`` and ``results[task][ablation]`` with the per-seed
    ``scores`` and their ``mean``, ``min``, ``max`` and ``std``.
    """
    if path is None:
        path = find_results("ablations.json")
    table = read_json_record(path, what="ablation table", required=("settings", "ablations", "seeds", "results"))
    results = table["results"]
    if not isinstance(results, dict):
        raise ValueError(f"{path} is not an ablation table: ['results'] must be a dict, got {type(results).__name__}")
    for task, rows in results.items():
        if not isinstance(rows, dict):
            raise ValueError(f"{path} is damaged: ['results'][{task!r}] must be a dict, got {type(rows).__name__}")
        for ablation, row in rows.items():
            check_record_keys(
                row, ("scores", "mean"), where=f"{path} ['results'][{task!r}][{ablation!r}]", what="ablation result"
            )
    return table
