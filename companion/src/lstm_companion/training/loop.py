"""The book's one training loop, :func:`fit`, its update :func:`fit_step`, and what it records, :class:`History`.

Every chapter trains through :func:`fit`: language models with truncated
backpropagation through time (chapters 1-4, 8), fixed-length and padded
sequence tasks (chapters 2, 5), taggers and sentence classifiers (chapter 6),
encoder-decoders (chapter 7), and chapter 12's data-parallel program
(:mod:`lstm_companion.recipes.train_ddp`). What differs between them is what a
minibatch is and how its loss is computed, so :func:`fit` takes those as two
functions and does the rest once:

- an optimiser (SGD, Adam or AdamW: :data:`OPTIMIZERS`,
  :func:`make_optimizer`) over the trainable parameters;
- per minibatch, the loss and then :func:`fit_step`: ``zero_grad``,
  ``backward``, gradient clipping to a global norm (:func:`clip_gradients`,
  Pascanu et al. 2013), the optimiser's (and a scheduler's) step; the loss
  and gradient norm (:func:`grad_norm`) are recorded, and an ``on_step``
  callback may stop the run (chapter 12's program checkpoints there);
- with ``carry_state=True``, the recurrent state of one minibatch is passed
  to the next and detached at the boundary (truncated BPTT), reset at each
  epoch;
- after each epoch: the mean training loss, a validation score, early
  stopping after ``patience`` epochs without a better score, the best
  epoch's weights restored at the end, an ``on_epoch`` callback;
- a progress bar; a stop at the first non-finite loss (with the step and a
  hint, as a warning, and ``History.diverged``), after ``num_updates``
  updates, or when ``max_seconds`` of training (the updates, not the
  validation) ran out.

:class:`~lstm_companion.FitConfig` (:mod:`lstm_companion.training.config`)
holds these settings and the wrappers' batching settings: it is the only
training config in the book, and its docstring is the one rule for what is
seeded where. The wrappers that say what a minibatch is are in
:mod:`lstm_companion.training.bptt`, :mod:`lstm_companion.training.supervised`,
:mod:`lstm_companion.training.seq2seq` and
:mod:`lstm_companion.training.forecasting`; the load-or-train cache of the
resulting :class:`History` is in :mod:`lstm_companion.training.cache`.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Generic, TypeVar

import torch
from torch import nn
from tqdm.auto import tqdm

from .._checks import check_positive_float, exp_or_inf
from ..models.state import detach_state
from ..runtime import get_device
from .config import FitConfig, check_fit_config

__all__ = ["History", "fit", "fit_step", "make_optimizer", "grad_norm", "clip_gradients"]


def grad_norm(params: Iterable[nn.Parameter]) -> float:
    """Global L2 norm of the gradients of ``params`` (those that have one)."""
    norms = [p.grad.detach().norm() for p in params if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


def clip_gradients(params: Iterable[nn.Parameter], max_norm: float, *, error_if_nonfinite: bool = False) -> float:
    """Rescale gradients so their global norm is at most ``max_norm`` (chapter 1).

    ``g <- min(1, max_norm / ||g||) g`` (Pascanu et al., 2013). Returns the
    norm before clipping. This is the rule of ``torch.nn.utils.clip_grad_norm_``,
    which divides by ``||g|| + 1e-6`` instead of ``||g||``. As there, a
    non-finite norm (an inf or nan in some gradient) makes every gradient nan,
    so the next loss shows it, and warns; ``error_if_nonfinite=True`` raises instead.
    """
    check_positive_float("max_norm", max_norm)
    if isinstance(params, torch.Tensor) or not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of parameters (model.parameters()), got {type(params).__name__}")
    params = list(params)
    if not all(isinstance(p, torch.Tensor) for p in params):
        raise TypeError("params must hold tensors (model.parameters())")
    params = [p for p in params if p.grad is not None]
    norm = grad_norm(params)
    if not math.isfinite(norm):
        if error_if_nonfinite:
            raise ValueError(f"the gradients' global norm is {norm}: some gradient holds inf or nan")
        warnings.warn(
            f"the gradients' global norm is {norm}: every gradient is set to nan, as clip_grad_norm_ does "
            "(lower the learning rate, or pass error_if_nonfinite=True to stop here)",
            RuntimeWarning,
            stacklevel=2,
        )
        for p in params:
            p.grad.fill_(math.nan)  # type: ignore[union-attr]
    elif norm > max_norm:
        for p in params:
            p.grad.mul_(max_norm / norm)  # type: ignore[union-attr]
    return norm


@dataclass
class History:
    """What :func:`fit` measured: one record for every kind of training in the book."""

    step_loss: list[float] = field(default_factory=list)  # training loss of every minibatch
    step_grad_norm: list[float] = field(default_factory=list)  # gradient norm before clipping, every minibatch
    train_loss: list[float] = field(default_factory=list)  # mean training loss (per token/sample) of every epoch
    val_score: list[float] = field(default_factory=list)  # validation score after every epoch
    metric: str = ""  # what val_score measures: "perplexity", "accuracy", ...
    best_epoch: int = -1  # epoch (0-based) with the best validation score
    diverged: bool = False  # the loss became inf or nan
    diverged_step: int = -1  # the minibatch (0-based, counted over all epochs) where it did
    seconds: float = 0.0  # wall-clock time of the whole call, validation included
    train_seconds: float = 0.0  # the part of it spent in the epochs' minibatches (what max_seconds counts)

    @property
    def train_ppl(self) -> list[float]:
        """Training perplexity of every epoch, ``exp(train_loss)`` (for cross-entropy losses)."""
        return [exp_or_inf(x) for x in self.train_loss]

    @property
    def val_ppl(self) -> list[float]:
        """The validation scores of a language model (perplexities)."""
        return self._scores("perplexity")

    @property
    def val_acc(self) -> list[float]:
        """The validation scores of a classifier (accuracies)."""
        return self._scores("accuracy")

    @property
    def best_val_ppl(self) -> float:
        return self.val_ppl[self.best_epoch] if self.val_score else math.inf

    @property
    def best_val_acc(self) -> float:
        return self.val_acc[self.best_epoch] if self.val_score else math.nan

    def _scores(self, metric: str) -> list[float]:
        if self.val_score and self.metric != metric:
            raise AttributeError(f"this history's validation scores are {self.metric!r}, not {metric!r}")
        return self.val_score

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: object, *, source: str = "history") -> History:
        """Rebuild a history from :meth:`to_dict`'s output; a damaged record raises naming ``source``."""
        names = {f.name for f in fields(cls)}
        if not isinstance(d, dict) or not set(d) <= names or "step_loss" not in d:
            keys = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"{source} is not a training history (expected the keys {sorted(names)}, got {keys})")
        return cls(**d)


Batch = TypeVar("Batch")
State = Any


def make_optimizer(params: list[nn.Parameter], config: FitConfig) -> torch.optim.Optimizer:
    """The optimiser ``config.optimizer`` over ``params`` with ``config.lr`` (momentum for SGD, weight decay for AdamW)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def fit_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss: torch.Tensor,
    clip: float | None,
    scheduler: Any = None,
) -> float:
    """One update from ``loss``: the book's only backward pass and optimiser step outside the fast-LSTM rungs.

    Clears the gradients, backpropagates ``loss`` (under DDP the gradients are
    averaged over the ranks here), clips the gradients of ``model``'s trainable
    parameters to global norm ``clip`` with :func:`clip_gradients` (``None``:
    no clipping), steps ``optimizer`` and then ``scheduler`` (if any). Returns
    the gradients' global norm before clipping. :func:`fit` calls it for every
    minibatch; so does chapter 12's :func:`~lstm_companion.lm_train_step`.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise TypeError(f"loss must be a scalar tensor (the minibatch's mean loss), got {got}")
    optimizer.zero_grad(set_to_none=True)
    torch.autograd.backward(loss)  # = loss.backward(), which torch leaves unannotated
    params = [p for p in model.parameters() if p.requires_grad]
    norm = clip_gradients(params, clip) if clip is not None else grad_norm(params)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return norm


class _Best(Generic[Batch]):
    """Early-stopping bookkeeping: the best score so far and its weights."""

    def __init__(self, higher_is_better: bool) -> None:
        self.sign = -1.0 if higher_is_better else 1.0
        self.state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0


def fit(
    model: nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    loss_fn: Callable[[nn.Module, Batch, State], tuple[torch.Tensor, int, State]],
    config: FitConfig,
    *,
    validate: Callable[[nn.Module], float] | None = None,
    metric: str = "",
    higher_is_better: bool = False,
    carry_state: bool = False,
    on_epoch: Callable[[int, History], bool | None] | None = None,
    on_step: Callable[[int, History], bool | None] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    desc: str = "epochs",
) -> History:
    """Train ``model`` and return its :class:`History` (the one training loop of the book).

    ``batches(epoch)`` yields the minibatches of epoch ``epoch`` (0-based);
    ``loss_fn(model, batch, state)`` returns ``(loss, count, state)``: the
    mean loss of the minibatch (a scalar tensor), the number of items it
    averages over (tokens, samples: the epoch's ``train_loss`` is weighted by
    them) and the recurrent state to carry to the next minibatch (``None``
    when there is none). With ``carry_state`` the state starts as ``None`` in
    every epoch and is detached before each minibatch (truncated BPTT).

    ``validate(model)`` scores the model after each epoch (a perplexity with
    ``higher_is_better=False``, an accuracy with ``True``); early stopping and
    ``restore_best`` use it. ``on_epoch(epoch, history)`` runs after each
    epoch; if it returns ``True``, training stops there (a caller's own
    early stopping, e.g. on a score that is costly to compute). The model is moved to ``device`` (default: the fastest present)
    and left in training mode.

    ``on_step(step, history)`` runs after every update (``step`` counts the
    updates of this call, from 1); returning ``True`` stops training there
    (chapter 12's program writes its checkpoints from it). ``optimizer``
    replaces the one :func:`make_optimizer` would build from ``config`` (one
    restored from a checkpoint, say); it must hold exactly the model's
    trainable parameters. ``scheduler`` steps after every update.
    ``config.num_updates`` (if set) stops training after that many updates
    of this call, in whichever epoch they fall.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(batches):
        raise TypeError(f"batches must be a function epoch -> minibatches, got {type(batches).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function (model, batch, state) -> (loss, count, state), got {loss_fn!r}")
    config = check_fit_config(config)
    dev = get_device(device)
    model.to(dev)
    if config.dropout_seed is not None:
        torch.manual_seed(config.dropout_seed)  # the dropout masks (FitConfig's rule for seeds)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (requires_grad=True)")
    if optimizer is None:
        opt = make_optimizer(params, config)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    elif {id(p) for g in optimizer.param_groups for p in g["params"]} != {id(p) for p in params}:
        raise ValueError("optimizer must hold exactly the model's trainable parameters")
    else:
        opt = optimizer
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (a torch LR scheduler), got {type(scheduler).__name__}")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be a function (step, history) -> bool | None, got {on_step!r}")
    hist = History(metric=metric)
    best = _Best[Any](higher_is_better)
    start = time.perf_counter()
    outside = 0.0  # seconds spent validating and in on_epoch: not training time
    step = 0
    stop_now = False
    epochs = tqdm(range(config.num_epochs), desc=desc, disable=not progress or config.num_epochs == 1, leave=False)
    for epoch in epochs:
        model.train()
        state: State = None
        total, count = 0.0, 0
        inner = tqdm(batches(epoch), desc="updates", disable=not progress or config.num_epochs > 1, leave=False)
        for batch in inner:
            if carry_state:
                state = detach_state(state)  # truncated BPTT: no gradient into the previous minibatch
            loss, n, state = loss_fn(model, batch, state)
            if not carry_state:
                state = None
            norm = fit_step(model, opt, loss, config.clip, scheduler)
            value = loss.item()
            hist.step_loss.append(value)
            hist.step_grad_norm.append(norm)
            if not math.isfinite(value) and config.stop_on_nonfinite:
                hist.diverged, hist.diverged_step = True, step
                warnings.warn(
                    f"training stopped: the loss became {value} at minibatch {step} (epoch {epoch}); "
                    "lower the learning rate, clip the gradients (clip=...) or check the inputs for inf/nan",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            total += value * n
            count += n
            step += 1
            if on_step is not None and on_step(step, hist) is True:
                stop_now = True  # the caller asked to stop
                break
            if config.num_updates is not None and step >= config.num_updates:
                stop_now = True
                break
            if config.max_seconds is not None and time.perf_counter() - start - outside > config.max_seconds:
                stop_now = True
                break
        if hist.diverged:
            break
        hist.train_loss.append(total / max(count, 1))
        hist.train_seconds = time.perf_counter() - start - outside
        if validate is not None:
            score = float(validate(model))
            hist.val_score.append(score)
            if hist.best_epoch < 0 or best.sign * score < best.sign * hist.val_score[hist.best_epoch]:
                hist.best_epoch, best.bad_epochs = epoch, 0
                if config.restore_best:
                    best.state = copy.deepcopy(model.state_dict())
            else:
                best.bad_epochs += 1
            epochs.set_postfix(train_loss=f"{hist.train_loss[-1]:.3f}", val=f"{score:.3f}")
        hist.seconds = time.perf_counter() - start
        stop_requested = on_epoch is not None and on_epoch(epoch, hist) is True
        outside = time.perf_counter() - start - hist.train_seconds
        if stop_requested or stop_now or (config.patience is not None and best.bad_epochs >= config.patience):
            break
    if hist.diverged:
        hist.train_seconds = time.perf_counter() - start - outside
    if best.state is not None:
        model.load_state_dict(best.state)
    hist.seconds = time.perf_counter() - start
    return hist
