"""Where the committed results of the book's scripts live (chapters 6–10).

Some tables take longer to compute than a chapter may run: the several-seed
sentiment table (``scripts/sentiment_seeds.py``, chapter 6), the translation
checkpoint (``scripts/train_translation.py``, chapter 7), the ablations
(``scripts/ablations.py``, chapter 8) and the LSTM speed benchmark
(``bench/lstm_speed.py``, chapter 10). Their outputs are committed under
``results/`` in the book's repository, and each chapter checks a live slice
against them. :func:`find_results` finds that folder from a notebook.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._checks import check_seed

__all__ = [
    "RESULTS_ENV",
    "find_results",
    "DATA_ENV",
    "CACHE_ENV",
    "data_dir",
    "cache_dir",
    "file_hash",
    "atomic_write",
    "get_device",
    "seed_everything",
    "model_device",
]


RESULTS_ENV = "LSTM_COMPANION_RESULTS"


def find_results(name: str, start: str | os.PathLike[str] | None = None) -> Path:
    """The committed results file ``results/<name>``.

    Looked for, in this order: in the folder named by the environment variable
    ``LSTM_COMPANION_RESULTS``; then in ``results/`` of ``start`` (default: the
    current folder) and of each of its parents, as when a chapter runs in
    ``notebooks/`` of a clone. Raises :class:`FileNotFoundError` naming every
    place looked at.
    """
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"name must be a relative file name inside results/, got {name!r}")
    looked: list[Path] = []
    env = os.environ.get(RESULTS_ENV)
    if env:
        path = Path(env) / name
        if path.is_file():
            return path
        looked.append(path)
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, *here.resolve().parents):
        path = folder / "results" / name
        if path.is_file():
            return path
        looked.append(path)
    raise FileNotFoundError(
        f"results/{name} was not found (looked at {', '.join(str(p) for p in looked[:4])}"
        f"{', ...' if len(looked) > 4 else ''}): run the chapter from a clone of the book's repository, "
        f"or point {RESULTS_ENV} at a folder holding {name}"
    )


DATA_ENV = "LSTM_COMPANION_DATA"


CACHE_ENV = "LSTM_COMPANION_CACHE"


def data_dir() -> Path | None:
    """The local data folder named by ``LSTM_COMPANION_DATA``, or ``None``."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The cache folder: ``LSTM_COMPANION_CACHE`` or ``~/.cache/lstm_companion``."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "lstm_companion"


def file_hash(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if algorithm not in hashlib.algorithms_available:
        raise ValueError(f"algorithm must be one of hashlib's, e.g. 'sha256' or 'sha1', got {algorithm!r}")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path`` (never half-written)."""
    if not isinstance(path, Path):
        raise TypeError(f"path must be a pathlib.Path, got {type(path).__name__}")
    if not callable(write):
        raise TypeError(f"write must be callable as write(tmp_path), got {type(write).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
    check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def model_device(model: nn.Module) -> torch.device:
    """Where ``model``'s (first) parameter lives; the CPU for a model without parameters."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")
