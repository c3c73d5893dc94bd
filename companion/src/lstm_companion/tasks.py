"""Seeded synthetic tasks with long-range dependencies, and a small model to learn them (chapter 2).

Chapter 2 ("Vanishing and exploding gradients") shows a plain RNN failing as
the distance between cause and effect grows; the LSTM chapters solve the same
tasks. Every generator takes a ``seed`` and draws from its own
``torch.Generator``: the same seed gives the same data, whatever else the
program does with PyTorch's global random state.

- :func:`agreement_task`: "The cat(s), which ..., was/were": the first token
  is a subject of class 0 or 1, then ``distance`` filler tokens; the label is
  the subject's class.
- :func:`adding_problem`: the adding problem of Hochreiter and Schmidhuber
  (1997): a sequence of ``(value, marker)`` pairs, exactly two markers; the
  target is the sum of the two marked values.
- :class:`LastStateModel`: inputs -> recurrent core -> linear layer on the
  core's last output.
- :func:`train_on_task` and :func:`accuracy`: a minibatch training loop with
  clipping, and the fraction of correct labels.

Data are stored **sample-first**: ``X`` has shape ``(num_samples, num_steps)``
(token indices) or ``(num_samples, num_steps, num_inputs)`` (features), so
that a minibatch is ``X[indices]``. :class:`LastStateModel` turns a minibatch
into the time-major layout ``(num_steps, batch_size, num_inputs)`` that
``RNNScratch`` and ``nn.RNN`` read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ._checks import check_positive_float, check_positive_int, check_tensor
from .train import History, _model_device, clip_gradients, get_device, grad_norm

__all__ = [
    "SUBJECT_TOKENS",
    "agreement_task",
    "adding_problem",
    "adding_baseline_mse",
    "LastStateModel",
    "TaskConfig",
    "train_on_task",
    "accuracy",
]

SUBJECT_TOKENS = (0, 1)  # token 0: a class-0 subject ("cat"), token 1: a class-1 subject ("cats")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    return seed


def agreement_task(
    num_samples: int,
    distance: int,
    *,
    vocab_size: int = 10,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subject-verb agreement across ``distance`` filler tokens (chapter 2).

    Each sequence has ``distance + 1`` tokens: a subject, token ``0`` (class 0,
    "cat") or token ``1`` (class 1, "cats"), followed by ``distance`` filler
    tokens drawn uniformly from ``2, ..., vocab_size - 1`` (the relative
    clause "which ..."). The label is the subject's class (the verb's number:
    "was" or "were"), to be predicted after the last token. The fillers carry
    no information about the label, so a model must carry it for ``distance``
    steps. Classes are exactly balanced (up to one sample) and shuffled, so
    guessing scores 0.5.

    Returns ``X`` of shape ``(num_samples, distance + 1)`` and ``y`` of shape
    ``(num_samples,)``, both ``torch.long``.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("distance", distance)
    check_positive_int("vocab_size", vocab_size)
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be >= 3 (two subject tokens and at least one filler), got {vocab_size}")
    gen = torch.Generator().manual_seed(_check_seed(seed))
    y = (torch.arange(num_samples) % 2)[torch.randperm(num_samples, generator=gen)]  # (num_samples,)
    X = torch.randint(2, vocab_size, (num_samples, distance + 1), generator=gen)  # fillers
    X[:, 0] = y  # the subject's token is its class
    return X, y


def adding_problem(num_samples: int, num_steps: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter and Schmidhuber, 1997) (chapter 2).

    Each of the ``num_steps`` time steps carries two inputs: a value drawn
    uniformly from ``[0, 1)`` and a marker, ``0`` or ``1``. Exactly two steps
    are marked, one drawn uniformly from the first half of the sequence
    (``t < num_steps // 2``) and one from the second half, and the target is
    the sum of the two marked values. This is the common modern form of the
    task; the 1997 paper's version draws values from ``[-1, 1]`` and places the
    markers slightly differently. Predicting the constant 1 (the mean target)
    gives a mean squared error of 1/6 (:func:`adding_baseline_mse`).

    Returns ``X`` of shape ``(num_samples, num_steps, 2)`` (channel 0: values,
    channel 1: markers) and ``y`` of shape ``(num_samples,)``, both float32.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("num_steps", num_steps)
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2 to hold two markers, got {num_steps}")
    gen = torch.Generator().manual_seed(_check_seed(seed))
    values = torch.rand(num_samples, num_steps, generator=gen)  # (num_samples, num_steps)
    half = num_steps // 2
    first = torch.randint(0, half, (num_samples,), generator=gen)
    second = torch.randint(half, num_steps, (num_samples,), generator=gen)
    markers = torch.zeros(num_samples, num_steps)
    rows = torch.arange(num_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = torch.stack([values, markers], dim=-1)  # (num_samples, num_steps, 2)
    y = values[rows, first] + values[rows, second]  # (num_samples,)
    return X, y


def adding_baseline_mse() -> float:
    """MSE of always predicting 1 on the adding problem: Var(U1 + U2) = 2/12 = 1/6 (chapter 2)."""
    return 1.0 / 6.0


class LastStateModel(nn.Module):
    """Read a whole sequence with a recurrent ``core``; predict from its last output (chapter 2).

    ``core`` follows ``nn.RNN``'s convention (``RNNScratch``, ``nn.RNN``,
    ``nn.LSTM``, ``nn.GRU``): called with time-major inputs ``(num_steps,
    batch_size, num_inputs)``, it returns ``(outputs, state)``. With
    ``vocab_size`` given, ``forward`` takes token indices ``X`` of shape
    ``(batch_size, num_steps)`` and feeds them one-hot; without it, it takes
    features ``(batch_size, num_steps, num_inputs)``. It returns
    ``(batch_size, num_outputs)``: class logits, or a regression output.
    """

    def __init__(self, core: nn.Module, num_outputs: int, *, vocab_size: int | None = None) -> None:
        super().__init__()
        check_positive_int("num_outputs", num_outputs)
        num_hiddens = getattr(core, "num_hiddens", None) or getattr(core, "hidden_size", None)
        num_inputs = getattr(core, "num_inputs", None) or getattr(core, "input_size", None)
        if num_hiddens is None or num_inputs is None:
            raise TypeError(
                "core must expose num_hiddens/num_inputs or hidden_size/input_size (like RNNScratch or nn.RNN), "
                f"got {type(core).__name__}"
            )
        if getattr(core, "batch_first", False):
            raise ValueError("core must take time-major inputs (batch_first=False)")
        if vocab_size is not None:
            check_positive_int("vocab_size", vocab_size)
            if num_inputs != vocab_size:
                raise ValueError(f"core's input size must equal vocab_size={vocab_size} (one-hot inputs), got {num_inputs}")
        self.core = core
        self.vocab_size = vocab_size
        self.num_inputs = int(num_inputs)
        self.num_hiddens = int(num_hiddens)
        self.output = nn.Linear(self.num_hiddens, num_outputs)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        weight = self.output.weight
        if self.vocab_size is not None:
            check_tensor("X", X, ndim=2, floating=False)
            if X.min() < 0 or X.max() >= self.vocab_size:
                raise ValueError(
                    f"X must hold token indices in [0, {self.vocab_size}), got values in [{int(X.min())}, {int(X.max())}]"
                )
            inputs = F.one_hot(X.T, self.vocab_size).to(weight.dtype)  # (num_steps, batch_size, vocab_size)
        else:
            check_tensor("X", X, shape=(None, None, self.num_inputs), floating=True)
            inputs = X.transpose(0, 1).to(weight.dtype)  # (num_steps, batch_size, num_inputs)
        outputs, _ = self.core(inputs)  # (num_steps, batch_size, num_hiddens)
        return self.output(outputs[-1])  # (batch_size, num_outputs)


@dataclass
class TaskConfig:
    """Settings of :func:`train_on_task`; the defaults are chapter 1's SGD recipe."""

    num_updates: int = 300  # parameter updates (minibatches), the training budget
    batch_size: int = 64  # samples per minibatch
    lr: float = 1.0  # learning rate
    optimizer: str = "sgd"  # "sgd" or "adam"
    clip: float | None = 1.0  # max global gradient norm; None disables clipping
    seed: int = 0  # seeds the order of the minibatches

    def check(self) -> None:
        check_positive_int("num_updates", self.num_updates)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        _check_seed(self.seed)


def _check_data(X: torch.Tensor, y: torch.Tensor) -> None:
    check_tensor("X", X)
    check_tensor("y", y, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must hold the same number of samples, got {X.shape[0]} and {y.shape[0]}")


def _task_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y.is_floating_point():
        if out.shape[1] != 1:
            raise ValueError(f"floating targets y need a model with num_outputs=1, got {out.shape[1]} outputs")
        return F.mse_loss(out[:, 0], y.to(out.dtype))
    return F.cross_entropy(out, y)


def train_on_task(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    config: TaskConfig,
    *,
    lengths: torch.Tensor | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on samples ``(X, y)`` for ``config.num_updates`` minibatches (chapter 2).

    With ``lengths`` (one integer per sample, chapter 5's padded batches) the
    model is called as ``model(X_batch, lengths_batch)``, the lengths staying
    on the CPU as ``pack_padded_sequence`` wants them.

    Integer labels ``y`` are fitted with cross-entropy, floating targets with
    mean squared error (on the model's single output). Minibatches are drawn
    without replacement from a seeded permutation, reshuffled after each pass.
    Returns a :class:`~lstm_companion.train.History` whose ``step_loss`` and
    ``step_grad_norm`` (before clipping) hold one value per update; the model
    is left on ``device`` (default: the fastest one present).
    """
    _check_data(X, y)
    if lengths is not None:
        check_tensor("lengths", lengths, shape=(X.shape[0],), floating=False)
    config.check()
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size must be <= the number of samples {X.shape[0]}, got {config.batch_size}")
    dev = get_device(device)
    model.to(dev)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt: torch.optim.Optimizer = (
        torch.optim.SGD(params, lr=config.lr) if config.optimizer == "sgd" else torch.optim.Adam(params, lr=config.lr)
    )
    gen = torch.Generator().manual_seed(config.seed)
    per_pass = X.shape[0] // config.batch_size
    hist = History()
    order = torch.randperm(X.shape[0], generator=gen)
    for update in tqdm(range(config.num_updates), desc="updates", disable=not progress, leave=False):
        i = update % per_pass
        if i == 0 and update > 0:
            order = torch.randperm(X.shape[0], generator=gen)
        idx = order[i * config.batch_size : (i + 1) * config.batch_size]
        xb, yb = X[idx].to(dev), y[idx].to(dev)
        out = model(xb) if lengths is None else model(xb, lengths[idx])
        loss = _task_loss(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_gradients(params, config.clip) if config.clip is not None else grad_norm(params)
        opt.step()
        hist.step_loss.append(loss.item())
        hist.step_grad_norm.append(norm)
        if not math.isfinite(hist.step_loss[-1]):
            hist.diverged = True
            break
    return hist


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """Fraction of samples whose largest logit is the label ``y`` (chapter 2)."""
    _check_data(X, y)
    check_tensor("y", y, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, X.shape[0], batch_size):
        logits = model(X[i : i + batch_size].to(dev))  # (batch_size, num_classes)
        correct += int((logits.argmax(dim=1).to(y.device) == y[i : i + batch_size]).sum())
    model.train(was_training)
    return correct / X.shape[0]


# ---------------------------------------------------------------- chapter 5


@torch.no_grad()
def mean_squared_error(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """Mean squared error of a regression model's single output against float targets ``y`` (chapter 5).

    The measure of the adding problem, where always predicting 1 scores
    :func:`adding_baseline_mse` = 1/6. ``model(X[i:j])`` must return
    ``(batch_size, 1)``, like :class:`LastStateModel` with ``num_outputs=1``.
    """
    _check_data(X, y)
    check_tensor("y", y, ndim=1, floating=True)
    check_positive_int("batch_size", batch_size)
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    total = 0.0
    for i in range(0, X.shape[0], batch_size):
        out = model(X[i : i + batch_size].to(dev))  # (batch_size, 1)
        if out.dim() != 2 or out.shape[1] != 1:
            raise ValueError(f"model must return (batch_size, 1) for float targets y, got shape {tuple(out.shape)}")
        total += float(((out[:, 0].double().cpu() - y[i : i + batch_size].double()) ** 2).sum())
    model.train(was_training)
    return total / X.shape[0]


__all__ += ["mean_squared_error"]
