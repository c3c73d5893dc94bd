"""A gated recurrent unit (GRU) written from scratch, convertible to ``nn.GRU`` (chapter 8).

In the book's row-vector notation, with ``X_t`` of shape ``(batch_size,
num_inputs)`` and ``H_{t-1}`` of shape ``(batch_size, num_hiddens)``, PyTorch's
GRU computes::

    R_t  = sigmoid(X_t W_xr + H_{t-1} W_hr + b_r)                   reset gate
    Z_t  = sigmoid(X_t W_xz + H_{t-1} W_hz + b_z)                   update gate
    H~_t = tanh(X_t W_xh + b_xh + R_t * (H_{t-1} W_hh + b_hh))      candidate state
    H_t  = Z_t * H_{t-1} + (1 - Z_t) * H~_t

The reset gate multiplies ``H_{t-1} W_hh + b_hh``, *after* the recurrent
matrix product, so the candidate keeps two biases (``b_xh`` outside the
reset, ``b_hh`` inside). Cho et al. (2014) reset the state *before* the
product, ``tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h)``; the two are different
functions (chapter 8 measures by how much). The reset-after form lets the
recurrent product of all three blocks be one matrix product per step.

``nn.GRU`` stacks the transposed weights in the row order (r, z, n), ``n``
being the candidate: ``weight_ih_l{k}`` = ``[W_xr | W_xz | W_xh]^T``,
``weight_hh_l{k}`` = ``[W_hr | W_hz | W_hh]^T``, and the biases of r and z
enter only through their sums ``b_r``, ``b_z``, while ``bias_ih`` rows
``2h:3h`` are ``b_xh`` and ``bias_hh`` rows ``2h:3h`` are ``b_hh``.

- :class:`GRUCellScratch`: one step, one weight matrix per block, like
  ``nn.GRUCell``;
- :class:`GRUScratch`: a multi-layer GRU with ``nn.GRU``'s interface,
  convertible both ways (:meth:`~GRUScratch.from_torch`,
  :meth:`~GRUScratch.to_torch`), each step one :func:`gru_step` on the input
  projection computed for all steps before the loop;
- :func:`gru_num_params`: the parameter count, 3/4 of the LSTM's;
  :data:`GRU_BLOCKS`: the blocks in ``nn.GRU``'s order.

Chapter 8's ablation, which compares ``nn.GRU`` with the LSTM variants, is in
:mod:`lstm_companion.recipes.ablations`.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_positive_int, check_same_device, check_same_dtype, check_tensor
from .scratch_base import ScratchRecurrent, StackedScratchRecurrent

__all__ = ["GRU_BLOCKS", "gru_num_params", "gru_step", "GRUCellScratch", "GRUScratch"]


GRU_BLOCKS = ("r", "z", "h")  # reset gate, update gate, candidate state: nn.GRU's row blocks (r, z, n)


def gru_num_params(num_inputs: int, num_hiddens: int, num_layers: int = 1) -> int:
    """Parameters of ``nn.GRU(num_inputs, num_hiddens, num_layers)``: ``3(h(d+h) + 2h)`` per layer (chapter 8).

    Exactly 3/4 of :func:`~lstm_companion.lstm_num_params`: three blocks
    instead of four, each the size of one LSTM gate.
    """
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("num_hiddens", num_hiddens)
    check_positive_int("num_layers", num_layers)
    h = num_hiddens
    return sum(3 * (h * ((num_inputs if k == 0 else h) + h) + 2 * h) for k in range(num_layers))


def gru_step(
    H: torch.Tensor,
    XW_t: torch.Tensor,
    W_h: torch.Tensor,
    b_hh: torch.Tensor,
) -> torch.Tensor:
    """One GRU step from the precomputed input part (chapter 8).

    ``XW_t`` ``(batch_size, 3 * num_hiddens)`` is ``X_t [W_xr | W_xz | W_xh] +
    [b_r | b_z | b_xh]``; ``W_h`` ``(num_hiddens, 3 * num_hiddens)`` is
    ``[W_hr | W_hz | W_hh]``; ``b_hh`` ``(num_hiddens,)`` is the candidate's
    bias inside the reset gate. Returns the new ``H`` ``(batch_size, num_hiddens)``.
    """
    h = H.shape[1]
    HW = H @ W_h  # (batch_size, 3 * num_hiddens): all three recurrent products in one
    R = torch.sigmoid(XW_t[:, :h] + HW[:, :h])  # reset gate
    Z = torch.sigmoid(XW_t[:, h : 2 * h] + HW[:, h : 2 * h])  # update gate
    H_tilde = torch.tanh(XW_t[:, 2 * h :] + R * (HW[:, 2 * h :] + b_hh))  # reset *after* the product
    return Z * H + (1.0 - Z) * H_tilde  # (batch_size, num_hiddens)


class GRUCellScratch(ScratchRecurrent):
    """One GRU step with one weight matrix per block, named as in the equations (chapter 8).

    Parameters ``W_xr``, ``W_hr``, ``b_r`` (reset gate), ``W_xz``, ``W_hz``,
    ``b_z`` (update gate) and ``W_xh``, ``W_hh``, ``b_xh``, ``b_hh``
    (candidate). ``forward(X_t, H)`` maps ``(batch_size, num_inputs)`` and
    ``(batch_size, num_hiddens)`` to the new ``H``, like ``nn.GRUCell``.
    Weights start uniform in ``[-1/sqrt(h), 1/sqrt(h)]`` as in PyTorch.
    """

    # Set by the loop over GRU_BLOCKS in __init__; declared for the type checker.
    W_xr: nn.Parameter
    W_hr: nn.Parameter
    W_xz: nn.Parameter
    W_hz: nn.Parameter
    W_xh: nn.Parameter
    W_hh: nn.Parameter

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, dtype=dtype, device=device)
        for g in GRU_BLOCKS:
            setattr(self, f"W_x{g}", self.param(num_inputs, num_hiddens))  # (num_inputs, num_hiddens)
            setattr(self, f"W_h{g}", self.param(num_hiddens, num_hiddens))  # (num_hiddens, num_hiddens)
        self.b_r = self.param(num_hiddens)  # (num_hiddens,)
        self.b_z = self.param(num_hiddens)
        self.b_xh = self.param(num_hiddens)  # candidate bias outside the reset gate
        self.b_hh = self.param(num_hiddens)  # candidate bias inside the reset gate

    def fused(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``[W_xr | W_xz | W_xh]`` ``(d, 3h)``, ``[W_hr | W_hz | W_hh]`` ``(h, 3h)`` and ``[b_r | b_z | b_xh]`` ``(3h,)``."""
        W_x = torch.cat([self.W_xr, self.W_xz, self.W_xh], dim=1)
        W_h = torch.cat([self.W_hr, self.W_hz, self.W_hh], dim=1)
        b = torch.cat([self.b_r, self.b_z, self.b_xh])
        return W_x, W_h, b

    def check_inputs(self, X_t: torch.Tensor, H: torch.Tensor) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state.

        ``X_t`` must be ``(batch_size, num_inputs)`` and ``H`` ``(batch_size,
        num_hiddens)``, both with the parameters' dtype and device.
        """
        w = self.W_hr
        check_tensor("X_t", X_t, shape=(None, self.num_inputs), floating=True)
        check_same_dtype("X_t", X_t, w)
        check_same_device("X_t", X_t, w.device)
        check_tensor("H", H, shape=(X_t.shape[0], self.num_hiddens), dtype=w.dtype)
        check_same_device("H", H, w.device)

    def forward(self, X_t: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        self.check_inputs(X_t, H)
        R = torch.sigmoid(X_t @ self.W_xr + H @ self.W_hr + self.b_r)  # (batch_size, num_hiddens)
        Z = torch.sigmoid(X_t @ self.W_xz + H @ self.W_hz + self.b_z)
        H_tilde = torch.tanh(X_t @ self.W_xh + self.b_xh + R * (H @ self.W_hh + self.b_hh))
        return Z * H + (1.0 - Z) * H_tilde


class GRUScratch(StackedScratchRecurrent[GRUCellScratch]):
    """A (multi-layer) GRU with the interface of ``nn.GRU`` (chapter 8).

    ``forward(X, H0=None)`` takes time-major ``X`` ``(num_steps, batch_size,
    num_inputs)`` and an optional ``H0`` ``(num_layers, batch_size,
    num_hiddens)`` (zeros if omitted); it returns the last layer's states
    ``(num_steps, batch_size, num_hiddens)`` and ``H_n`` ``(num_layers,
    batch_size, num_hiddens)``, exactly as ``nn.GRU`` does. Each layer
    computes its input projection for all steps in one matrix product before
    the time loop (:func:`gru_step`).
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        num_layers: int = 1,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(GRUCellScratch, num_inputs, num_hiddens, num_layers, dtype=dtype, device=device)

    @property
    def input_size(self) -> int:
        return self.num_inputs

    @property
    def hidden_size(self) -> int:
        return self.num_hiddens

    def begin_state(self, batch_size: int) -> torch.Tensor:
        """Zero ``H`` ``(num_layers, batch_size, num_hiddens)``."""
        w = self.cell(0).W_hr
        return torch.zeros(self.num_layers, batch_size, self.num_hiddens, dtype=w.dtype, device=w.device)

    def check_inputs(self, X: torch.Tensor, H0: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state."""
        w = self.cell(0).W_hr
        self.check_sequence(X, w)
        if H0 is None:
            return
        H0 = check_tensor("H0", H0, shape=(self.num_layers, X.shape[1], self.num_hiddens), dtype=w.dtype)
        check_same_device("H0", H0, w.device)

    def forward(self, X: torch.Tensor, H0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        self.check_inputs(X, H0)
        H0 = self.begin_state(X.shape[1]) if H0 is None else H0
        layer_input = X
        H_n = []
        for k in range(self.num_layers):
            cell = self.cell(k)
            W_x, W_h, b = cell.fused()
            XW = (layer_input @ W_x + b).unbind(0)  # num_steps tensors (batch_size, 3 * num_hiddens)
            H = H0[k]  # (batch_size, num_hiddens)
            outputs = []
            for XW_t in XW:
                H = gru_step(H, XW_t, W_h, cell.b_hh)
                outputs.append(H)
            layer_input = torch.stack(outputs)  # (num_steps, batch_size, num_hiddens)
            H_n.append(H)
        return layer_input, torch.stack(H_n)

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, gru: nn.GRU) -> GRUScratch:
        """A scratch GRU with the weights of a unidirectional ``nn.GRU`` (chapter 8)."""
        if not isinstance(gru, nn.GRU):
            raise TypeError(f"gru must be a torch.nn.GRU, got {type(gru).__name__}")
        if gru.bidirectional or gru.batch_first or not gru.bias:
            raise ValueError(
                "gru must have bidirectional=False, batch_first=False and bias=True, got "
                f"bidirectional={gru.bidirectional}, batch_first={gru.batch_first}, bias={gru.bias}"
            )
        w = gru.get_parameter("weight_ih_l0")
        new = cls(gru.input_size, gru.hidden_size, gru.num_layers, dtype=w.dtype, device=w.device)
        h = gru.hidden_size
        with torch.no_grad():
            for k in range(new.num_layers):
                cell = new.cell(k)
                w_ih, w_hh = getattr(gru, f"weight_ih_l{k}"), getattr(gru, f"weight_hh_l{k}")
                b_ih, b_hh = getattr(gru, f"bias_ih_l{k}"), getattr(gru, f"bias_hh_l{k}")
                for block, g in enumerate(GRU_BLOCKS):
                    rows = slice(block * h, (block + 1) * h)
                    getattr(cell, f"W_x{g}").copy_(w_ih[rows].T)
                    getattr(cell, f"W_h{g}").copy_(w_hh[rows].T)
                cell.b_r.copy_(b_ih[:h] + b_hh[:h])
                cell.b_z.copy_(b_ih[h : 2 * h] + b_hh[h : 2 * h])
                cell.b_xh.copy_(b_ih[2 * h :])
                cell.b_hh.copy_(b_hh[2 * h :])
        return new

    def to_torch(self) -> nn.GRU:
        """An ``nn.GRU`` computing the same function (the r and z parts of its ``bias_hh_l*`` are zero)."""
        w = self.cell(0).W_hr
        gru = nn.GRU(self.num_inputs, self.num_hiddens, self.num_layers, dtype=w.dtype, device=w.device)
        with torch.no_grad():
            for k in range(self.num_layers):
                cell = self.cell(k)
                W_x, W_h, b = cell.fused()
                getattr(gru, f"weight_ih_l{k}").copy_(W_x.T)
                getattr(gru, f"weight_hh_l{k}").copy_(W_h.T)
                getattr(gru, f"bias_ih_l{k}").copy_(b)
                getattr(gru, f"bias_hh_l{k}").copy_(
                    torch.cat([torch.zeros_like(cell.b_r), torch.zeros_like(cell.b_z), cell.b_hh])
                )
        return gru
