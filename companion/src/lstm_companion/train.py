"""Training a language model with truncated BPTT and gradient clipping (chapters 1 and 2).

One loop serves the book: ``train_lm`` walks the corpus in minibatches,
carries the hidden state across consecutive minibatches (sequential batching)
and detaches it at each boundary (truncated backpropagation through time),
clips the gradient's global norm, and records per-step loss and gradient norm
and per-epoch perplexities. ``device`` is the one switch between CPU, CUDA and
Apple's MPS.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ._checks import check_positive_float, check_positive_int, check_tensor
from .data import seq_data_iter_random, seq_data_iter_sequential
from .lm import State, detach_state

__all__ = [
    "get_device",
    "seed_everything",
    "grad_norm",
    "clip_gradients",
    "TrainConfig",
    "History",
    "evaluate_perplexity",
    "train_lm",
]


def get_device(device: str | torch.device | None = None) -> torch.device:
    """The device to run on: CUDA if present, else Apple MPS, else CPU (chapter 1).

    Pass ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``
    to choose; ``None`` or ``"auto"`` chooses the fastest one present.
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available on this machine")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} was asked for but MPS is not available on this machine")
    return dev


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so a run repeats."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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
class TrainConfig:
    """Settings of :func:`train_lm`; every field has a default a CPU can afford."""

    num_epochs: int = 10  # passes over the training corpus
    batch_size: int = 32  # parallel streams (sequential) or subsequences (random)
    num_steps: int = 32  # BPTT truncation length: tokens per minibatch row
    lr: float = 1.0  # learning rate
    optimizer: str = "sgd"  # "sgd" or "adam"
    clip: float | None = 1.0  # max global gradient norm; None disables clipping
    sequential: bool = True  # sequential streams with state carried over (else random offsets)
    seed: int = 0  # seeds batching order and initial offsets
    patience: int | None = None  # stop after this many epochs without a better held-out perplexity
    restore_best: bool = True  # end with the weights of the best held-out epoch
    stop_on_nonfinite: bool = True  # stop when the loss becomes inf/nan (and mark diverged)

    def check(self) -> None:
        check_positive_int("num_epochs", self.num_epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("num_steps", self.num_steps)
        check_positive_float("lr", self.lr)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        if self.patience is not None:
            check_positive_int("patience", self.patience)


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


@torch.no_grad()
def evaluate_perplexity(
    model: nn.Module,
    corpus: torch.Tensor,
    *,
    batch_size: int = 32,
    num_steps: int = 64,
    device: str | torch.device | None = None,
) -> float:
    """Perplexity ``exp(mean negative log-likelihood)`` of ``model`` on ``corpus`` (chapter 1).

    The corpus is read sequentially from its start with the state carried
    across minibatches, as at training time.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    dev = _model_device(model) if device is None else get_device(device)
    batch_size = max(1, min(batch_size, (len(corpus) - 1) // num_steps))
    was_training = model.training
    model.eval()
    state: State = None
    total, count = 0.0, 0
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps, offset=0):
        logits, state = model(X.to(dev), state)
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.to(dev).reshape(-1), reduction="sum"))
        count += Y.numel()
    model.train(was_training)
    return _exp(total / count)


def train_lm(
    model: nn.Module,
    train_corpus: torch.Tensor,
    val_corpus: torch.Tensor | None,
    config: TrainConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a next-token model with truncated BPTT and clipping (chapters 1 and 2).

    ``model(X, state)`` maps token indices ``(batch_size, num_steps)`` to
    logits ``(batch_size, num_steps, vocab_size)`` and a state, like
    :class:`~lstm_companion.lm.RNNLM`. Returns a :class:`History`; the model
    is left on ``device`` (and, with ``restore_best``, holds the weights of
    its best held-out epoch).
    """
    config.check()
    dev = get_device(device)
    model.to(dev)
    gen = torch.Generator().manual_seed(config.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(params, lr=config.lr)
    else:
        opt = torch.optim.Adam(params, lr=config.lr)
    hist = History()
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs = 0
    start = time.perf_counter()
    bar = tqdm(range(config.num_epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        if config.sequential:
            batches = seq_data_iter_sequential(train_corpus, config.batch_size, config.num_steps, generator=gen)
        else:
            batches = seq_data_iter_random(train_corpus, config.batch_size, config.num_steps, generator=gen)
        state: State = None
        epoch_loss, epoch_tokens = 0.0, 0
        for X, Y in batches:
            X, Y = X.to(dev), Y.to(dev)
            state = detach_state(state) if config.sequential else None  # truncated BPTT
            logits, state = model(X, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = clip_gradients(params, config.clip) if config.clip is not None else grad_norm(params)
            opt.step()
            value = loss.item()
            hist.step_loss.append(value)
            hist.step_grad_norm.append(norm)
            if not math.isfinite(value) and config.stop_on_nonfinite:
                hist.diverged = True
                break
            epoch_loss += value * Y.numel()
            epoch_tokens += Y.numel()
        if hist.diverged:
            break
        hist.train_ppl.append(_exp(epoch_loss / max(epoch_tokens, 1)))
        if val_corpus is not None:
            ppl = evaluate_perplexity(model, val_corpus, device=dev)
            hist.val_ppl.append(ppl)
            if hist.best_epoch < 0 or ppl < hist.val_ppl[hist.best_epoch]:
                hist.best_epoch = epoch
                bad_epochs = 0
                if config.restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
            bar.set_postfix(train_ppl=f"{hist.train_ppl[-1]:.2f}", val_ppl=f"{ppl:.2f}")
            if config.patience is not None and bad_epochs >= config.patience:
                break
        else:
            bar.set_postfix(train_ppl=f"{hist.train_ppl[-1]:.2f}")
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    return hist


def _exp(x: float) -> float:
    """``exp(x)``, but ``inf`` instead of ``OverflowError`` for a huge mean loss."""
    return math.exp(x) if x < 709.0 else math.inf


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")

