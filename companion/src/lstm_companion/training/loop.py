"""Training a language model with truncated BPTT and gradient clipping (chapters 1 and 2).

One loop serves the book: ``train_lm`` walks the corpus in minibatches,
carries the hidden state across consecutive minibatches (sequential batching)
and detaches it at each boundary (truncated backpropagation through time),
clips the gradient's global norm, and records per-step loss and gradient norm
and per-epoch perplexities. ``device`` is the one switch between CPU, CUDA and
Apple's MPS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .._checks import check_positive_float

__all__ = ["grad_norm", "clip_gradients", "History"]


def grad_norm(params: Iterable[nn.Parameter]) -> float:
    """Global L2 norm of the gradients of ``params`` (those that have one)."""
    norms = [p.grad.detach().norm() for p in params if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


def clip_gradients(params: Iterable[nn.Parameter], max_norm: float) -> float:
    """Rescale gradients so their global norm is at most ``max_norm`` (chapter 1).

    ``g <- min(1, max_norm / ||g||) g`` (Pascanu et al., 2013). Returns the
    norm before clipping. Same result as ``torch.nn.utils.clip_grad_norm_``.
    """
    check_positive_float("max_norm", max_norm)
    params = [p for p in params if p.grad is not None]
    norm = grad_norm(params)
    if norm > max_norm:
        for p in params:
            p.grad.mul_(max_norm / norm)  # type: ignore[union-attr]
    return norm


@dataclass
class History:
    """What :func:`train_lm` measured."""

    step_loss: list[float] = field(default_factory=list)  # training loss (nats/token) of every minibatch
    step_grad_norm: list[float] = field(default_factory=list)  # gradient norm before clipping, every minibatch
    train_ppl: list[float] = field(default_factory=list)  # training perplexity of every epoch
    val_ppl: list[float] = field(default_factory=list)  # held-out perplexity after every epoch
    best_epoch: int = -1  # epoch (0-based) with the lowest held-out perplexity
    diverged: bool = False  # the loss became inf or nan
    seconds: float = 0.0  # wall-clock training time

    @property
    def best_val_ppl(self) -> float:
        return self.val_ppl[self.best_epoch] if self.val_ppl else math.inf

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(**d)


def _exp(x: float) -> float:
    """``exp(x)``, but ``inf`` instead of ``OverflowError`` for a huge mean loss."""
    return math.exp(x) if x < 709.0 else math.inf
