"""Training beyond one process: the process group, the data-parallel step, mixed precision (chapter 12).

Data-parallel training runs the same model in ``world_size`` processes
("ranks"), each on its own slice of every minibatch; after the backward pass
the ranks average their gradients (an all-reduce), so every rank takes the
same optimiser step and the copies of the model stay identical.
PyTorch's :class:`~torch.nn.parallel.DistributedDataParallel` (DDP) does the
averaging; this module supplies the rest, shared by the DDP program
(:mod:`lstm_companion.recipes.train_ddp`), the tests and chapter 12:

- :func:`init_distributed` / :func:`cleanup_distributed`: join the process
  group that ``torchrun`` describes in the environment (``RANK``,
  ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): gloo on
  CPUs, NCCL with one GPU per process. Without those variables the run is a
  plain single process (:func:`process_group_size` 1,
  :func:`process_group_rank` 0).
- :func:`launch_command`: the command line that starts the program on
  ``nproc_per_node`` processes; :func:`unwrap_model`: the model inside DDP.
- :func:`lm_loss`: a language model's token-mean cross-entropy on one
  window, optionally under bfloat16 autocast (:func:`lm_autocast`,
  :func:`onednn_bf16_supported`); :func:`carry_state`: the state detached to
  carry into the next window; :func:`mean_over_ranks`: a loss averaged over
  the ranks. The DDP program trains through the book's one loop,
  :func:`~lstm_companion.fit`, with these pieces; :func:`lm_train_step` is
  one such step alone (:func:`lm_loss`, then
  :func:`~lstm_companion.fit_step`), for the chapter's experiments.
  A stream's perplexity under the same autocast is
  :func:`~lstm_companion.evaluate_stream_perplexity`
  (:mod:`lstm_companion.training.bptt`).

The rest of chapter 12 lives by role: each rank's rows of the token stream
(:func:`~lstm_companion.shard_stream`,
:class:`~lstm_companion.ShardedStreamSampler`) in
:mod:`lstm_companion.data.batching`; capturing and restoring the
random-number generators in :mod:`lstm_companion.rng`; the
training-state files that let a killed run resume exactly, and the
comparison of two runs' weights, in
:mod:`lstm_companion.training.checkpoint`.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F

from .._checks import (
    check_bool,
    check_device,
    check_finite_float,
    check_index_range,
    check_positive_int,
    check_rank,
    check_tensor,
)
from ..models.state import map_state
from .loop import fit_step

__all__ = [
    "DDP_TRAIN_MODULE",
    "DistContext",
    "init_distributed",
    "cleanup_distributed",
    "unwrap_model",
    "process_group_size",
    "process_group_rank",
    "gather_objects",
    "launch_command",
    "lm_loss",
    "lm_train_step",
    "mean_over_ranks",
    "onednn_bf16_supported",
    "carry_state",
    "lm_autocast",
]


# --------------------------------------------------------------------------- process group


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: its ``rank`` of ``world_size``, its device and the backend (``None`` alone)."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str | None

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that writes files and prints."""
        return self.rank == 0


def _env_int(name: str, default: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"environment variable {name} must be set (torchrun sets it)")
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise ValueError(f"environment variable {name} must be an int, got {raw!r}") from err


def init_distributed(device: str | torch.device | None = None, backend: str | None = None) -> DistContext:
    """Join the process group ``torchrun`` set up, or run alone (chapter 12).

    Reads ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` from the environment.
    Without ``WORLD_SIZE`` there is no group: rank 0 of 1, no backend. The
    device is ``device`` if given, else ``cuda:LOCAL_RANK`` when CUDA is
    present (one GPU per process), else the CPU; the backend is ``backend``
    if given, else NCCL for CUDA and gloo for the CPU.
    """
    if device is not None:
        dev = check_device("device", device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device is {dev}, but CUDA is not available on this machine")
    elif torch.cuda.is_available():
        dev = torch.device("cuda", _env_int("LOCAL_RANK", 0))
    else:
        dev = torch.device("cpu")
    if backend is not None and backend not in ("gloo", "nccl", "mpi"):
        raise ValueError(f"backend must be 'gloo', 'nccl', 'mpi' or None, got {backend!r}")
    if "WORLD_SIZE" not in os.environ:
        return DistContext(0, 1, 0, dev, None)
    world_size = check_positive_int("WORLD_SIZE", _env_int("WORLD_SIZE"))
    rank, _ = check_rank(_env_int("RANK"), world_size)
    local_rank = _env_int("LOCAL_RANK", rank)
    chosen = backend or ("nccl" if dev.type == "cuda" else "gloo")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if not dist.is_initialized():
        dist.init_process_group(chosen, init_method="env://", rank=rank, world_size=world_size)
    return DistContext(rank, world_size, local_rank, dev, chosen)


def cleanup_distributed() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def process_group_size() -> int:
    """How many processes the process group holds (1 without one)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def process_group_rank() -> int:
    """This process's rank in the process group (0 without one)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


#: Chapter 12's training program, a module of the package (runs outside a clone of the book).
DDP_TRAIN_MODULE = "lstm_companion.recipes.train_ddp"


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (any picklable value), in rank order; ``[obj]`` without a process group."""
    world = process_group_size()
    if world == 1:
        return [obj]
    out: list[Any] = [None] * world
    dist.all_gather_object(out, obj)
    return out


def launch_command(
    script: str | os.PathLike[str], args: Sequence[str] = (), *, nproc_per_node: int = 1, module: bool = False
) -> list[str]:
    """The command line that runs ``script`` with ``args`` in ``nproc_per_node`` processes on this machine.

    With ``module=True``, ``script`` is a module name run as ``python -m``
    (e.g. :data:`DDP_TRAIN_MODULE`), in each process.

    One process: plain ``python script args`` (no process group). More:
    ``python -m torch.distributed.run --standalone --nproc-per-node=N script
    args``, i.e. ``torchrun`` with a rendezvous on a free local port. Several
    machines would use ``--nnodes``, ``--node-rank`` and
    ``--rdzv-endpoint`` instead of ``--standalone`` (chapter 12).
    """
    check_positive_int("nproc_per_node", nproc_per_node)
    check_bool("module", module)
    if not isinstance(script, (str, os.PathLike)):
        raise TypeError(f"script must be a file path, got {type(script).__name__}")
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise TypeError("args must be a sequence of str (one per command-line word)")
    if os.fspath(script).strip() == "":
        raise ValueError("script must name a file (or a module with module=True), got an empty string")
    if module and not (isinstance(script, str) and all(part.isidentifier() for part in script.split("."))):
        raise ValueError(f"script must be a module name such as {DDP_TRAIN_MODULE!r} with module=True, got {script!r}")
    launch = [sys.executable]
    if nproc_per_node > 1:
        launch += ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc_per_node}"]
    target = ["-m", os.fspath(script)] if module else [os.fspath(script)]
    return [*launch, *target, *args]


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a DDP (or ``DataParallel``) wrapper; ``model`` itself otherwise."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    inner = getattr(model, "module", None)
    return inner if isinstance(inner, nn.Module) else model


# --------------------------------------------------------------------------- training


def onednn_bf16_supported() -> bool:
    """Whether oneDNN has bfloat16 kernels on this CPU (AVX512-BF16 or AMX); ``False`` when it cannot tell (chapter 12).

    Without them a bfloat16 matrix product on the CPU falls back to slow
    generic code, and oneDNN's LSTM refuses bfloat16 inputs.
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@contextlib.contextmanager
def lm_autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """The autocast that :func:`lm_train_step` runs its forward pass under: ``dtype`` (nothing for ``None``) (chapter 12).

    Where oneDNN has bfloat16 kernels, ``nn.LSTM`` runs as oneDNN's
    ``mkldnn_rnn_layer``, which autocast casts to bfloat16. Elsewhere oneDNN's
    LSTM refuses bfloat16 inputs ("could not create a primitive descriptor"),
    so oneDNN is turned off for the forward pass: ``nn.LSTM`` then takes
    PyTorch's native path, whose gate products (``addmm``/``mm``) autocast
    casts to bfloat16 too. Either way the LSTM's products run in bfloat16
    (:func:`~lstm_companion.matmul_dtypes` shows which operators ran).
    """
    if dtype is None:
        yield
        return
    if dtype not in (torch.bfloat16, torch.float16):
        raise ValueError(f"autocast_dtype must be torch.bfloat16, torch.float16 or None, got {dtype}")
    if device.type == "cpu" and not onednn_bf16_supported():
        with warnings.catch_warnings():  # flags() warns about TF32 on Intel GPUs, which is beside the point
            warnings.simplefilter("ignore", UserWarning)
            flags = torch.backends.mkldnn.flags(enabled=False)
            flags.__enter__()
        try:
            with torch.autocast(device_type="cpu", dtype=dtype):
                yield
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                flags.__exit__(None, None, None)
    else:
        with torch.autocast(device_type=device.type, dtype=dtype):
            yield


def _check_tokens(x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    x = check_tensor("x", x, ndim=2, floating=False)
    y = check_tensor("y", y, ndim=2, floating=False)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    return x, y


def lm_loss(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    state: Any = None,
    *,
    autocast_dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, Any]:
    """A language model's loss on one window: the mean cross-entropy over ``x``'s ``B * T`` tokens (chapter 12).

    ``model(x, state) -> (logits (B, T, V), state)``, run under
    :func:`lm_autocast` with ``autocast_dtype`` (the loss itself in float32).
    Returns the loss (a scalar tensor with its graph) and the model's new
    state, not detached.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x, y = _check_tokens(x, y)
    with lm_autocast(x.device, autocast_dtype):
        logits, new_state = model(x, state)
    if logits.shape[:2] != x.shape:
        raise ValueError(
            f"model must return logits (B, T, V) for x of shape {tuple(x.shape)}, got {tuple(logits.shape)}"
        )
    check_index_range("y", y, logits.shape[-1], what="token ids", of="the model's logits")
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1)), new_state


def mean_over_ranks(value: float) -> float:
    """``value`` averaged over the process group's ranks (in float32, as the losses are); ``value`` alone."""
    value = check_finite_float("value", value)
    if process_group_size() == 1:
        return value
    t = torch.tensor(value, dtype=torch.float32)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return float(t / process_group_size())


def lm_train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    state: Any = None,
    *,
    clip: float | None = None,
    scheduler: Any = None,
    autocast_dtype: torch.dtype | None = None,
) -> tuple[float, Any]:
    """One truncated-BPTT step of a language model, alone or under DDP (chapter 12).

    :func:`lm_loss` on this rank's window, then the one update of the book,
    :func:`~lstm_companion.fit_step`: DDP averages the gradients over the
    ranks during ``backward``, so with equal shards the step is the one a
    single process takes on the whole batch; the gradients are clipped to
    global norm ``clip`` (after the average, so every rank clips alike), then
    the optimiser and ``scheduler`` (if any) step. A non-finite loss raises
    before anything steps. Returns the loss averaged over the ranks (a float)
    and the new state, detached, to carry into the next window. The DDP
    program trains through :func:`~lstm_companion.fit` with the same two
    pieces; this function is the step alone, for the chapter's experiments.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if clip is not None and not (isinstance(clip, (int, float)) and clip > 0 and math.isfinite(clip)):
        raise ValueError(f"clip must be a finite number > 0 or None, got {clip!r}")
    model.train()
    loss, new_state = lm_loss(model, x, y, state, autocast_dtype=autocast_dtype)
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"the loss is {float(loss.detach())}: the weights or the state hold inf/NaN (a learning rate too high, "
            "or clipping off?); the optimiser did not step"
        )
    fit_step(model, optimizer, loss, clip, scheduler)
    return mean_over_ranks(loss.item()), carry_state(new_state, model)


def carry_state(state: Any, model: nn.Module) -> Any:
    """``state`` detached and cast to the dtype of ``model``'s parameters, to carry into the next window (chapter 12).

    Under bfloat16 autocast on a CPU whose oneDNN has bfloat16 kernels (recent
    Intel Xeons), ``nn.LSTM`` runs as oneDNN's ``mkldnn_rnn_layer``, which
    autocast casts to bfloat16, so the state it returns is bfloat16; elsewhere
    it stays float32. The carried state always keeps the model's dtype, so the
    next step's state check sees the same type on every processor.
    """
    dtype = next((p.dtype for p in unwrap_model(model).parameters() if p.is_floating_point()), None)

    def carry(t: torch.Tensor) -> torch.Tensor:
        t = t.detach()
        return t.to(dtype) if dtype is not None and t.is_floating_point() else t

    return map_state(state, carry)
