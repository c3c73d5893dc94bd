"""LSTM variants with gates removed or coupled, for ablations (chapter 8).

Chapter 8 asks which parts of the LSTM matter, as Greff et al. (2017) and
Jozefowicz et al. (2015) did at scale. :class:`LSTMVariant` is one
LSTM layer in the book's row-vector notation (chapter 3)::

    I_t  = sigmoid(X_t W_xi + H_{t-1} W_hi + b_i)      input gate
    F_t  = sigmoid(X_t W_xf + H_{t-1} W_hf + b_f)      forget gate
    O_t  = sigmoid(X_t W_xo + H_{t-1} W_ho + b_o)      output gate
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)         candidate cell
    C_t  = F_t * C_{t-1} + I_t * C~_t
    H_t  = O_t * tanh(C_t)

in which one part can be switched off (:data:`VARIANTS`):

- ``"vanilla"``: the equations above, exactly ``nn.LSTM``;
- ``"no_forget"``: ``F_t = 1`` (the 1997 LSTM without the forget gate of Gers et al., 2000);
- ``"no_input"``: ``I_t = 1``;
- ``"no_output"``: ``O_t = 1``;
- ``"coupled"``: ``I_t = 1 - F_t`` (CIFG: one gate decides both how much to forget and how much to write).

A removed gate has no weights at all, so a variant has fewer parameters
(:meth:`LSTMVariant.num_params`). The gates that remain are fused: one
``(num_inputs, k * num_hiddens)`` matrix ``W_x`` and one ``(num_hiddens,
k * num_hiddens)`` matrix ``W_h`` for the ``k`` blocks present
(:data:`VARIANT_BLOCKS`), in ``nn.LSTM``'s block order (i, f, g, o). The
input projection ``X_t W_x + b`` is computed for all time steps in one matrix
product before the loop, so the Python loop only does ``H_{t-1} W_h`` and
elementwise work per step. Only ``"vanilla"`` converts to and from
``nn.LSTM`` (:meth:`LSTMVariant.from_torch`, :meth:`LSTMVariant.to_torch`).

Chapter 8's ablation, which trains these variants, ``nn.GRU`` and ``nn.RNN``
on the adding problem and a character language model
(:data:`~lstm_companion.ABLATIONS`, :func:`~lstm_companion.run_ablation`,
:func:`~lstm_companion.load_ablation_table`), is in
:mod:`lstm_companion.recipes.ablations`; the scratch GRU is in
:mod:`lstm_companion.models.gru`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_finite_input, check_lstm_input
from .lstm import check_one_layer_lstm, copy_fused_from_torch, fused_to_torch
from .scratch_base import ScratchRecurrent
from .state import LSTMState

__all__ = ["VARIANT_BLOCKS", "VARIANTS", "LSTMVariant"]


#: The blocks (gates and candidate ``"c"``) each variant computes, in ``nn.LSTM``'s order (i, f, g, o).
VARIANT_BLOCKS: dict[str, tuple[str, ...]] = {
    "vanilla": ("i", "f", "c", "o"),
    "no_forget": ("i", "c", "o"),
    "no_input": ("f", "c", "o"),
    "no_output": ("i", "f", "c"),
    "coupled": ("f", "c", "o"),
}


VARIANTS = tuple(VARIANT_BLOCKS)


class LSTMVariant(ScratchRecurrent):
    """One LSTM layer with a gate removed or coupled, with ``nn.LSTM``'s interface (chapter 8).

    ``forward(X, state=None)`` takes time-major ``X`` ``(num_steps,
    batch_size, num_inputs)`` and an optional ``(H0, C0)``, each ``(1,
    batch_size, num_hiddens)``; it returns the hidden states ``(num_steps,
    batch_size, num_hiddens)`` and ``(H_n, C_n)``, each ``(1, batch_size,
    num_hiddens)``, like a one-layer ``nn.LSTM``. It exposes ``input_size``/
    ``hidden_size`` and ``num_inputs``/``num_hiddens``, so it drops into
    :class:`~lstm_companion.RNNLM` and
    :class:`~lstm_companion.LastStateModel`.

    Weights start uniform in ``[-1/sqrt(h), 1/sqrt(h)]`` as in PyTorch.
    ``forget_bias`` (a number) then sets ``b_f``; ``None`` keeps the uniform
    start. Variants without a forget gate (``"no_forget"``) take only
    ``forget_bias=None``.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        *,
        variant: str = "vanilla",
        forget_bias: float | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, dtype=dtype, device=device)
        if variant not in VARIANT_BLOCKS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if forget_bias is not None:
            if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)):
                raise TypeError(
                    f"forget_bias must be a finite number or None, got {type(forget_bias).__name__} {forget_bias!r}"
                )
            if not math.isfinite(forget_bias):
                raise ValueError(f"forget_bias must be a finite number or None, got {forget_bias}")
            if "f" not in VARIANT_BLOCKS[variant]:
                raise ValueError(
                    f"variant={variant!r} has no forget gate, so forget_bias must be None, got {forget_bias}"
                )
        self.input_size, self.hidden_size = num_inputs, num_hiddens
        self.variant = variant
        self.forget_bias = None if forget_bias is None else float(forget_bias)
        self.blocks = VARIANT_BLOCKS[variant]
        k, h = len(self.blocks), num_hiddens
        self.W_x = self.param(num_inputs, k * h)  # (num_inputs, k * num_hiddens): the blocks side by side
        self.W_h = self.param(h, k * h)  # (num_hiddens, k * num_hiddens)
        self.b = self.param(k * h)  # (k * num_hiddens,)
        if self.forget_bias is not None:
            with torch.no_grad():
                self.b[self.block_slice("f")] = self.forget_bias

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, variant={self.variant!r}, forget_bias={self.forget_bias}"

    def block_slice(self, block: str) -> slice:
        """The columns of ``W_x``, ``W_h`` and ``b`` that belong to ``block`` (``"i"``, ``"f"``, ``"c"``, ``"o"``)."""
        if block not in self.blocks:
            raise ValueError(f"block must be one of {self.blocks} for variant={self.variant!r}, got {block!r}")
        j = self.blocks.index(block)
        return slice(j * self.num_hiddens, (j + 1) * self.num_hiddens)

    def num_params(self) -> int:
        """``k (h (d + h) + h)`` for ``k`` blocks: 4 for ``"vanilla"``, 3 for the others."""
        return sum(p.numel() for p in self.parameters())

    def begin_state(self, batch_size: int) -> LSTMState:
        """Zero ``(H, C)``, each ``(1, batch_size, num_hiddens)``."""
        shape = (1, batch_size, self.num_hiddens)
        w = self.W_h
        return torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device)

    def check_inputs(self, X: torch.Tensor, state: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state, or a NaN or infinite input."""
        check_lstm_input(X, state, num_inputs=self.num_inputs, num_hiddens=self.num_hiddens, like=self.W_h)
        check_finite_input("X", X)

    def forward(self, X: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        self.check_inputs(X, state)
        H0, C0 = self.begin_state(X.shape[1]) if state is None else state
        H, C = H0[0], C0[0]  # (batch_size, num_hiddens)
        cols = {g: self.block_slice(g) for g in self.blocks}
        sigmoid_blocks = [g for g in self.blocks if g != "c"]  # the gates present
        XW = (X @ self.W_x + self.b).unbind(0)  # num_steps tensors (batch_size, k * num_hiddens), all steps at once
        outputs = []
        for XW_t in XW:
            A = XW_t + H @ self.W_h  # (batch_size, k * num_hiddens): every block's pre-activation
            gates = {g: torch.sigmoid(A[:, cols[g]]) for g in sigmoid_blocks}  # each (batch_size, num_hiddens)
            C_tilde = torch.tanh(A[:, cols["c"]])
            if self.variant == "coupled":
                C = gates["f"] * C + (1.0 - gates["f"]) * C_tilde  # I_t = 1 - F_t
            else:
                new = C_tilde if "i" not in gates else gates["i"] * C_tilde  # I_t = 1 without an input gate
                C = C + new if "f" not in gates else gates["f"] * C + new  # F_t = 1 without a forget gate
            H = torch.tanh(C) if "o" not in gates else gates["o"] * torch.tanh(C)  # O_t = 1 without an output gate
            outputs.append(H)
        return torch.stack(outputs), (H[None], C[None])  # (num_steps, batch_size, num_hiddens)

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, lstm: nn.LSTM) -> LSTMVariant:
        """A ``"vanilla"`` variant with the weights of a one-layer, unidirectional ``nn.LSTM``."""
        check_one_layer_lstm(lstm)
        w = lstm.get_parameter("weight_ih_l0")
        new = cls(lstm.input_size, lstm.hidden_size, variant="vanilla", dtype=w.dtype, device=w.device)
        copy_fused_from_torch(lstm, new.W_x, new.W_h, new.b)
        return new

    def to_torch(self) -> nn.LSTM:
        """An ``nn.LSTM`` computing the same function; only the ``"vanilla"`` variant has one."""
        if self.variant != "vanilla":
            raise ValueError(f"only variant='vanilla' converts to nn.LSTM, got variant={self.variant!r}")
        return fused_to_torch(self.W_x, self.W_h, self.b)
