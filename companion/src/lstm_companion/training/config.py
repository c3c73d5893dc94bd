"""The book's one training config, :class:`FitConfig`, its one rule for seeds, and the recipes' rule.

Every chapter trains through :func:`~lstm_companion.fit` or one of its
wrappers, and every one of them takes a :class:`FitConfig`: the optimiser
(:data:`OPTIMIZERS`), clipping, stopping, the batching the wrappers read, and
the seeds, whose rule is written once, in its docstring. A recipe (chapter
6's classifier, chapter 8's ablation tasks, ...) is a frozen dataclass
holding its FitConfig as ``fit``: :func:`check_recipe` checks one when it is
built, and :func:`recipe_record` is its record in ``results/`` and in the
trained-model cache keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, ClassVar

import torch

from .._checks import (
    check_bool,
    check_nonneg_float,
    check_positive_float,
    check_positive_int,
    check_probability,
    check_seed,
    check_str,
)

__all__ = ["OPTIMIZERS", "FitConfig", "TrainingRecipe", "check_fit_config", "check_recipe", "recipe_record"]


OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass(frozen=True)
class FitConfig:
    """How a model trains: the book's one training config, for :func:`fit` and every wrapper around it.

    :func:`fit` reads the optimiser, clipping, stopping (``num_epochs``,
    ``num_updates``, ``patience``, ``max_seconds``, ``stop_on_nonfinite``),
    ``restore_best`` and ``dropout_seed`` fields; the wrappers that say what a minibatch is read the batching
    fields (``batch_size``; ``num_steps`` and ``sequential`` for language
    models, :func:`~lstm_companion.train_lm`; ``num_updates`` for the
    sample tasks' budget, :func:`~lstm_companion.train_on_task`).

    **Seeds.** Three things in training are random: the model's initial
    weights, the dropout masks and the order of the minibatches. One rule
    holds everywhere in the book:

    - the initial weights: the caller seeds torch
      (:func:`~lstm_companion.seed_everything`) before building the model
      (the recipes' ``model_seed``);
    - the minibatch order: ``seed``, through a generator of its own
      (:meth:`batch_generator`), so changing it never moves the weights or
      the masks;
    - the dropout masks: torch's global generator, which goes on from where
      the model's construction left it; ``dropout_seed`` (if set) reseeds it
      at the start of :func:`fit`, so the masks repeat whatever ran in between.
    """

    num_epochs: int = 10  # passes over the data (an "epoch" is whatever ``batches(epoch)`` yields)
    num_updates: int | None = None  # stop after this many updates of one fit call; the sample tasks' budget
    batch_size: int = 32  # samples, sentences or parallel streams per minibatch
    num_steps: int = 32  # language models: the BPTT truncation length, tokens per minibatch row
    sequential: bool = True  # language models: parallel streams, state carried (else random offsets)
    lr: float = 1e-3  # learning rate
    optimizer: str = "adam"  # "sgd", "adam" or "adamw"
    momentum: float = 0.0  # SGD's momentum (only with optimizer="sgd")
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (only with optimizer="adamw")
    clip: float | None = 1.0  # max global gradient norm; None: no clipping (the norm is still recorded)
    patience: int | None = None  # stop after this many epochs without a better validation score
    restore_best: bool = True  # end with the weights of the best validation epoch
    stop_on_nonfinite: bool = True  # stop at the first inf/nan loss (History.diverged)
    max_seconds: float | None = None  # stop at the first minibatch after this much time in updates (not validation)
    seed: int = 0  # the minibatch order (batch_generator)
    dropout_seed: int | None = None  # if set, torch.manual_seed(dropout_seed) at the start of fit: the masks repeat

    def check(self) -> None:
        """Raise naming the first field that is out of range."""
        check_positive_int("num_epochs", self.num_epochs)
        if self.num_updates is not None:
            check_positive_int("num_updates", self.num_updates)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("num_steps", self.num_steps)
        check_bool("sequential", self.sequential)
        check_bool("restore_best", self.restore_best)
        check_bool("stop_on_nonfinite", self.stop_on_nonfinite)
        check_positive_float("lr", self.lr)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        check_nonneg_float("weight_decay", self.weight_decay)
        check_nonneg_float("momentum", self.momentum)
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"momentum needs optimizer='sgd', got optimizer={self.optimizer!r}")
        if self.weight_decay and self.optimizer != "adamw":
            raise ValueError(f"weight_decay needs optimizer='adamw', got optimizer={self.optimizer!r}")
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        if self.patience is not None:
            check_positive_int("patience", self.patience)
        if self.max_seconds is not None:
            check_positive_float("max_seconds", self.max_seconds)
        check_seed(self.seed)
        if self.dropout_seed is not None:
            check_seed(self.dropout_seed, "dropout_seed")

    def batch_generator(self) -> torch.Generator:
        """A fresh generator seeded with ``seed``: the minibatch order of a run (its own stream, see above)."""
        return torch.Generator().manual_seed(self.seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_fit_config(config: object) -> FitConfig:
    """``config`` if it is a :class:`FitConfig` whose fields are in range; else raise naming ``config`` or the field."""
    if not isinstance(config, FitConfig):
        raise TypeError(f"config must be a FitConfig, got {type(config).__name__}")
    config.check()
    return config


def check_recipe(recipe: Any) -> None:
    """Check a recipe, a frozen dataclass holding its :class:`FitConfig` as ``fit``; raise naming ``Class.field``.

    The recipes' one rule, read from each field's annotation: ``fit`` a
    checked :class:`FitConfig`; an ``int`` positive (``*seed``: any int;
    ``shift`` and ``context``: >= 0); a ``float`` positive (``*_fraction``:
    in (0, 1), and ``val_fraction + test_fraction < 1``; ``dropout``: in
    [0, 1)); a ``str`` not empty; a ``tuple[int, ...]`` or ``tuple[float,
    ...]`` a non-empty tuple of positive ints or numbers. Every recipe calls
    it when it is built.
    """
    if not is_dataclass(recipe) or isinstance(recipe, type):
        raise TypeError(f"recipe must be a dataclass instance, got {type(recipe).__name__}")
    where = type(recipe).__name__
    for f in fields(recipe):
        name, value = f.name, getattr(recipe, f.name)
        kind = f.type if isinstance(f.type, str) else f.type.__name__ if isinstance(f.type, type) else str(f.type)
        label = f"{where}.{name}"
        if kind == "FitConfig":
            if not isinstance(value, FitConfig):
                raise TypeError(f"{label} must be a FitConfig, got {type(value).__name__}")
            try:
                value.check()
            except (TypeError, ValueError) as err:
                raise type(err)(f"{label}: {err}") from None
        elif kind == "int":
            if name.endswith("seed"):
                check_seed(value, label)
            elif name in ("shift", "context"):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{label} must be an int, got {type(value).__name__} {value!r}")
                if value < 0:
                    raise ValueError(f"{label} must be an int >= 0, got {value}")
            else:
                check_positive_int(label, value)
        elif kind == "float":
            if name.endswith("_fraction"):
                if not 0 < check_probability(label, value) < 1:
                    raise ValueError(f"{label} must be a number in (0, 1), got {value}")
            elif name == "dropout":
                check_probability(label, value)
            else:
                check_positive_float(label, value)
        elif kind == "str":
            check_str(label, value)
        elif kind in ("tuple[int, ...]", "tuple[float, ...]"):
            if not isinstance(value, tuple) or not value:
                raise TypeError(f"{label} must be a non-empty tuple, got {type(value).__name__} {value!r}")
            check_item = check_positive_int if kind == "tuple[int, ...]" else check_positive_float
            for i, item in enumerate(value):
                check_item(f"{label}[{i}]", item)
        else:
            raise TypeError(f"{label}: check_recipe has no rule for a field of type {kind}")
    val, test = getattr(recipe, "val_fraction", None), getattr(recipe, "test_fraction", None)
    if val is not None and test is not None and val + test >= 1:
        raise ValueError(
            f"{where}.val_fraction + test_fraction must be < 1 (some data to train on), got {val} + {test}"
        )


def recipe_record(recipe: Any, *, per_run: tuple[str, ...] = ()) -> dict[str, Any]:
    """A recipe as its JSON record: its own fields, then ``fit`` (its FitConfig's fields), nested.

    The record is what ``results/`` files and the trained-model cache keys
    hold; tuples become lists, as JSON reads them back. ``per_run`` names the
    fit fields every run sets for itself (its seeds, a learning rate chosen per
    run): the recipe's own value of those decides nothing, so it is left out.
    """
    check_recipe(recipe)
    unknown = set(per_run) - {f.name for f in fields(FitConfig)}
    if unknown:
        raise ValueError(f"per_run must name FitConfig fields, got {sorted(unknown)}")
    own = {f.name: getattr(recipe, f.name) for f in fields(recipe) if f.name != "fit"}
    fit = {k: v for k, v in recipe.fit.to_dict().items() if k not in per_run}
    return {**{k: list(v) if isinstance(v, tuple) else v for k, v in own.items()}, "fit": fit}


class TrainingRecipe:
    """The base of every recipe: a frozen dataclass holding its :class:`FitConfig` as ``fit``.

    It is checked when built (:func:`check_recipe`; a subclass with more to
    check calls ``super().__post_init__()`` first) and recorded by
    :meth:`record` (:func:`recipe_record`, leaving out :attr:`PER_RUN`).
    """

    #: The FitConfig fields every run of the recipe sets for itself (its seeds, a rate chosen per run).
    PER_RUN: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        check_recipe(self)

    def record(self) -> dict[str, Any]:
        """The recipe as ``results/`` files and the trained-model cache keys hold it (:func:`recipe_record`)."""
        return recipe_record(self, per_run=self.PER_RUN)
