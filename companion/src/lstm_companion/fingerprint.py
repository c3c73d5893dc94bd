"""Fingerprints of tensors and state dicts, and how far two states differ (chapters 10-14, scripts/).

Chapter 12 checks that a killed and resumed run ends with the weights of a
run never interrupted, *bit for bit*; the scripts and
``scripts/training_paths.py`` compare runs the same way. Three functions
serve them:

- :func:`state_dict_sha256`: sha256 over a state dict's names, dtypes,
  shapes and bytes, equal only for bit-identical weights;
- :func:`payload_sha256`: the same over any nesting of dicts, lists and
  tensors (a training-state file stores it, and checks it when read:
  :mod:`lstm_companion.training.checkpoint`);
- :func:`max_abs_difference`: the largest absolute difference between two
  state dicts, ``inf`` where a NaN stands against a number.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["payload_sha256", "state_dict_sha256", "max_abs_difference"]


def _hash_tensor(h: Any, prefix: str, tensor: torch.Tensor) -> None:
    """Feed ``prefix|dtype|shape|`` and the tensor's bytes to the hash ``h``."""
    t = tensor.detach().cpu().contiguous()
    h.update(f"{prefix}|{t.dtype}|{tuple(t.shape)}|".encode())
    h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")


def payload_sha256(obj: Any) -> str:
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


def state_dict_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over a state dict's names, dtypes, shapes and bytes: equal only for bit-identical weights."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a state dict (a mapping of tensors), got {type(state).__name__}")
    h = hashlib.sha256()
    for name in sorted(state):
        if not isinstance(state[name], torch.Tensor):
            raise TypeError(f"state[{name!r}] must be a tensor, got {type(state[name]).__name__}")
        _hash_tensor(h, name, state[name])
    return h.hexdigest()


def max_abs_difference(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> float:
    """Largest absolute difference between two state dicts with the same names, dtypes and shapes.

    A NaN in one where the other holds a number (or another NaN position)
    makes the difference ``inf``: two states differ there, however close the
    rest. NaN against NaN at the same place counts as equal, as bit-identical
    runs would produce it.
    """
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        raise TypeError("a and b must be state dicts (mappings of tensors)")
    if set(a) != set(b):
        raise ValueError(f"a and b must have the same names; differ in {sorted(set(a) ^ set(b))}")
    worst = 0.0
    for name in a:
        x, y = a[name], b[name]
        if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
            raise TypeError(
                f"a[{name!r}] and b[{name!r}] must be tensors, got {type(x).__name__} and {type(y).__name__}"
            )
        if x.shape != y.shape:
            raise ValueError(f"{name}: shapes differ, {tuple(x.shape)} and {tuple(y.shape)}")
        if x.dtype != y.dtype:
            raise ValueError(f"{name}: dtypes differ, {x.dtype} and {y.dtype}")
        if x.numel():
            diff = (x.double() - y.double()).abs()
            both_nan = torch.isnan(x) & torch.isnan(y)
            diff = torch.where(both_nan, torch.zeros_like(diff), diff.nan_to_num(nan=math.inf))
            worst = max(worst, float(diff.max()))
    return worst
