"""models/state: moved from lstm, lm."""

from __future__ import annotations

import torch

__all__ = ["LSTMState", "State", "detach_state"]


LSTMState = tuple[torch.Tensor, torch.Tensor]


State = torch.Tensor | tuple[torch.Tensor, ...] | None


def detach_state(state: State) -> State:
    """Cut the graph behind a (possibly tuple) state: truncated BPTT (chapter 1)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
