"""Argument checks shared by the package.

Every check raises an error whose message names the argument, what was
expected and what was given, so that a reader's mistake points at itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "check_positive_int",
    "check_positive_float",
    "check_nonneg_float",
    "check_tensor",
    "check_same_device",
    "check_lstm_input",
    "check_seed",
    "check_samples",
]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` > 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int > 0, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be an int > 0, got {value}")
    return value


def check_positive_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number > 0, got {type(value).__name__} {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value}")
    return float(value)


def check_nonneg_float(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number >= 0, got {type(value).__name__} {value!r}")
    if not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value}")
    return float(value)


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


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    return seed


def check_samples(X: torch.Tensor, y: torch.Tensor) -> None:
    check_tensor("X", X)
    check_tensor("y", y, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must hold the same number of samples, got {X.shape[0]} and {y.shape[0]}")
