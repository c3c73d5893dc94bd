"""Recurrent state types, cutting the graph behind a state, and one-hot input steps.

- :data:`LSTMState`: an LSTM's ``(H, C)`` pair, the state type of every LSTM
  layer of the package; :data:`RecurrentState`: any recurrent state, a tensor, a tuple
  of tensors, or ``None``.
- :func:`map_state`: apply a function to every tensor of a nested state
  (detaching it, moving it, casting it: chapter 12 carries and saves states
  with it).
- :func:`detach_state`: cut the graph behind a (possibly tuple) state, so
  that the gradient of one minibatch stops at its first step: truncated
  backpropagation through time (chapter 1). :func:`~lstm_companion.fit`
  (:mod:`lstm_companion.training.loop`) calls it between minibatches when it
  carries the state, as every sequentially batched language model does.
- :func:`one_hot_steps`: token indices ``(batch_size, num_steps)`` ->
  time-major one-hot vectors ``(num_steps, batch_size, vocab_size)``,
  checked; the input of :class:`~lstm_companion.CharLSTM`
  (:mod:`lstm_companion.models.lm`) and :class:`~lstm_companion.Tagger`
  (:mod:`lstm_companion.models.task_models`), both of chapter 6.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from .._checks import check_same_device, check_tensor

__all__ = ["one_hot_steps", "LSTMState", "RecurrentState", "detach_state", "map_state"]


LSTMState = tuple[torch.Tensor, torch.Tensor]


RecurrentState = torch.Tensor | tuple[torch.Tensor, ...] | None


def map_state(state: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor of a state: ``None``, a tensor, or nested tuples and lists of them."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return fn(state)
    if isinstance(state, tuple):
        return tuple(map_state(s, fn) for s in state)
    if isinstance(state, list):
        return [map_state(s, fn) for s in state]
    raise TypeError(f"state must be a tensor or nested tuples/lists of tensors, got {type(state).__name__}")


def detach_state(state: RecurrentState) -> RecurrentState:
    """Cut the graph behind a (possibly tuple) state: truncated BPTT (chapter 1)."""
    return map_state(state, torch.Tensor.detach)  # type: ignore[no-any-return]


def one_hot_steps(X: object, vocab_size: int, like: torch.Tensor) -> torch.Tensor:
    """Token indices ``X`` ``(batch_size, num_steps)`` -> time-major one-hot ``(num_steps, batch_size, vocab_size)``.

    The input of chapter 6's tagger and character LSTM; checked (integer
    tokens in ``[0, vocab_size)`` on ``like``'s device) and cast to ``like``'s dtype.
    """
    X = check_tensor("X", X, ndim=2, floating=False)
    check_same_device("X", X, like.device)
    if X.min() < 0 or X.max() >= vocab_size:
        raise ValueError(f"X must hold token indices in [0, {vocab_size}), got [{int(X.min())}, {int(X.max())}]")
    return F.one_hot(X.T, vocab_size).to(like.dtype)
