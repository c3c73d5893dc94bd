"""Load if trained before, else train: the checkpoint cache keyed by settings, code, torch and device (chapters 1, 3-9).

A chapter's training cell calls :func:`load_or_train` with every setting that
shapes the result. The cache key (:func:`cache_key`) hashes those settings,
the package's own source code (:func:`code_hash`), the PyTorch version and the
device type, so a change to any of them trains again; otherwise the weights
(:func:`~lstm_companion.load_model`, ``weights_only=True``: a checkpoint
cannot run code) and the training history are loaded. Both files are written
atomically, so an interrupted run leaves nothing broken.

The cache is the ``checkpoints`` folder of ``LSTM_COMPANION_CACHE``
(:func:`~lstm_companion.cache_dir`). Chapters 1 and 5-7 call
:func:`load_or_train` directly; the recipes (:mod:`lstm_companion.recipes`)
train through it too: the character language models (chapters 3, 4 and 9),
the sentiment classifiers (chapters 6 and 7) and the ablation's reruns
(chapter 8). The checkpoint formats themselves are in
:mod:`lstm_companion.training.checkpoint`.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..runtime import atomic_write, cache_dir
from .checkpoint import load_model, save_model
from .loop import History

__all__ = ["code_hash", "cache_key", "load_or_train"]


def code_hash() -> str:
    """sha256 of this package's Python sources, every subpackage included (sorted by path)."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]  # lstm_companion/
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(name: str, settings: Mapping[str, Any], device: torch.device | str = "cpu") -> str:
    """A file-name-safe key for ``name`` trained with ``settings`` on ``device``."""
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"name must be a non-empty string of letters, digits, '-' and '_', got {name!r}")
    payload = json.dumps(
        {
            "settings": settings,
            "code": code_hash(),
            "torch": torch.__version__.split("+")[0],
            "device": torch.device(device).type,
        },
        sort_keys=True,
        default=str,
    )
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def load_or_train(
    name: str,
    model: nn.Module,
    settings: Mapping[str, Any],
    train: Callable[[], History],
    *,
    device: torch.device | str = "cpu",
    cache: str | os.PathLike[str] | None = None,
) -> tuple[History, bool]:
    """Load ``model``'s weights and history if this exact run was cached, else run ``train()``.

    Any training of the book can be cached: ``train`` is a function that runs
    :func:`~lstm_companion.fit` (or a wrapper of it) and returns its
    :class:`~lstm_companion.History`. Returns ``(history, loaded)``. The cache
    lives in ``cache`` (default: the ``checkpoints`` folder of
    ``LSTM_COMPANION_CACHE``). A damaged cache entry (truncated weights, an
    unreadable history) is not an error: it is trained again, with a warning
    that names the file.
    """
    if not callable(train):
        raise TypeError(f"train must be a function () -> History, got {type(train).__name__}")
    folder = (Path(cache) if cache is not None else cache_dir()) / "checkpoints"
    key = cache_key(name, settings, device)
    weights, meta = folder / f"{key}.pt", folder / f"{key}.json"
    if weights.is_file() and meta.is_file():
        try:
            history = History.from_dict(json.loads(meta.read_text()), source=str(meta))
            load_model(model, weights)
            return history, True
        except (ValueError, TypeError, OSError) as err:  # json.JSONDecodeError is a ValueError
            warnings.warn(f"damaged cache entry {key} ({err}); training again", RuntimeWarning, stacklevel=2)
    history = train()
    if not isinstance(history, History):
        raise TypeError(f"train() must return a History, got {type(history).__name__}")
    save_model(model, weights)
    atomic_write(meta, lambda tmp: tmp.write_text(json.dumps(history.to_dict())))
    return history, False
