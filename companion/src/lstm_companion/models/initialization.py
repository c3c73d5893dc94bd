"""Parameter initialisation shared by the from-scratch recurrent layers (chapters 1, 4, 8, 10)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["uniform_parameter"]


def uniform_parameter(
    *shape: int,
    bound: float,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> nn.Parameter:
    """A parameter of ``shape`` drawn uniform in ``[-bound, bound]``.

    With ``bound = 1 / sqrt(num_hiddens)`` this is how PyTorch initialises every
    weight and bias of ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.
    """
    return nn.Parameter(torch.empty(*shape, dtype=dtype, device=device).uniform_(-bound, bound))
