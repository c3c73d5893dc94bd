"""What every fast LSTM shares (chapter 10): the parameters in the fused layout and the pointwise cell.

Every rung of chapter 10's ladder (the package :mod:`lstm_companion.models.fast_lstm`) is a subclass of
:class:`FastLSTMBase`: a single-layer, unidirectional LSTM with the interface of ``nn.LSTM``.
``forward(X, state=None)`` takes time-major ``X`` of shape ``(num_steps, batch_size, num_inputs)`` and an
optional ``(H0, C0)``, each ``(1, batch_size, num_hiddens)``, and returns the hidden states ``(num_steps,
batch_size, num_hiddens)`` and the final ``(H_n, C_n)``, each ``(1, batch_size, num_hiddens)``; a subclass
only writes :meth:`FastLSTMBase.run`, the loop over time on 2-D states. ``from_torch(nn.LSTM)`` copies a
PyTorch LSTM's weights and ``to_torch()`` gives one back.

The parameters are the four gates' weights side by side, in the book's
row-vector notation and in ``nn.LSTM``'s gate order (i, f, g, o), ``g``
being the candidate cell::

    W_x = [W_xi | W_xf | W_xc | W_xo]    (num_inputs, 4 * num_hiddens)   = weight_ih_l0.T
    W_h = [W_hi | W_hf | W_hc | W_ho]    (num_hiddens, 4 * num_hiddens)  = weight_hh_l0.T
    b   = [b_i | b_f | b_c | b_o]        (4 * num_hiddens,)              = bias_ih_l0 + bias_hh_l0

so that one product ``X_t W_x + H_{t-1} W_h + b`` gives all four gates'
pre-activations ``Z_t`` at once, ``(batch_size, 4 * num_hiddens)``, and
:func:`cell_pointwise` turns them and ``C_{t-1}`` into ``(H_t, C_t)``: the
pointwise half of a step, written once for the Python rungs.

Neighbours: the rungs written in Python are in
:mod:`~lstm_companion.models.fast_lstm.python_rungs`, the hand-written backward
pass in :mod:`~lstm_companion.models.fast_lstm.function`, the C++ rung in
:mod:`~lstm_companion.models.fast_lstm.cpp`; the conversion between
``nn.LSTM`` and the fused layout (:func:`~lstm_companion.copy_fused_from_torch`,
:func:`~lstm_companion.fused_to_torch`) is in :mod:`lstm_companion.models.lstm`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..._checks import check_lstm_input
from ..lstm import check_one_layer_lstm, copy_fused_from_torch, fused_to_torch
from ..scratch_base import ScratchRecurrent
from ..state import LSTMState

__all__ = ["cell_pointwise", "FastLSTMBase"]


class FastLSTMBase(ScratchRecurrent):
    """Parameters, checks and conversion shared by the fast LSTMs (chapter 10).

    Holds ``W_x`` ``(num_inputs, 4h)``, ``W_h`` ``(num_hiddens, 4h)`` and
    ``b`` ``(4h,)``, column blocks in ``nn.LSTM``'s gate order (i, f, g, o);
    initialised uniform in ``[-1/sqrt(h), 1/sqrt(h)]`` as in PyTorch.
    Subclasses implement :meth:`run`, the loop over time on 2-D states.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, dtype=dtype, device=device)
        h4 = 4 * num_hiddens
        self.W_x = self.param(num_inputs, h4)  # (num_inputs, 4 * num_hiddens)
        self.W_h = self.param(num_hiddens, h4)  # (num_hiddens, 4 * num_hiddens)
        self.b = self.param(h4)  # (4 * num_hiddens,)

    def check_inputs(self, X: torch.Tensor, state: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state."""
        check_lstm_input(X, state, num_inputs=self.num_inputs, num_hiddens=self.num_hiddens, like=self.W_h)

    def forward(self, X: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        """``X`` ``(num_steps, batch_size, num_inputs)`` -> outputs and ``(H_n, C_n)``, like ``nn.LSTM``."""
        self.check_inputs(X, state)
        if state is None:
            zeros = X.new_zeros(X.shape[1], self.num_hiddens)  # (batch_size, num_hiddens)
            H0, C0 = zeros, zeros
        else:
            H0, C0 = state[0][0], state[1][0]  # drop the layer axis: (batch_size, num_hiddens)
        outputs, H_n, C_n = self.run(X, H0, C0)
        return outputs, (H_n.unsqueeze(0), C_n.unsqueeze(0))

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The loop over time: ``(outputs, H_n, C_n)`` from 2-D ``H0``, ``C0``."""
        raise NotImplementedError

    @classmethod
    def from_torch(cls, lstm: nn.LSTM) -> FastLSTMBase:
        """A copy of a single-layer, unidirectional ``nn.LSTM`` with the same weights."""
        check_one_layer_lstm(lstm)
        w = lstm.get_parameter("weight_ih_l0")
        new = cls(lstm.input_size, lstm.hidden_size, dtype=w.dtype, device=w.device)
        copy_fused_from_torch(lstm, new.W_x, new.W_h, new.b)
        return new

    def to_torch(self) -> nn.LSTM:
        """An ``nn.LSTM`` computing the same function (its ``bias_hh_l0`` is zero)."""
        return fused_to_torch(self.W_x, self.W_h, self.b)


def cell_pointwise(Z: torch.Tensor, C: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The pointwise half of a step: pre-activations ``Z`` ``(batch_size, 4h)`` and ``C_{t-1}`` -> ``(H_t, C_t)``."""
    i, f, g, o = Z.chunk(4, dim=1)  # each (batch_size, num_hiddens), in nn.LSTM's order
    C = torch.sigmoid(f) * C + torch.sigmoid(i) * torch.tanh(g)
    H = torch.sigmoid(o) * torch.tanh(C)
    return H, C
