"""models/state: moved from lstm, lm."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .._checks import check_same_device, check_tensor

__all__ = ["one_hot_steps", "LSTMState", "State", "detach_state"]


LSTMState = tuple[torch.Tensor, torch.Tensor]


State = torch.Tensor | tuple[torch.Tensor, ...] | None


def detach_state(state: State) -> State:
    """Cut the graph behind a (possibly tuple) state: truncated BPTT (chapter 1)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def one_hot_steps(X: object, vocab_size: int, like: torch.Tensor) -> torch.Tensor:
    """Token indices ``X`` ``(batch_size, num_steps)`` -> time-major one-hot ``(num_steps, batch_size, vocab_size)``.

    The input of the character models of chapters 2, 6 and 8; checked (integer
    tokens in ``[0, vocab_size)`` on ``like``'s device) and cast to ``like``'s dtype.
    """
    X = check_tensor("X", X, ndim=2, floating=False)
    check_same_device("X", X, like.device)
    if X.min() < 0 or X.max() >= vocab_size:
        raise ValueError(f"X must hold token indices in [0, {vocab_size}), got [{int(X.min())}, {int(X.max())}]")
    return F.one_hot(X.T, vocab_size).to(like.dtype)
