"""The random-number generators' states: capture, check and restore them (chapter 12's training states).

:func:`capture_rng_state` saves torch's CPU (and CUDA) generators, NumPy's
global ``RandomState`` and Python's ``random`` as tensors and plain values,
so that a training state holding them loads with ``weights_only=True``;
:func:`check_rng_state` checks such a state without touching any generator;
:func:`restore_rng_state` puts one back, so that a resumed run continues the
same random draws. Seeding the generators is
:func:`~lstm_companion.seed_everything`, in :mod:`lstm_companion.runtime`;
the training-state files are in :mod:`lstm_companion.training.checkpoint`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["capture_rng_state", "check_rng_state", "restore_rng_state"]


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
