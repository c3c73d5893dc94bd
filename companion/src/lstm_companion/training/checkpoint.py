"""Every checkpoint format of the package, read through one checked loader (chapters 1, 3-9, 7 and 12).

Every file is written atomically (:func:`~lstm_companion.atomic_write`:
temporary file, read back and checked, ``fsync``, rename, ``fsync`` of the
folder) and read with ``torch.load(..., weights_only=True)``, so a
checkpoint cannot run code; a missing, damaged, truncated or wrong-kind file
raises an error naming it and the part at fault. The formats:

- **weights**: :func:`save_model` and :func:`load_model` save and load one
  state dict (chapter 4, and the load-or-train cache of
  :mod:`lstm_companion.training.cache`);
- **weights with a record** (chapter 7's committed translator):
  :func:`save_with_record` writes ``name.pt`` and ``name.json``, a JSON
  record holding the weights' file name and sha256, together
  (:func:`~lstm_companion.atomic_write_many`); :func:`load_with_record`
  checks the sha256 before it loads the weights;
- **training states** (chapter 12), everything a run needs to continue as
  if it had never stopped: :func:`save_training_state` writes the model,
  optimiser and scheduler, the step, and every rank's random-number
  generators (:func:`~lstm_companion.capture_rng_state`), sampler position
  and carried hidden state, gathered to rank 0, with a sha256 of the whole
  payload, holding only tensors and plain containers.
  :func:`load_training_state` checks every part (the sha256, the weights'
  names and shapes, the optimiser's type, the sampler's layout, the random
  states) before it restores anything.

The sha256 of a payload and the comparison of two runs' weights
(:func:`~lstm_companion.max_abs_difference`) are in
:mod:`lstm_companion.fingerprint`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from .._checks import check_bool, check_folder_and_name, check_plain
from ..data.batching import ShardedStreamSampler
from ..data.download import read_json_record
from ..fingerprint import payload_sha256
from ..models.state import map_state
from ..rng import capture_rng_state, check_rng_state, restore_rng_state
from ..runtime import atomic_write, atomic_write_many, file_hash, model_device
from .distributed import gather_objects, process_group_rank, process_group_size, unwrap_model

__all__ = [
    "save_model",
    "load_model",
    "save_with_record",
    "load_with_record",
    "TrainingState",
    "save_training_state",
    "load_training_state",
]

CHECKPOINT_FORMAT = "lstm-companion-training-state"
CHECKPOINT_VERSION = 2  # 2: a sha256 of the payload and the optimiser's type are stored and checked


def _load_checked(path: Path, what: str, map_location: str | torch.device = "cpu") -> Any:
    """The one reader of every checkpoint file: ``torch.load(path, weights_only=True)`` (a file cannot run code).

    A missing file, or a damaged, truncated, foreign or code-holding one,
    raises an error naming ``path`` and ``what`` it should be.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated, not a torch file, or holding code (weights_only refuses it)
        raise ValueError(f"{path} is damaged or not a {what} ({type(err).__name__}: {err})") from err


def _state_dict(obj: Any, path: Path, what: str, *, tensors: bool = False) -> dict[str, Any]:
    """``obj`` read from ``path`` if it is a state dict (of tensors only, with ``tensors``); else raise naming it."""
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is a training state (written by save_training_state), not a {what}")
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state dict ({what})")
    if tensors and (bad := [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]):
        raise ValueError(f"{path} is not a {what}: {bad[0]!r} holds a {type(obj[bad[0]]).__name__}, not a tensor")
    return obj


def save_model(model: nn.Module, path: str | os.PathLike[str]) -> Path:
    """Save ``model.state_dict()`` atomically (temporary file, then rename)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike naming the weights file, got {type(path).__name__}")
    target = Path(path)
    atomic_write(target, lambda tmp: torch.save(model.state_dict(), tmp))
    return target


def load_model(model: nn.Module, path: str | os.PathLike[str]) -> nn.Module:
    """Load a state dict saved by :func:`save_model` into ``model`` (``weights_only=True``).

    A missing, truncated or foreign file raises an error that names it.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    file = Path(path)
    state = _state_dict(
        _load_checked(file, "checkpoint of weights", model_device(model)), file, "checkpoint of weights"
    )
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"{file} does not fit this model: {err}") from err
    return model


# --------------------------------------------------------------------------- training states


@dataclass
class TrainingState:
    """What :func:`load_training_state` hands back besides the restored objects."""

    step: int
    hidden: Any
    extra: dict[str, Any]


def _read(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and check a training-state file; every failure names it."""
    payload = _load_checked(path, "training state", map_location)
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
    if payload_sha256(payload) != stored:
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
    writes). Written to a temporary file, read back with
    ``weights_only=True`` and checked, flushed to disk (``fsync``), then
    renamed over ``path`` and the folder flushed: a crash at any moment
    leaves either the previous file or the new one, never a torn one.
    """
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if sampler is not None and not isinstance(sampler, ShardedStreamSampler):
        raise TypeError(f"sampler must be a ShardedStreamSampler or None, got {type(sampler).__name__}")
    if extra is not None and not isinstance(extra, Mapping):
        raise TypeError(f"extra must be a mapping of plain values or None, got {type(extra).__name__}")
    check_plain("extra", dict(extra or {}))
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike naming the training-state file, got {type(path).__name__}")
    target = Path(path)
    mine = {
        "rng": capture_rng_state(),
        "sampler": sampler.state_dict() if sampler is not None else None,
        "hidden": map_state(hidden, lambda t: t.detach().cpu()),
    }
    ranks = gather_objects(mine)
    if process_group_rank() == 0:
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
        payload["sha256"] = payload_sha256(payload)

        def write(tmp: Path) -> None:
            torch.save(payload, tmp)
            back = _read(tmp)
            if back["step"] != step or back["world_size"] != len(ranks):
                raise OSError(f"{tmp} did not read back as written (step {back['step']} != {step})")

        atomic_write(target, write)  # flushed to the disk before and after the rename
    if process_group_size() > 1:
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
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike naming a training-state file, got {type(path).__name__}")
    check_bool("restore_rng", restore_rng)
    file = Path(path)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    if sampler is not None and not isinstance(sampler, ShardedStreamSampler):
        raise TypeError(f"sampler must be a ShardedStreamSampler or None, got {type(sampler).__name__}")
    payload = _read(file)
    world, rank = process_group_size(), process_group_rank()
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
    hidden = map_state(mine["hidden"], lambda t: t.to(device))
    return TrainingState(step=int(payload["step"]), hidden=hidden, extra=dict(payload["extra"]))


# --------------------------------------------------------------------------- weights with a record


def _read_with_record(record_path: Path, weights: Path | None, what: str, required: tuple[str, ...]) -> Any:
    """The record at ``record_path`` and the state dict it names (``weights`` in its place: a file being written)."""
    record = read_json_record(record_path, what=what, required=("checkpoint", "sha256", *required))
    where, checkpoint, sha256 = str(record_path), record["checkpoint"], record["sha256"]
    if not isinstance(checkpoint, str) or not checkpoint or Path(checkpoint).name != checkpoint:
        raise ValueError(f"{where}: ['checkpoint'] must be the file name of the weights next to it, got {checkpoint!r}")
    if not isinstance(sha256, str):
        raise ValueError(f"{where}: ['sha256'] must be a hex digest (str), got {type(sha256).__name__}")
    if weights is None:
        weights = record_path.parent / checkpoint
        if not weights.is_file():
            raise FileNotFoundError(f"{weights} was not found (the checkpoint named by {where})")
    got = file_hash(weights)
    if got != sha256:
        raise ValueError(f"{weights} has the wrong sha256: the record says {sha256}, the file hashes to {got}")
    kind = f"state dict of weights (named by {record_path.name})"
    return record, _state_dict(_load_checked(weights, kind), weights, kind, tensors=True), weights


def save_with_record(
    folder: str | os.PathLike[str],
    name: str,
    state: Mapping[str, torch.Tensor],
    record: Mapping[str, Any],
    check: Callable[[dict[str, torch.Tensor], dict[str, Any], Path, Path], None] | None = None,
    *,
    what: str = "record",
) -> dict[str, Any]:
    """Write ``name.pt`` (``state``) and ``name.json`` (``record`` + the weights' file name, sha256, bytes) together.

    The committed translator's format (chapter 7,
    :func:`~lstm_companion.save_pretrained`). Both files are written to
    temporary files, read back as :func:`load_with_record` reads them, and
    given to ``check(state, record, weights_path, record_path)`` where given,
    before either is renamed into place (:func:`~lstm_companion.atomic_write_many`).
    Returns the record written.
    """
    folder, name = check_folder_and_name(folder, name)
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise TypeError(f"state must be a state dict (a mapping of tensors), got {type(state).__name__}")
    if not isinstance(record, Mapping):
        raise TypeError(f"record must be a mapping of JSON values, got {type(record).__name__}")
    if check is not None and not callable(check):
        raise TypeError(f"check must be callable or None, got {type(check).__name__}")
    weights = folder / f"{name}.pt"
    written: dict[str, Any] = {}  # the temporary weights file and the record, for the record's writer

    def write_weights(tmp: Path) -> None:
        torch.save(dict(state), tmp)
        written["weights"] = tmp
        written["record"] = dict(record, checkpoint=weights.name, sha256=file_hash(tmp), bytes=tmp.stat().st_size)

    def write_record(tmp: Path) -> None:
        try:
            text = json.dumps(written["record"], indent=2, sort_keys=True) + "\n"
        except (TypeError, ValueError) as err:
            raise TypeError(f"record must hold only JSON values (str, numbers, lists, dicts, None): {err}") from err
        tmp.write_text(text)
        back, loaded, _ = _read_with_record(tmp, written["weights"], what, ())
        if check is not None:
            check(loaded, back, written["weights"], tmp)

    atomic_write_many({weights: write_weights, folder / f"{name}.json": write_record})
    out: dict[str, Any] = written["record"]
    return out


def load_with_record(
    folder: str | os.PathLike[str], name: str, *, what: str = "record", required: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, torch.Tensor], Path]:
    """Read ``name.json`` and the weights it names, written by :func:`save_with_record`: ``(record, state, weights_path)``.

    The record must hold ``required`` besides the weights' file name and
    sha256; the weights must have that sha256 and be a state dict of
    tensors, loaded with ``weights_only=True``. A missing, damaged,
    truncated or wrong-kind file raises an error naming it and the part at
    fault.
    """
    folder, name = check_folder_and_name(folder, name)
    out: tuple[dict[str, Any], dict[str, torch.Tensor], Path] = _read_with_record(
        folder / f"{name}.json", None, what, required
    )
    return out


# --------------------------------------------------------------------------- comparing runs
