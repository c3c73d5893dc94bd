"""An LSTM encoder with a direct multi-step head, with or without attention, point or Gaussian (chapter 13).

:class:`LSTMForecaster` reads a window ``(batch_size, history, num_inputs)``
with ``nn.LSTM`` and forecasts all ``horizon`` steps at once (a direct
multi-step forecast, no feeding back of its own predictions):

- without attention, a linear layer maps the last hidden state ``h_T`` to
  the ``horizon`` outputs;
- with attention, each horizon step ``k`` has a learned query embedding
  ``e_k``; the query ``h_T + e_k`` attends over all encoder states with one of
  chapter 7's layers (:func:`~lstm_companion.make_attention`), and step
  ``k``'s own linear map takes ``[context_k, h_T]`` to its output (so the
  model can do all the plain one does, and use the context on top). The weights
  ``(batch_size, horizon, history)`` of the last call are kept in
  ``last_weights``; :func:`~lstm_companion.attention_by_lag` sums them by lag.

With ``gaussian=True`` each step also gets a standard deviation
(``softplus`` of a second output, plus a floor), as DeepAR's Gaussian
likelihood does (Salinas et al., 2020); train with
:func:`gaussian_nll` (:func:`~lstm_companion.train_forecaster` picks it).
``forward`` returns ``(mean, std)``, ``std`` ``None`` for a point model.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_int, check_same_device, check_same_dtype, check_tensor
from .attention import make_attention

__all__ = ["LSTMForecaster", "gaussian_nll"]

_STD_FLOOR = 1e-3


class LSTMForecaster(nn.Module):
    """LSTM encoder, optional attention over its states, direct head for ``horizon`` steps (chapter 13)."""

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        horizon: int,
        *,
        attention: str | None = None,
        gaussian: bool = False,
    ) -> None:
        super().__init__()
        self.num_inputs = check_positive_int("num_inputs", num_inputs)
        self.num_hiddens = check_positive_int("num_hiddens", num_hiddens)
        self.horizon = check_positive_int("horizon", horizon)
        if attention is not None and attention not in ("additive", "general", "dot"):
            raise ValueError(f"attention must be None, 'additive', 'general' or 'dot', got {attention!r}")
        self.gaussian = bool(gaussian)
        self.encoder = nn.LSTM(num_inputs, num_hiddens, batch_first=True)
        outputs = 2 if self.gaussian else 1
        self.attention = None if attention is None else make_attention(attention, num_hiddens, num_hiddens)
        if self.attention is None:
            self.query = None
            self.head: nn.Module = nn.Linear(num_hiddens, horizon * outputs)
        else:
            self.query = nn.Parameter(torch.randn(horizon, num_hiddens) / math.sqrt(num_hiddens))
            # one linear map per horizon step from [context_k, h_T]: (horizon, 2 num_hiddens, outputs)
            bound = 1 / math.sqrt(2 * num_hiddens)
            self.step_weight = nn.Parameter(torch.empty(horizon, 2 * num_hiddens, outputs).uniform_(-bound, bound))
            self.step_bias = nn.Parameter(torch.zeros(horizon, outputs))
            self.head = nn.Identity()
        self.last_weights: torch.Tensor | None = None

    def forward(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``X`` ``(batch_size, history, num_inputs)`` -> ``mean`` ``(batch_size, horizon)`` and ``std`` or None."""
        like = self.encoder.weight_ih_l0
        assert isinstance(like, torch.Tensor)
        check_tensor("X", X, shape=(None, None, self.num_inputs), floating=True)
        check_same_dtype("X", X, like)
        check_same_device("X", X, like.device)
        states, (h_n, _) = self.encoder(X)  # states: (batch_size, history, num_hiddens)
        last = h_n[-1]  # (batch_size, num_hiddens)
        if self.attention is None or self.query is None:
            out = self.head(last).reshape(X.shape[0], self.horizon, -1)  # (batch_size, horizon, outputs)
        else:
            queries = last[:, None, :] + self.query[None]  # (batch_size, horizon, num_hiddens)
            context, weights = self.attention(queries, states, states)  # (batch_size, horizon, num_hiddens)
            self.last_weights = weights.detach()  # (batch_size, horizon, history)
            both = torch.cat([context, last[:, None, :].expand_as(context)], dim=2)  # (batch_size, horizon, 2 h)
            out = (
                torch.einsum("bkd,kdo->bko", both, self.step_weight) + self.step_bias
            )  # (batch_size, horizon, outputs)
        mean = out[..., 0]
        std = F.softplus(out[..., 1]) + _STD_FLOOR if self.gaussian else None
        return mean, std


def gaussian_nll(mean: torch.Tensor, std: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of ``target`` under ``N(mean, std^2)``, constants included (chapter 13)."""
    check_tensor("mean", mean, floating=True)
    check_tensor("std", std, shape=tuple(mean.shape), floating=True)
    check_tensor("target", target, shape=tuple(mean.shape), floating=True)
    return (torch.log(std) + 0.5 * ((target - mean) / std) ** 2).mean() + 0.5 * math.log(2 * math.pi)
