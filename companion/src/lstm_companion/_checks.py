"""Argument checks shared by the package (private: not part of ``lc``).

Every check raises an error whose message names the argument, what was
expected and what was given, so that a reader's mistake points at itself.
They cover numbers (:func:`check_positive_int`, :func:`check_probability`,
...), strings and texts, per-step signals (:func:`check_signal`), tensors
(:func:`check_tensor`: rank, shape, dtype; and their device, finiteness and
index range), sample-first data
(:func:`check_samples`), a process's rank (:func:`check_rank`), the call of a one-layer LSTM
(:func:`check_lstm_input`, the layers of chapters 8 and 10), the keys of a
record (:func:`check_record_keys`), a checkpoint's folder and file name
(:func:`check_folder_and_name`) and what a ``weights_only`` checkpoint may
hold (:func:`check_plain`). The module is one home for every check, so that
every message reads alike.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "check_positive_int",
    "check_finite_float",
    "check_positive_finite_float",
    "check_positive_float",
    "check_nonneg_float",
    "check_probability",
    "check_str",
    "check_text",
    "check_signal",
    "check_finite_tensor",
    "check_finite_input",
    "check_index_range",
    "check_same_dtype",
    "check_record_keys",
    "check_folder_and_name",
    "check_plain",
    "check_tensor",
    "check_same_device",
    "check_lstm_input",
    "check_seed",
    "check_samples",
    "check_rank",
    "check_device",
    "check_bool",
]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` > 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int > 0, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be an int > 0, got {value}")
    return value


def check_heads(hidden_size: int, num_heads: int) -> int:
    """The width of one head, ``hidden_size // num_heads``: both ints > 0, ``num_heads`` dividing ``hidden_size``."""
    check_positive_int("hidden_size", hidden_size)
    check_positive_int("num_heads", num_heads)
    if hidden_size % num_heads:
        raise ValueError(f"num_heads must divide hidden_size, got hidden_size={hidden_size} and num_heads={num_heads}")
    return hidden_size // num_heads


def _finite_number(name: str, value: object, condition: str = "") -> float:
    """``value`` as a float if it is a finite real number (not a bool), else raise naming ``name``.

    ``condition`` (e.g. ``"> 0"``) only completes the messages; the caller checks it.
    """
    cond = f" {condition}" if condition else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number{cond}, got {type(value).__name__} {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond float's range
        x = math.inf
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number{cond}, got {value}")
    return x


def check_finite_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number (not inf or NaN)."""
    return _finite_number(name, value)


def check_positive_finite_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (inf and NaN are errors)."""
    x = _finite_number(name, value, "> 0")
    if not x > 0:
        raise ValueError(f"{name} must be a number > 0, got {value}")
    return x


def check_positive_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (inf and NaN are errors).

    The same check as :func:`check_positive_finite_float`: a learning rate,
    temperature or clipping norm of ``inf`` is never meant.
    """
    return check_positive_finite_float(name, value)


def check_nonneg_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0 (inf and NaN are errors)."""
    x = _finite_number(name, value, ">= 0")
    if not x >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value}")
    return x


def check_probability(name: str, value: object, *, allow_one: bool = False) -> float:
    """Return ``value`` as a float if it lies in ``[0, 1)`` (``[0, 1]`` with ``allow_one``), e.g. a dropout rate."""
    condition = ">= 0 and <= 1" if allow_one else ">= 0 and < 1"
    x = _finite_number(name, value, condition)
    if not (0 <= x <= 1 if allow_one else 0 <= x < 1):
        raise ValueError(f"{name} must be a number {condition}, got {value}")
    return x


def check_str(name: str, value: object, *, nonempty: bool = True) -> str:
    """Return ``value`` if it is a ``str`` (non-empty unless ``nonempty=False``), else raise naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    if nonempty and not value:
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return value


def check_text(name: str, value: object) -> str:
    """Return ``value`` if it is a non-empty ``str``, a text read character by character (chapter 9); else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_signal(name: str, value: object, n: int | None = None, *, of: str = "the activations' rows") -> torch.Tensor:
    """``value``, one number per step (a tensor, numpy array or list), as a finite 1-D float64 tensor (chapter 9).

    With ``n``, its length must be ``n``, the number of steps of ``of`` (named in the error).
    """
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, (list, tuple)):
        value = torch.tensor(value, dtype=torch.float64)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a tensor, a numpy array or a list of numbers, got {type(value).__name__}")
    check_tensor(name, value, ndim=1)
    if n is not None and len(value) != n:
        raise ValueError(f"{name} must have one value per step: length {n} ({of}), got {len(value)}")
    value = value.double()
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must be finite everywhere")
    return value


def check_finite_tensor(name: str, x: torch.Tensor) -> torch.Tensor:
    """Return ``x`` if every entry is finite; else raise naming ``name`` and how many entries are NaN or inf."""
    if x.is_floating_point() or x.is_complex():
        finite = torch.isfinite(x)
        if not bool(finite.all()):
            num_nan = int(torch.isnan(x).sum())
            num_inf = int((~finite).sum()) - num_nan
            raise ValueError(
                f"{name} must be finite everywhere, got {num_nan} NaN and {num_inf} infinite value(s) among {x.numel()}"
            )
    return x


def check_finite_input(name: str, x: torch.Tensor) -> torch.Tensor:
    """Return ``x`` if every entry is finite, checked in one reduction pass (``torch.aminmax``).

    Cheap enough for a model's whole input once per call: NaN propagates to
    the minimum and maximum, and an infinity is one of them. A non-finite
    input raises as :func:`check_finite_tensor` does (with the counts).
    """
    if x.numel() and x.is_floating_point():
        lo, hi = torch.aminmax(x.detach())
        if not bool(torch.isfinite(lo) & torch.isfinite(hi)):
            check_finite_tensor(name, x)
    return x


def check_index_range(name: str, x: torch.Tensor, high: int, *, what: str = "indices", of: str = "") -> torch.Tensor:
    """Return ``x`` (an integer tensor) if its values lie in ``[0, high)``; else raise naming ``name``.

    ``of`` says where ``high`` comes from, e.g. ``"the model's vocab_size"``.
    """
    if x.numel() == 0:
        return x
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= high:
        where = f" ({of})" if of else ""
        raise ValueError(f"{name} must hold {what} in [0, {high}){where}, got values in [{lo}, {hi}]")
    return x


def check_same_dtype(name: str, x: torch.Tensor, like: torch.Tensor, *, like_name: str = "the parameters") -> None:
    """Raise if ``x`` has another dtype than ``like`` (e.g. a layer's weights)."""
    if x.dtype != like.dtype:
        raise TypeError(
            f"{name} must have the same dtype as {like_name} ({like.dtype}), got {x.dtype}; "
            f"convert it with {name}.to({like.dtype})"
        )


def check_record_keys(record: object, required: Iterable[str], *, where: str, what: str = "record") -> dict[str, Any]:
    """Return ``record`` if it is a dict holding every key of ``required``; else raise naming ``where``."""
    if not isinstance(record, dict):
        raise ValueError(f"{where} is not a {what}: expected a dict, got {type(record).__name__}")
    missing = sorted(set(required) - set(record))
    if missing:
        raise ValueError(f"{where} is not a complete {what}: it lacks the key(s) {missing}")
    return record


def check_folder_and_name(folder: object, name: object) -> tuple[Path, str]:
    """``folder`` as a Path and ``name``, a plain file name without a folder (a checkpoint's name.pt, name.json)."""
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a str or os.PathLike, got {type(folder).__name__}")
    check_str("name", name)
    assert isinstance(name, str)
    if Path(name).name != name or name in (".", ".."):
        raise ValueError(
            f"name must be a plain file name without a folder (the files are name.pt and name.json), got {name!r}"
        )
    return Path(folder), name


_PLAIN = (str, int, float, bool, type(None))


def check_plain(name: str, value: Any) -> None:
    """``value`` must be what ``torch.load(weights_only=True)`` reads back: plain values, tensors, containers."""
    if isinstance(value, (*_PLAIN, torch.Tensor)):
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_plain(f"{name}[{i}]", v)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, _PLAIN):
                raise TypeError(f"{name} keys must be plain values, got {type(k).__name__}")
            check_plain(f"{name}[{k!r}]", v)
        return
    raise TypeError(
        f"{name} must hold only str, int, float, bool, None, tensors, lists and dicts "
        f"(a weights_only checkpoint reads nothing else), got {type(value).__name__}"
    )


def check_tensor(
    name: str,
    x: object,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    floating: bool | None = None,
    dtype: torch.dtype | None = None,
    nonempty: bool = True,
) -> torch.Tensor:
    """Check that ``x`` is a tensor of the given rank, shape and dtype.

    ``shape`` may hold ``None`` for a free dimension, e.g. ``(None, None, 28)``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and x.dim() != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions"
            + (f" {_fmt_shape(shape)}" if shape is not None else "")
            + f", got {x.dim()} with shape {tuple(x.shape)}"
        )
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, x.shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"{name} must have shape {_fmt_shape(shape)}, got {tuple(x.shape)} "
                    f"(dimension {axis} is {got}, expected {want})"
                )
    if nonempty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {x.dtype}")
    if floating is True and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if floating is False and x.is_floating_point():
        raise TypeError(f"{name} must be an integer tensor of token indices, got dtype {x.dtype}")
    return x


def check_same_device(name: str, x: torch.Tensor, expected: torch.device) -> None:
    """Raise if ``x`` lives on another device than ``expected``."""
    if x.device.type != expected.type or (
        expected.index is not None and x.device.index is not None and x.device.index != expected.index
    ):
        raise ValueError(
            f"{name} is on device {x.device}, but the model's parameters are on {expected}; "
            f"move it with {name}.to({str(expected)!r})"
        )


def _fmt_shape(shape: Sequence[int | None] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


def check_lstm_input(
    X: object,
    state: object,
    *,
    num_inputs: int,
    num_hiddens: int,
    like: torch.Tensor,
) -> None:
    """Check a one-layer LSTM's call ``forward(X, state)`` (chapters 8 and 10).

    ``X`` must be ``(num_steps, batch_size, num_inputs)`` with ``like``'s dtype
    and device (``like`` is one of the layer's parameters); ``state`` is
    ``None`` or a tuple ``(H0, C0)`` of ``(1, batch_size, num_hiddens)``
    tensors, as for ``nn.LSTM``.
    """
    check_tensor("X", X, shape=(None, None, num_inputs), floating=True)
    assert isinstance(X, torch.Tensor)
    if X.dtype != like.dtype:
        raise TypeError(f"X must have the parameters' dtype {like.dtype}, got {X.dtype}")
    check_same_device("X", X, like.device)
    if state is None:
        return
    if not isinstance(state, tuple) or len(state) != 2:
        raise TypeError(f"state must be a tuple (H0, C0) of two tensors, got {type(state).__name__}")
    shape = (1, X.shape[1], num_hiddens)
    for name, s in zip(("state[0] (H0)", "state[1] (C0)"), state):
        check_tensor(name, s, shape=shape, dtype=like.dtype)
        check_same_device(name, s, like.device)


def exp_or_inf(x: float) -> float:
    """``exp(x)``, but ``inf`` instead of ``OverflowError`` for a huge mean loss (a perplexity)."""
    return math.exp(x) if x < 709.0 else math.inf


def check_seed(seed: object, name: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{name} must be an int, got {type(seed).__name__} {seed!r}")
    return seed


def check_samples(X: torch.Tensor, y: torch.Tensor) -> None:
    check_tensor("X", X)
    check_tensor("y", y, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must hold the same number of samples, got {X.shape[0]} and {y.shape[0]}")


def check_rank(rank: object, world_size: object) -> tuple[int, int]:
    """``rank`` an int in ``[0, world_size)`` and ``world_size`` a positive int, both returned (chapter 12)."""
    world = check_positive_int("world_size", world_size)
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise TypeError(f"rank must be an int in [0, world_size), got {type(rank).__name__} {rank!r}")
    if not 0 <= rank < world:
        raise ValueError(f"rank must be in [0, world_size={world}), got {rank}")
    return rank, world


def check_device(name: str, device: object) -> torch.device:
    """``device`` (a ``torch.device`` or a string such as ``"cpu"`` or ``"cuda:0"``) as a ``torch.device``."""
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{name} must be a torch.device or a device string such as 'cpu', got {type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"{name} must name a device such as 'cpu', 'cuda' or 'cuda:0', got {device!r}") from err


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool``, else raise naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return value
