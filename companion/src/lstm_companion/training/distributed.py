"""Training beyond one process: data parallelism, mixed precision, checkpoints that survive a crash (chapter 12).

Data-parallel training runs the same model in ``world_size`` processes
("ranks"), each on its own slice of every minibatch; after the backward pass
the ranks average their gradients (an all-reduce), so every rank takes the
same optimiser step and the copies of the model stay identical.
PyTorch's :class:`~torch.nn.parallel.DistributedDataParallel` (DDP) does the
averaging; this module supplies the rest, shared by ``scripts/train_ddp.py``,
the tests and chapter 12:

- :func:`shard_stream` and :class:`ShardedStreamSampler`: a language model's
  token stream cut into ``world_size * batch_size`` contiguous rows, rank
  ``r`` taking rows ``r * batch_size`` to ``(r + 1) * batch_size - 1``. The
  ranks read disjoint text, and together they read exactly the rows one
  process with batch ``world_size * batch_size`` would read, so each rank
  carries the hidden state of its own rows. The sampler's position is part of
  a checkpoint (``state_dict`` / ``load_state_dict``).
- :func:`init_distributed` / :func:`cleanup_distributed`: join the process
  group that ``torchrun`` describes in the environment (``RANK``,
  ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): gloo on
  CPUs, NCCL with one GPU per process. Without those variables the run is a
  plain single process.
- :func:`lm_train_step`: one step of truncated BPTT (forward, token-mean
  cross-entropy, backward, clipping, optimiser and scheduler step), optionally
  under bfloat16 autocast; it returns the loss averaged over the ranks and the
  detached state to carry. :func:`evaluate_stream_perplexity` measures a
  stream's perplexity.
- :func:`save_training_state` / :func:`load_training_state`: everything a
  run needs to continue as if it had never stopped: model, optimiser,
  scheduler, every rank's random-number generators (torch, NumPy, Python),
  sampler position and carried hidden state, gathered to rank 0 and written
  atomically (temporary file, ``fsync``, read back and checked, rename,
  ``fsync`` of the folder). Everything is stored as tensors and plain
  containers, so the file loads with ``weights_only=True``.
- :func:`state_dict_sha256` and :func:`max_abs_difference`: compare the
  weights of two runs.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import os
import random
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_int, check_tensor
from ..runtime import atomic_write

__all__ = [
    "DDP_TRAIN_MODULE",
    "shard_stream",
    "ShardedStreamSampler",
    "DistContext",
    "init_distributed",
    "cleanup_distributed",
    "unwrap_model",
    "launch_command",
    "lm_train_step",
    "onednn_bf16_supported",
    "carry_state",
    "check_rng_state",
    "lm_autocast",
    "evaluate_stream_perplexity",
    "capture_rng_state",
    "restore_rng_state",
    "TrainingState",
    "save_training_state",
    "load_training_state",
    "state_dict_sha256",
    "max_abs_difference",
]

CHECKPOINT_FORMAT = "lstm-companion-training-state"
CHECKPOINT_VERSION = 2  # 2: a sha256 of the payload and the optimiser's type are stored and checked


# --------------------------------------------------------------------------- data


def _check_rank(rank: object, world_size: object) -> tuple[int, int]:
    world = check_positive_int("world_size", world_size)
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise TypeError(f"rank must be an int in [0, world_size), got {type(rank).__name__} {rank!r}")
    if not 0 <= rank < world:
        raise ValueError(f"rank must be in [0, world_size={world}), got {rank}")
    return rank, world


def shard_stream(stream: torch.Tensor, batch_size: int, *, rank: int = 0, world_size: int = 1) -> torch.Tensor:
    """Rank ``rank``'s ``(batch_size, n)`` rows of a 1-D token stream (chapter 12).

    The stream is cut into ``world_size * batch_size`` contiguous rows of
    ``n = len(stream) // (world_size * batch_size)`` tokens (the tail that
    does not fill a row is dropped), row ``i`` holding
    ``stream[i * n:(i + 1) * n]``: the usual batching of a language model.
    Rank ``r`` gets rows ``r * batch_size`` to ``(r + 1) * batch_size - 1``,
    one contiguous stretch of text; the ranks' rows are disjoint, and stacked
    in rank order they are the rows of one process with batch
    ``world_size * batch_size``.
    """
    stream = check_tensor("stream", stream, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    rank, world_size = _check_rank(rank, world_size)
    rows = world_size * batch_size
    n = stream.numel() // rows
    if n < 2:
        raise ValueError(
            f"stream of {stream.numel()} tokens is too short for world_size * batch_size = {rows} rows"
            " of at least 2 tokens each"
        )
    return stream[: rows * n].view(rows, n)[rank * batch_size : (rank + 1) * batch_size]


class ShardedStreamSampler:
    """Consecutive ``(x, y)`` windows of one rank's rows, with a position that can be saved (chapter 12).

    ``next_batch()`` returns ``(x, y, new_pass)``: ``x`` the ``(batch_size,
    T)`` tokens at the current column, ``y`` the same shifted by one, ``T =
    bptt`` except for a shorter last window; ``new_pass`` is true for the first
    window of every pass over the rows, where a carried hidden state must be
    reset. After the last window the sampler starts the next pass (``epoch``
    counts them). ``state_dict()`` holds the position and the layout;
    ``load_state_dict`` refuses a state saved for another layout.
    """

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int, *, rank: int = 0, world_size: int = 1) -> None:
        self.bptt = check_positive_int("bptt", bptt)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.rank, self.world_size = _check_rank(rank, world_size)
        self.data = shard_stream(stream, batch_size, rank=rank, world_size=world_size)
        self.position = 0
        self.epoch = 0

    def __len__(self) -> int:
        """Windows in one pass."""
        return math.ceil((self.data.shape[1] - 1) / self.bptt)

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """The next ``(x, y, new_pass)``; moves the position on."""
        if self.position >= self.data.shape[1] - 1:
            self.position = 0
            self.epoch += 1
        i = self.position
        seq = min(self.bptt, self.data.shape[1] - 1 - i)
        x = self.data[:, i : i + seq]
        y = self.data[:, i + 1 : i + 1 + seq]
        self.position = i + seq
        return x, y, i == 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        """The windows left in the current pass (from the current position)."""
        if self.position >= self.data.shape[1] - 1:
            self.position = 0
            self.epoch += 1
        while self.position < self.data.shape[1] - 1:
            yield self.next_batch()

    def _layout(self) -> dict[str, int]:
        return {
            "batch_size": self.batch_size,
            "bptt": self.bptt,
            "rank": self.rank,
            "world_size": self.world_size,
            "columns": int(self.data.shape[1]),
        }

    def state_dict(self) -> dict[str, int]:
        """Position, pass count and layout, as plain ints."""
        return {"position": self.position, "epoch": self.epoch, **self._layout()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a saved position; the layout must match."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping from state_dict(), got {type(state).__name__}")
        missing = {"position", "epoch", *self._layout()} - set(state)
        if missing:
            raise ValueError(f"state is missing {sorted(missing)}")
        for key, value in self._layout().items():
            if state[key] != value:
                raise ValueError(f"state was saved with {key}={state[key]}, this sampler has {key}={value}")
        position, epoch = state["position"], state["epoch"]
        if not (isinstance(position, int) and 0 <= position < self.data.shape[1]):
            raise ValueError(f"state position must be an int in [0, {self.data.shape[1]}), got {position!r}")
        if not (isinstance(epoch, int) and epoch >= 0):
            raise ValueError(f"state epoch must be an int >= 0, got {epoch!r}")
        self.position, self.epoch = position, epoch


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
        dev = torch.device(device)
    elif torch.cuda.is_available():
        dev = torch.device("cuda", _env_int("LOCAL_RANK", 0))
    else:
        dev = torch.device("cpu")
    if backend is not None and backend not in ("gloo", "nccl", "mpi"):
        raise ValueError(f"backend must be 'gloo', 'nccl', 'mpi' or None, got {backend!r}")
    if "WORLD_SIZE" not in os.environ:
        return DistContext(0, 1, 0, dev, None)
    world_size = check_positive_int("WORLD_SIZE", _env_int("WORLD_SIZE"))
    rank, _ = _check_rank(_env_int("RANK"), world_size)
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


def _group_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _group_rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


#: Chapter 12's training program, a module of the package (runs outside a clone of the book).
DDP_TRAIN_MODULE = "lstm_companion.training.train_ddp"


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


def _map_state(state: Any, fn: Any) -> Any:
    """Apply ``fn`` to every tensor of a nested tuple/list state."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return fn(state)
    if isinstance(state, tuple):
        return tuple(_map_state(s, fn) for s in state)
    if isinstance(state, list):
        return [_map_state(s, fn) for s in state]
    raise TypeError(f"state must be a tensor or nested tuples/lists of tensors, got {type(state).__name__}")


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

    ``model(x, state) -> (logits (B, T, V), state)``. The loss is the mean
    cross-entropy over this rank's ``B * T`` tokens; DDP averages the
    gradients over the ranks during ``backward``, so with equal shards the
    step is the one a single process takes on the whole batch. Gradients
    are clipped to total norm ``clip`` (after the average, so every rank
    clips alike), then the optimiser and ``scheduler`` (if any) step.
    ``autocast_dtype=torch.bfloat16`` runs the forward pass under autocast
    (the loss in float32). Returns the loss averaged over the ranks (a
    float) and the new state, detached, to carry into the next window.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    x, y = _check_tokens(x, y)
    if clip is not None and not (isinstance(clip, (int, float)) and clip > 0 and math.isfinite(clip)):
        raise ValueError(f"clip must be a finite number > 0 or None, got {clip!r}")
    model.train()
    optimizer.zero_grad(set_to_none=True)
    with lm_autocast(x.device, autocast_dtype):
        logits, new_state = model(x, state)
    if logits.shape[:2] != x.shape:
        raise ValueError(
            f"model must return logits (B, T, V) for x of shape {tuple(x.shape)}, got {tuple(logits.shape)}"
        )
    loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"the loss is {float(loss.detach())}: the weights or the state hold inf/NaN (a learning rate too high, "
            "or clipping off?); the optimiser did not step"
        )
    torch.autograd.backward(loss)  # = loss.backward(), which torch leaves unannotated
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    value = loss.detach()
    if _group_size() > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= _group_size()
    return float(value), carry_state(new_state, model)


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

    return _map_state(state, carry)


@torch.no_grad()
def evaluate_stream_perplexity(
    model: nn.Module,
    stream: torch.Tensor,
    *,
    batch_size: int = 10,
    bptt: int = 35,
    autocast_dtype: torch.dtype | None = None,
) -> float:
    """Perplexity of a language model on a token stream, the state carried across windows (chapter 12).

    The stream is batched as :func:`shard_stream` does for one process; the
    mean is over tokens (a shorter last window counts for its length).
    Evaluates the unwrapped model in ``eval`` mode, under bfloat16 autocast
    if asked, and puts the model back in the mode it was in.
    """
    inner = unwrap_model(model)
    check_positive_int("bptt", bptt)
    data = shard_stream(stream, batch_size)
    device = next(inner.parameters()).device
    data = data.to(device)
    was_training = inner.training
    inner.eval()
    total, count, state = 0.0, 0, None
    try:
        for i in range(0, data.shape[1] - 1, bptt):
            seq = min(bptt, data.shape[1] - 1 - i)
            x, y = data[:, i : i + seq], data[:, i + 1 : i + 1 + seq]
            with lm_autocast(device, autocast_dtype):
                logits, state = inner(x, state)
            state = carry_state(state, inner)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
            total += float(loss)
            count += y.numel()
    finally:
        inner.train(was_training)
    return math.exp(total / count)


# --------------------------------------------------------------------------- random states


def capture_rng_state() -> dict[str, Any]:
    """This process's random-number generators as tensors and plain values (loadable with ``weights_only=True``).

    Holds torch's CPU generator (and every CUDA device's, when present),
    NumPy's global ``RandomState`` and Python's ``random``.
    """
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state(legacy=True)
    py_version, py_internal, py_gauss = random.getstate()
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": str(np_name),
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "cached_gaussian": float(np_gauss),
        },
        "python": {
            "version": int(py_version),
            "internal": torch.tensor(py_internal, dtype=torch.int64),
            "gauss_next": py_gauss,
        },
    }
    if torch.cuda.is_available():
        out["cuda"] = [s.cpu() for s in torch.cuda.get_rng_state_all()]
    return out


def check_rng_state(state: object) -> None:
    """Raise ValueError unless ``state`` has the shape :func:`capture_rng_state` gives (nothing is restored)."""
    if not isinstance(state, Mapping) or not {"torch", "numpy", "python"} <= set(state):
        raise ValueError("state must be a mapping from capture_rng_state() with keys 'torch', 'numpy', 'python'")
    if not (isinstance(state["torch"], torch.Tensor) and state["torch"].dtype == torch.uint8):
        raise ValueError("state['torch'] must be torch's generator state, a uint8 tensor")
    npst, pyst = state["numpy"], state["python"]
    if not (
        isinstance(npst, Mapping)
        and {"name", "keys", "pos", "has_gauss", "cached_gaussian"} <= set(npst)
        and isinstance(npst["keys"], torch.Tensor)
        and npst["keys"].numel() == 624
    ):
        raise ValueError(
            "state['numpy'] must be NumPy's MT19937 state (name, 624 keys, pos, has_gauss, cached_gaussian)"
        )
    if not (
        isinstance(pyst, Mapping)
        and {"version", "internal", "gauss_next"} <= set(pyst)
        and isinstance(pyst["internal"], torch.Tensor)
        and pyst["internal"].numel() == 625
    ):
        raise ValueError("state['python'] must be Python's random state (version, 625 internal words, gauss_next)")


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Put back the generators saved by :func:`capture_rng_state` (checked first: a bad state changes nothing)."""
    check_rng_state(state)
    torch.set_rng_state(state["torch"].cpu())
    npst = state["numpy"]
    np.random.set_state(
        (
            npst["name"],
            npst["keys"].numpy().astype(np.uint32),
            npst["pos"],
            npst["has_gauss"],
            npst["cached_gaussian"],
        )
    )
    pyst = state["python"]
    random.setstate((pyst["version"], tuple(int(v) for v in pyst["internal"].tolist()), pyst["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------- checkpoints


@dataclass
class TrainingState:
    """What :func:`load_training_state` hands back besides the restored objects."""

    step: int
    hidden: Any
    extra: dict[str, Any]


def _gather(obj: Any) -> list[Any]:
    """Every rank's ``obj``, in rank order (a list of one without a process group)."""
    world = _group_size()
    if world == 1:
        return [obj]
    out: list[Any] = [None] * world
    dist.all_gather_object(out, obj)
    return out


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _hash_tensor(h: Any, prefix: str, tensor: torch.Tensor) -> None:
    """Feed ``prefix|dtype|shape|`` and the tensor's bytes to the hash ``h``."""
    t = tensor.detach().cpu().contiguous()
    h.update(f"{prefix}|{t.dtype}|{tuple(t.shape)}|".encode())
    h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")


def _payload_sha256(obj: Any) -> str:
    """sha256 over a payload's structure and every tensor's bytes (dicts in key order)."""
    h = hashlib.sha256()

    def walk(x: Any) -> None:
        if isinstance(x, torch.Tensor):
            _hash_tensor(h, "T", x)
        elif isinstance(x, Mapping):
            h.update(f"D{len(x)}|".encode())
            for k in sorted(x, key=repr):
                h.update(f"{k!r}:".encode())
                walk(x[k])
        elif isinstance(x, (list, tuple)):
            h.update(f"L{len(x)}|".encode())
            for v in x:
                walk(v)
        else:
            h.update(f"V{x!r}|".encode())

    walk(obj)
    return h.hexdigest()


_PLAIN = (str, int, float, bool, type(None))


def _check_plain(name: str, value: Any) -> None:
    """``value`` must be what ``torch.load(weights_only=True)`` reads back: plain values, tensors, containers."""
    if isinstance(value, (*_PLAIN, torch.Tensor)):
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(f"{name}[{i}]", v)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, _PLAIN):
                raise TypeError(f"{name} keys must be plain values, got {type(k).__name__}")
            _check_plain(f"{name}[{k!r}]", v)
        return
    raise TypeError(
        f"{name} must hold only str, int, float, bool, None, tensors, lists and dicts "
        f"(a weights_only checkpoint reads nothing else), got {type(value).__name__}"
    )


def _read(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and check a training-state file; every failure names it."""
    if not path.is_file():
        raise FileNotFoundError(f"no training state at {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated, not a torch file, or holding code (weights_only refuses it)
        raise ValueError(f"{path} is damaged or not a training state ({type(err).__name__}: {err})") from err
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a training state written by save_training_state")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path} has format version {payload.get('version')!r}, expected {CHECKPOINT_VERSION}")
    missing = {
        "step",
        "world_size",
        "model",
        "optimizer",
        "optimizer_type",
        "scheduler",
        "ranks",
        "extra",
        "sha256",
    } - set(payload)
    if missing:
        raise ValueError(f"{path} is missing {sorted(missing)}")
    stored = payload.pop("sha256")
    if _payload_sha256(payload) != stored:
        raise ValueError(f"{path} is damaged: its contents do not match the sha256 stored with them")
    return payload


def save_training_state(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    step: int,
    scheduler: Any = None,
    sampler: ShardedStreamSampler | None = None,
    hidden: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a full training state atomically; under DDP every rank must call it (chapter 12).

    The file holds the (unwrapped) model's weights, the optimiser's and
    scheduler's state, the step, ``extra`` (plain values: settings to check on
    resume), and for every rank its random-number generators, its sampler
    position and its carried ``hidden`` state (gathered to rank 0, which
    writes). Written to a temporary file, flushed to disk (``fsync``), read
    back with ``weights_only=True`` and checked, then renamed over ``path``
    and the folder flushed: a crash at any moment leaves either the previous
    file or the new one, never a torn one.
    """
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if sampler is not None and not isinstance(sampler, ShardedStreamSampler):
        raise TypeError(f"sampler must be a ShardedStreamSampler or None, got {type(sampler).__name__}")
    if extra is not None and not isinstance(extra, Mapping):
        raise TypeError(f"extra must be a mapping of plain values or None, got {type(extra).__name__}")
    _check_plain("extra", dict(extra or {}))
    target = Path(path)
    mine = {
        "rng": capture_rng_state(),
        "sampler": sampler.state_dict() if sampler is not None else None,
        "hidden": _map_state(hidden, lambda t: t.detach().cpu()),
    }
    ranks = _gather(mine)
    if _group_rank() == 0:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "step": step,
            "world_size": len(ranks),
            "model": unwrap_model(model).state_dict(),
            "optimizer": optimizer.state_dict(),
            "optimizer_type": type(optimizer).__name__,
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "ranks": ranks,
            "extra": dict(extra or {}),
        }
        payload["sha256"] = _payload_sha256(payload)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                torch.save(payload, f)
                f.flush()
                os.fsync(f.fileno())
            back = _read(tmp)
            if back["step"] != step or back["world_size"] != len(ranks):
                raise OSError(f"{tmp} did not read back as written (step {back['step']} != {step})")

        atomic_write(target, write)
        _fsync_dir(target.parent)
    if _group_size() > 1:
        dist.barrier()
    return target


def load_training_state(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    sampler: ShardedStreamSampler | None = None,
    restore_rng: bool = True,
) -> TrainingState:
    """Restore what :func:`save_training_state` wrote, for this rank; returns step, hidden state and ``extra``.

    Loads with ``weights_only=True`` (a checkpoint cannot run code). The model
    (unwrapped), optimiser, scheduler and sampler are restored in place, and
    this rank's random-number generators unless ``restore_rng=False``; the
    hidden state comes back on the model's device. A missing, damaged or
    foreign file, or one saved by a different number of processes, raises an
    error naming it and the part at fault. A damaged file (its stored sha256
    disagrees with its contents), weights of other shapes, another optimiser
    type or a bad random state is found before anything is restored, so a
    failed load changes nothing.
    """
    file = Path(path)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    if sampler is not None and not isinstance(sampler, ShardedStreamSampler):
        raise TypeError(f"sampler must be a ShardedStreamSampler or None, got {type(sampler).__name__}")
    payload = _read(file)
    world, rank = _group_size(), _group_rank()
    if payload["world_size"] != world:
        raise ValueError(f"{file} was saved by {payload['world_size']} processes, this run has {world}")
    inner = unwrap_model(model)
    # check every part first ...
    own = inner.state_dict()
    saved = payload["model"]
    if set(saved) != set(own):
        raise ValueError(f"{file}: model: its weights' names differ from this model's: {sorted(set(saved) ^ set(own))}")
    shapes = [n for n in own if tuple(saved[n].shape) != tuple(own[n].shape)]
    if shapes:
        n = shapes[0]
        raise ValueError(
            f"{file}: model: {n} has shape {tuple(saved[n].shape)} in the file, {tuple(own[n].shape)} in this model"
        )
    if optimizer is not None and payload["optimizer_type"] != type(optimizer).__name__:
        raise ValueError(
            f"{file}: optimizer: the file holds a {payload['optimizer_type']} state, "
            f"this run's optimiser is a {type(optimizer).__name__}"
        )
    if scheduler is not None and payload["scheduler"] is None:
        raise ValueError(f"{file}: scheduler: the file holds no scheduler state")
    mine = payload["ranks"][rank]
    if sampler is not None:
        if mine["sampler"] is None:
            raise ValueError(f"{file}: sampler: the file holds no sampler state")
        try:
            copy.copy(sampler).load_state_dict(mine["sampler"])  # checks it, on a copy
        except (TypeError, ValueError) as err:
            raise ValueError(f"{file}: sampler: {err}") from err
    if restore_rng:
        try:
            check_rng_state(mine["rng"])
        except ValueError as err:
            raise ValueError(f"{file}: rank {rank}'s random state: {err}") from err
    # ... then restore
    inner.load_state_dict(saved)
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(payload["scheduler"])
    if sampler is not None:
        sampler.load_state_dict(mine["sampler"])
    if restore_rng:
        restore_rng_state(mine["rng"])
    device = next(inner.parameters()).device
    hidden = _map_state(mine["hidden"], lambda t: t.to(device))
    return TrainingState(step=int(payload["step"]), hidden=hidden, extra=dict(payload["extra"]))


# --------------------------------------------------------------------------- comparing runs


def state_dict_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over a state dict's names, dtypes, shapes and bytes: equal only for bit-identical weights."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a state dict (a mapping of tensors), got {type(state).__name__}")
    h = hashlib.sha256()
    for name in sorted(state):
        _hash_tensor(h, name, state[name])
    return h.hexdigest()


def max_abs_difference(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> float:
    """Largest absolute difference between two state dicts with the same names and shapes."""
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        raise TypeError("a and b must be state dicts (mappings of tensors)")
    if set(a) != set(b):
        raise ValueError(f"a and b must have the same names; differ in {sorted(set(a) ^ set(b))}")
    worst = 0.0
    for name in a:
        if a[name].shape != b[name].shape:
            raise ValueError(f"{name}: shapes differ, {tuple(a[name].shape)} and {tuple(b[name].shape)}")
        if a[name].numel():
            worst = max(worst, float((a[name].double() - b[name].double()).abs().max()))
    return worst
