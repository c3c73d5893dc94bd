"""Device, seeding, the package's folders and addresses, safe file writes: what every other module may use.

Every chapter begins with ``lc.seed_everything(0)`` and ``device =
lc.get_device()``:

- :func:`get_device`: CUDA if present, else Apple's MPS, else the CPU (or the
  device asked for); :func:`model_device`: where a model's parameters live;
- :func:`fit_threads`: on the CPU, torch's intra-op threads set to the cores
  this process may run on (:func:`usable_cores`, from
  ``os.sched_getaffinity``) divided among the processes a run starts, so no
  chapter starts more threads than it has cores (:func:`get_device` caps the
  threads at the free cores, those not busy with other tasks, keeping a lower
  count);
- :func:`seed_everything`: seeds Python, NumPy and PyTorch, so that a run
  repeats (saving and restoring those generators' states is
  :mod:`lstm_companion.rng`).

Environment variables say where the package reads and writes:

- ``LSTM_COMPANION_DATA`` (:data:`DATA_ENV`, :func:`data_dir`): a folder that
  already holds the data files, so that nothing is downloaded (the book's CI
  sets it);
- ``LSTM_COMPANION_CACHE`` (:data:`CACHE_ENV`, :func:`cache_dir`; default
  ``~/.cache/lstm_companion``): downloaded data and results, and trained
  checkpoints;
- ``LSTM_COMPANION_RESULTS`` (:data:`RESULTS_ENV`): a folder holding the
  committed ``results/`` files;
- ``LSTM_COMPANION_MIRROR`` (:data:`MIRROR_ENV`, :func:`mirror_url`): a base
  address that serves every data and results file in place of their usual
  addresses (tests, offline mirrors).

:data:`REPOSITORY_URL` is the book's public repository, and
:func:`release_files_url` the address of its files at this package's release
tag, from which the committed results are downloaded. The data files and the
committed results themselves (:func:`~lstm_companion.fetch`,
:func:`~lstm_companion.find_results`) are in
:mod:`lstm_companion.data.download`.

:func:`atomic_write` writes a file under a temporary name, flushes it to the
disk and renames it into place, so that an interrupted run never leaves it
half-written (:func:`atomic_write_many`: several files, all written before
any is renamed);
:func:`file_hash` is a file's sha256 (or another of hashlib's digests). The
record of the machine a result was computed on is
:mod:`lstm_companion.machine`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._checks import check_seed

__all__ = [
    "RESULTS_ENV",
    "MIRROR_ENV",
    "REPOSITORY_URL",
    "release_files_url",
    "mirror_url",
    "DATA_ENV",
    "CACHE_ENV",
    "FIXED_THREADS_ENV",
    "data_dir",
    "cache_dir",
    "file_hash",
    "atomic_write",
    "atomic_write_many",
    "get_device",
    "usable_cores",
    "fit_threads",
    "others_running",
    "seed_everything",
    "model_device",
]


RESULTS_ENV = "LSTM_COMPANION_RESULTS"  # a folder holding the committed results/ files
MIRROR_ENV = "LSTM_COMPANION_MIRROR"  # a base address serving every data and results file (tests, offline mirrors)

#: The book's public repository: the same address as ``repository.url`` in the book's
#: ``_config.yml`` (tests/test_packaging.py checks it). Results files are downloaded from its
#: release tag ``v<version>`` (:func:`release_files_url`).
REPOSITORY_URL = "https://github.com/lstm-book/lstm-book"


def release_files_url() -> str:
    """Base address of the repository's files at this package's release tag ``v<version>``.

    For a GitHub repository this is ``https://raw.githubusercontent.com/<owner>/<repo>/v<version>``.
    ``LSTM_COMPANION_MIRROR`` replaces it (and the data sets' addresses) when set.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        tag = "v" + version("lstm-companion")
    except PackageNotFoundError:  # a source tree that was not installed
        tag = "main"
    if REPOSITORY_URL.startswith("https://github.com/"):
        return "https://raw.githubusercontent.com/" + REPOSITORY_URL.removeprefix("https://github.com/") + "/" + tag
    return f"{REPOSITORY_URL}/raw/{tag}"


def mirror_url() -> str | None:
    """The base address in ``LSTM_COMPANION_MIRROR`` (no trailing slash), or None when it is unset."""
    value = os.environ.get(MIRROR_ENV)
    return value.rstrip("/") if value else None


DATA_ENV = "LSTM_COMPANION_DATA"


CACHE_ENV = "LSTM_COMPANION_CACHE"
#: Set to "1" by a script that fixes torch's thread count to record it: :func:`get_device` then never lowers it.
FIXED_THREADS_ENV = "LSTM_COMPANION_FIXED_THREADS"


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


def _fsync(path: Path) -> None:
    """Flush a written file to the disk, or a folder's entries (the renames into it) where the OS allows it."""
    if not path.is_dir():
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
        return
    with contextlib.suppress(OSError):  # Windows cannot os.open a folder, nor flush one: nothing to do there
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_many(files: Mapping[Path, Callable[[Path], object]]) -> None:
    """Write several files together: ``write(tmp)`` for each target, then rename every temporary file into place.

    Each ``write`` is called, in the mapping's order, with a temporary file
    of a unique name in its target's folder (``<name>.part-<random>``); it writes the file (and may read
    it back to check it, raising on any fault). Only when every file is
    written and flushed to the disk (``fsync``) are they renamed over their
    targets, and the folders flushed. A failure while writing leaves none of
    the targets changed and no temporary file behind. The renames are
    separate steps, not one atomic step: a crash between two of them leaves
    some targets new and the others old (each file whole).
    """
    if not isinstance(files, Mapping):
        raise TypeError(f"files must be a mapping from Path to write(tmp_path), got {type(files).__name__}")
    for path, write in files.items():
        if not isinstance(path, Path):
            raise TypeError(f"path must be a pathlib.Path, got {type(path).__name__}")
        if not callable(write):
            raise TypeError(f"write must be callable as write(tmp_path), got {type(write).__name__}")
    temps: dict[Path, Path] = {}
    try:
        for path, write in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            # name.part-<random>: torch names the archive inside a .pt file after the file it writes, less its last
            # suffix, so the saved bytes are those of writing `path` itself (reproducible sha256s)
            fd, tmp_name = tempfile.mkstemp(prefix=f"{path.name}.part-", dir=path.parent)
            os.close(fd)
            temps[path] = Path(tmp_name)
            write(temps[path])
            _fsync(temps[path])
        for path, tmp in temps.items():
            os.replace(tmp, path)
        for folder in {path.parent for path in temps}:
            _fsync(folder)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path`` (never half-written).

    :func:`atomic_write_many` for one file: ``write`` may read the file back
    and raise to refuse it; the file is flushed to the disk before the rename
    and the folder after it, so a crash leaves the old file or the new one.
    """
    if not isinstance(path, Path):
        raise TypeError(f"path must be a pathlib.Path, got {type(path).__name__}")
    atomic_write_many({path: write})


# torch's own choice when the package was imported (the physical cores it found)
_TORCH_DEFAULT_THREADS = torch.get_num_threads()


def usable_cores() -> int:
    """How many CPU cores this process may run on: ``os.sched_getaffinity`` where the OS has it
    (a container or ``taskset`` may allow fewer than the machine has), else ``os.cpu_count()``."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        try:
            return max(1, len(getaffinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def _threads_per_process(processes: int) -> int:
    """The usable cores (capped at torch's own physical-core count) shared among ``processes``, at least one."""
    return max(1, min(_TORCH_DEFAULT_THREADS, usable_cores()) // processes)


def fit_threads(processes: int = 1) -> int:
    """Set torch's intra-op threads to this process's share of the usable cores; returns the count.

    ``processes`` is how many processes share the cores (for example the
    ranks that ``torchrun`` starts on one machine): each gets
    ``min(torch's default, usable_cores()) // processes`` threads, at least
    one (torch's default counts physical cores, so hyperthreads are not
    doubled up; the affinity mask can allow fewer). More threads than
    cores make the threads wait for each other at every parallel operation,
    which slowed chapters many times over on a busy 2-core machine.
    """
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
        raise ValueError(f"processes must be an int >= 1, got {processes!r}")
    threads = _threads_per_process(processes)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def others_running() -> int | None:
    """How many other tasks are running or ready to run on this machine now; ``None`` where the OS does not say.

    Read from ``/proc/loadavg``'s runnable count (Linux), less this process,
    as the median of five readings 10 ms apart (one reading is noisy).
    """
    import time

    readings = []
    for k in range(5):
        try:
            with open("/proc/loadavg") as f:
                runnable = int(f.read().split()[3].split("/")[0])
        except (OSError, IndexError, ValueError):
            return None
        readings.append(max(0, runnable - 1))
        if k < 4:
            time.sleep(0.01)
    return sorted(readings)[2]


def _cap_threads() -> None:
    """Lower torch's threads to the free cores if it is above that; a lower choice stays.

    The free cores: :func:`fit_threads`'s count for one process, less the
    tasks already running (:func:`others_running`), at least one; never with
    ``LSTM_COMPANION_FIXED_THREADS=1`` (a script that records its count). Threads that
    must wait for a core stall every parallel operation: a chapter beside
    two busy processes on 2 cores ran 10 to 28 times slower with two threads.
    """
    if torch.get_num_threads() <= 1:
        return  # nothing to lower: skip reading the machine's load
    if os.environ.get(FIXED_THREADS_ENV) == "1":
        return  # a script recording its thread count (scripts/word_lm.py): the count it set is the count it ran
    threads = _threads_per_process(1)
    busy = others_running()
    if busy:
        threads = max(1, threads - busy)
    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)


def _cuda_available() -> bool:
    return torch.cuda.is_available()


def _mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def get_device(device: str | torch.device | None = None) -> torch.device:
    """The device to run on: CUDA if present, else Apple MPS, else CPU (chapter 1).

    Pass ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``
    to choose; ``None`` or ``"auto"`` chooses the fastest one present. When
    the answer is the CPU, torch's threads are capped at the free cores: the
    usable cores (:func:`fit_threads`'s count for one process) less the tasks
    already running (:func:`others_running`), at least one; a lower count set
    before (``torch.set_num_threads(1)``) is kept.
    """
    if device is None or device == "auto":
        if _cuda_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        _cap_threads()
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}") from err
    if dev.type == "cuda" and not _cuda_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available on this machine")
    if dev.type == "mps" and not _mps_available():
        raise ValueError(f"device={device!r} was asked for but MPS is not available on this machine")
    if dev.type == "cpu":
        _cap_threads()
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
