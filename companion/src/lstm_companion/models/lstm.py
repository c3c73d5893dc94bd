"""An LSTM written from scratch, gate by gate, convertible to and from ``nn.LSTM`` (chapters 3 and 4).

In the book's row-vector notation, with ``X_t`` of shape ``(batch_size,
num_inputs)`` and ``H_{t-1}``, ``C_{t-1}`` of shape ``(batch_size,
num_hiddens)``::

    I_t  = sigmoid(X_t W_xi + H_{t-1} W_hi + b_i)      input gate
    F_t  = sigmoid(X_t W_xf + H_{t-1} W_hf + b_f)      forget gate
    O_t  = sigmoid(X_t W_xo + H_{t-1} W_ho + b_o)      output gate
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)         candidate cell
    C_t  = F_t * C_{t-1} + I_t * C~_t
    H_t  = O_t * tanh(C_t)

PyTorch's ``nn.LSTM`` stacks the transposed gate weights into
``weight_ih_l{k}`` (``4 * num_hiddens`` rows) and ``weight_hh_l{k}`` in the
row order (i, f, g, o), ``g`` being the candidate, and keeps two biases whose
sum is ours. :meth:`LSTMScratch.from_torch` and :meth:`LSTMScratch.to_torch`
convert in both directions; chapter 4 proves the two compute the same thing.

- :class:`LSTMCellScratch`: one step, one weight matrix per gate (``W_xi``,
  ``W_hi``, ``b_i``, ...), like ``nn.LSTMCell``;
- :class:`LSTMScratch`: a multi-layer LSTM with ``nn.LSTM``'s interface;
  :meth:`~LSTMScratch.gate_trace` records every gate at every step (chapters
  3 and 9);
- :func:`lstm_num_params`: ``nn.LSTM``'s parameter count (chapters 3-5 and
  8); :func:`set_forget_bias`: the forget gate's bias in every layer
  (chapters 3-5);
- :data:`GATES` (the book's gate order) and :data:`TORCH_GATE_ORDER`
  (``nn.LSTM``'s);
- :func:`check_one_layer_lstm`, :func:`copy_fused_from_torch` and
  :func:`fused_to_torch`: between a one-layer ``nn.LSTM`` and the fused layout
  (the four gates' weights side by side) of the LSTM variants
  (:mod:`lstm_companion.models.variants`, chapter 8) and the fast LSTMs
  (:mod:`lstm_companion.models.fast_lstm`, chapter 10).
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_finite_float, check_positive_int, check_same_device, check_same_dtype, check_tensor
from .scratch_base import ScratchRecurrent, StackedScratchRecurrent
from .state import LSTMState

__all__ = [
    "GATES",
    "TORCH_GATE_ORDER",
    "lstm_num_params",
    "LSTMCellScratch",
    "LSTMScratch",
    "set_forget_bias",
    "check_one_layer_lstm",
    "copy_fused_from_torch",
    "fused_to_torch",
]


GATES = ("i", "f", "o", "c")  # input, forget, output gates and the candidate cell, in the book's order


TORCH_GATE_ORDER = ("i", "f", "c", "o")  # nn.LSTM's row blocks (it calls the candidate "g")


def lstm_num_params(num_inputs: int, num_hiddens: int, num_layers: int = 1) -> int:
    """Parameters of ``nn.LSTM(num_inputs, num_hiddens, num_layers)``: ``4(h(d+h) + 2h)`` per layer (chapter 3).

    Layer 1 reads ``d = num_inputs`` features, later layers read ``h``. The
    ``2h`` counts PyTorch's two bias vectors (the scratch LSTM keeps one).
    """
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("num_hiddens", num_hiddens)
    check_positive_int("num_layers", num_layers)
    h = num_hiddens
    return sum(4 * (h * ((num_inputs if k == 0 else h) + h) + 2 * h) for k in range(num_layers))


class LSTMCellScratch(ScratchRecurrent):
    """One LSTM step, with one weight matrix per gate (chapter 4).

    Parameters are named as in the equations: ``W_xi``, ``W_hi``, ``b_i`` for
    the input gate, and likewise ``f``, ``o`` and ``c`` (the candidate).
    ``forward(X_t, (H, C))`` maps ``(batch_size, num_inputs)`` and two
    ``(batch_size, num_hiddens)`` tensors to the new ``(H, C)``, like
    ``nn.LSTMCell``. Weights start uniform in ``[-1/sqrt(h), 1/sqrt(h)]`` as
    in PyTorch.
    """

    # Set by the loop over GATES in __init__; declared for the type checker.
    W_xi: nn.Parameter
    W_hi: nn.Parameter
    b_i: nn.Parameter
    W_xf: nn.Parameter
    W_hf: nn.Parameter
    b_f: nn.Parameter
    W_xo: nn.Parameter
    W_ho: nn.Parameter
    b_o: nn.Parameter
    W_xc: nn.Parameter
    W_hc: nn.Parameter
    b_c: nn.Parameter

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, dtype=dtype, device=device)
        for g in GATES:
            setattr(self, f"W_x{g}", self.param(num_inputs, num_hiddens))  # (num_inputs, num_hiddens)
            setattr(self, f"W_h{g}", self.param(num_hiddens, num_hiddens))  # (num_hiddens, num_hiddens)
            setattr(self, f"b_{g}", self.param(num_hiddens))  # (num_hiddens,)

    def weights(self, gate: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W_x., W_h., b_.)`` of one gate: ``"i"``, ``"f"``, ``"o"`` or ``"c"``."""
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        return getattr(self, f"W_x{gate}"), getattr(self, f"W_h{gate}"), getattr(self, f"b_{gate}")

    def gates(self, X_t: torch.Tensor, H: torch.Tensor) -> dict[str, torch.Tensor]:
        """The gate activations ``I, F, O`` and the candidate ``C~``, each ``(batch_size, num_hiddens)``."""
        out = {}
        for g in GATES:
            W_x, W_h, b = self.weights(g)
            act = torch.tanh if g == "c" else torch.sigmoid
            out[g] = act(X_t @ W_x + H @ W_h + b)
        return out

    def check_inputs(self, X_t: torch.Tensor, state: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state.

        ``X_t`` must be ``(batch_size, num_inputs)`` and ``state`` two
        ``(batch_size, num_hiddens)`` tensors, all with the parameters' dtype
        and device (a 1-D ``X_t`` would silently broadcast over the batch).
        """
        w = self.W_hi
        if (  # the fast path, taken once per time step: no message is built
            isinstance(X_t, torch.Tensor)
            and isinstance(state, tuple)
            and len(state) == 2
            and isinstance(state[0], torch.Tensor)
            and isinstance(state[1], torch.Tensor)
            and X_t.dim() == 2
            and X_t.shape[1] == self.num_inputs
            and X_t.dtype == w.dtype == state[0].dtype == state[1].dtype
            and X_t.device == w.device == state[0].device == state[1].device
            and state[0].shape == state[1].shape == (X_t.shape[0], self.num_hiddens)
            and X_t.shape[0] > 0
        ):
            return
        check_tensor("X_t", X_t, shape=(None, self.num_inputs), floating=True)
        assert isinstance(X_t, torch.Tensor)
        check_same_dtype("X_t", X_t, w)
        check_same_device("X_t", X_t, w.device)
        if not isinstance(state, tuple) or len(state) != 2:
            got = f"a tuple of length {len(state)}" if isinstance(state, tuple) else type(state).__name__
            raise TypeError(f"state must be a tuple (H, C) of two tensors, got {got}")
        for name, s in zip(("state[0] (H)", "state[1] (C)"), state):
            check_tensor(name, s, shape=(X_t.shape[0], self.num_hiddens), dtype=w.dtype)
            check_same_device(name, s, w.device)

    def forward(self, X_t: torch.Tensor, state: LSTMState) -> LSTMState:
        self.check_inputs(X_t, state)
        H, C = state
        g = self.gates(X_t, H)
        C = g["f"] * C + g["i"] * g["c"]  # the cell: forget part of the old, add part of the new
        H = g["o"] * torch.tanh(C)  # (batch_size, num_hiddens)
        return H, C


class LSTMScratch(StackedScratchRecurrent[LSTMCellScratch]):
    """A (multi-layer) LSTM with the interface of ``nn.LSTM`` (chapter 4).

    ``forward(X, state=None)`` takes time-major ``X`` ``(num_steps,
    batch_size, num_inputs)`` and an optional ``(H0, C0)``, each
    ``(num_layers, batch_size, num_hiddens)`` (zeros if omitted); it returns
    the last layer's states ``(num_steps, batch_size, num_hiddens)`` and the
    final ``(H_n, C_n)``, each ``(num_layers, batch_size, num_hiddens)``:
    exactly what ``nn.LSTM`` returns. Layer ``k + 1`` reads layer ``k``'s
    hidden states.
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
        super().__init__(LSTMCellScratch, num_inputs, num_hiddens, num_layers, dtype=dtype, device=device)

    def begin_state(self, batch_size: int) -> LSTMState:
        """Zero ``(H, C)``, each ``(num_layers, batch_size, num_hiddens)``."""
        w = self.cell(0).W_hi
        shape = (self.num_layers, batch_size, self.num_hiddens)
        return (torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device))

    def check_inputs(self, X: torch.Tensor, state: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state."""
        w = self.cell(0).W_hi
        self.check_sequence(X, w)
        if state is None:
            return
        if not isinstance(state, tuple) or len(state) != 2:
            raise TypeError(f"state must be a tuple (H, C) of two tensors, got {type(state).__name__}")
        shape = (self.num_layers, X.shape[1], self.num_hiddens)
        for name, s in zip(("state[0] (H)", "state[1] (C)"), state):
            check_tensor(name, s, shape=shape, dtype=w.dtype)
            check_same_device(name, s, w.device)

    def forward(self, X: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        self.check_inputs(X, state)
        H0, C0 = self.begin_state(X.shape[1]) if state is None else state
        layer_input = X
        H_n, C_n = [], []
        for k, cell in enumerate(self.cells):
            H, C = H0[k], C0[k]  # (batch_size, num_hiddens)
            outputs = []
            for X_t in layer_input:  # X_t: (batch_size, inputs of layer k)
                H, C = cell(X_t, (H, C))
                outputs.append(H)
            layer_input = torch.stack(outputs)  # (num_steps, batch_size, num_hiddens)
            H_n.append(H)
            C_n.append(C)
        return layer_input, (torch.stack(H_n), torch.stack(C_n))

    @torch.no_grad()
    def gate_trace(self, X: torch.Tensor, state: LSTMState | None = None, layer: int = 0) -> dict[str, torch.Tensor]:
        """Every gate's activation at every step of one layer (chapter 3).

        Returns ``{"i", "f", "o", "c", "C", "H"}``, each ``(num_steps,
        batch_size, num_hiddens)``: the gates, the candidate, the cell and the
        hidden state.
        """
        self.check_inputs(X, state)
        if isinstance(layer, bool) or not isinstance(layer, int):
            raise TypeError(f"layer must be an int in [0, {self.num_layers}), got {type(layer).__name__} {layer!r}")
        if not 0 <= layer < self.num_layers:
            raise ValueError(f"layer must be in [0, {self.num_layers}), got {layer}")
        H0, C0 = self.begin_state(X.shape[1]) if state is None else state
        layer_input = X
        for k in range(layer + 1):
            cell = self.cell(k)
            H, C = H0[k], C0[k]
            trace: dict[str, list[torch.Tensor]] = {key: [] for key in (*GATES, "C", "H")}
            for X_t in layer_input:
                g = cell.gates(X_t, H)
                C = g["f"] * C + g["i"] * g["c"]
                H = g["o"] * torch.tanh(C)
                for key in GATES:
                    trace[key].append(g[key])
                trace["C"].append(C)
                trace["H"].append(H)
            layer_input = torch.stack(trace["H"])
        return {key: torch.stack(v) for key, v in trace.items()}

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, lstm: nn.LSTM) -> LSTMScratch:
        """A scratch LSTM with the weights of a unidirectional ``nn.LSTM`` (chapter 4)."""
        if not isinstance(lstm, nn.LSTM):
            raise TypeError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
        if lstm.bidirectional or lstm.batch_first or not lstm.bias or lstm.proj_size:
            raise ValueError(
                "lstm must have bidirectional=False, batch_first=False, bias=True and proj_size=0, got "
                f"bidirectional={lstm.bidirectional}, batch_first={lstm.batch_first}, "
                f"bias={lstm.bias}, proj_size={lstm.proj_size}"
            )
        w = lstm.get_parameter("weight_ih_l0")
        new = cls(lstm.input_size, lstm.hidden_size, lstm.num_layers, dtype=w.dtype, device=w.device)
        h = lstm.hidden_size
        with torch.no_grad():
            for k in range(new.num_layers):
                w_ih, w_hh = getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}")
                bias = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
                for block, g in enumerate(TORCH_GATE_ORDER):
                    rows = slice(block * h, (block + 1) * h)
                    W_x, W_h, b = new.cell(k).weights(g)
                    W_x.copy_(w_ih[rows].T)
                    W_h.copy_(w_hh[rows].T)
                    b.copy_(bias[rows])
        return new

    def to_torch(self) -> nn.LSTM:
        """An ``nn.LSTM`` computing the same function (its ``bias_hh_l*`` are zero)."""
        w = self.cell(0).W_hi
        lstm = nn.LSTM(self.num_inputs, self.num_hiddens, self.num_layers, dtype=w.dtype, device=w.device)
        with torch.no_grad():
            for k in range(self.num_layers):
                parts = [self.cell(k).weights(g) for g in TORCH_GATE_ORDER]
                getattr(lstm, f"weight_ih_l{k}").copy_(torch.cat([W_x.T for W_x, _, _ in parts]))
                getattr(lstm, f"weight_hh_l{k}").copy_(torch.cat([W_h.T for _, W_h, _ in parts]))
                getattr(lstm, f"bias_ih_l{k}").copy_(torch.cat([b for _, _, b in parts]))
                getattr(lstm, f"bias_hh_l{k}").zero_()
        return lstm


def set_forget_bias(core: nn.Module, value: float) -> None:
    """Set the forget gate's bias to ``value`` in every layer (chapter 3).

    Works on ``LSTMScratch`` and ``nn.LSTM`` (where ``bias_ih`` gets
    ``value`` and ``bias_hh`` zero, so their sum is ``value``). A bias of 1
    keeps F_t near sigmoid(1) = 0.73 at the start of training, so the cell
    remembers by default (Gers et al., 2000; Jozefowicz et al., 2015).
    """
    check_finite_float("value", value)
    with torch.no_grad():
        if isinstance(core, LSTMScratch):
            for k in range(core.num_layers):
                core.cell(k).b_f.fill_(value)
        elif isinstance(core, nn.LSTM):
            h = core.hidden_size
            for name, p in core.named_parameters():
                if name.startswith("bias_"):
                    p[h : 2 * h] = value if name.startswith("bias_ih") else 0.0
        else:
            raise TypeError(f"core must be an LSTMScratch or a torch.nn.LSTM, got {type(core).__name__}")


def check_one_layer_lstm(lstm: object) -> nn.LSTM:
    """Return ``lstm`` if it is a one-layer, unidirectional, time-major ``nn.LSTM`` with biases, else raise."""
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
    if lstm.num_layers != 1 or lstm.bidirectional or lstm.batch_first or not lstm.bias or lstm.proj_size:
        raise ValueError(
            "lstm must have num_layers=1, bidirectional=False, batch_first=False, bias=True and "
            f"proj_size=0, got num_layers={lstm.num_layers}, bidirectional={lstm.bidirectional}, "
            f"batch_first={lstm.batch_first}, bias={lstm.bias}, proj_size={lstm.proj_size}"
        )
    return lstm


def _check_fused(W_x: object, W_h: object, b: object, *, num_inputs: int, num_hiddens: int) -> None:
    """Raise unless ``W_x``, ``W_h``, ``b`` are fused LSTM weights ``(d, 4h)``, ``(h, 4h)``, ``(4h,)``."""
    h4 = 4 * num_hiddens
    check_tensor("W_x", W_x, shape=(num_inputs, h4), floating=True)
    check_tensor("W_h", W_h, shape=(num_hiddens, h4), floating=True)
    check_tensor("b", b, shape=(h4,), floating=True)


def copy_fused_from_torch(lstm: nn.LSTM, W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor) -> None:
    """Copy a one-layer ``nn.LSTM``'s weights into the fused ``W_x``, ``W_h``, ``b`` (in place)."""
    check_one_layer_lstm(lstm)
    _check_fused(W_x, W_h, b, num_inputs=lstm.input_size, num_hiddens=lstm.hidden_size)
    with torch.no_grad():  # nn.LSTM's blocks (i, f, g, o) are already in the fused order; transpose them
        W_x.copy_(lstm.get_parameter("weight_ih_l0").T)
        W_h.copy_(lstm.get_parameter("weight_hh_l0").T)
        b.copy_(lstm.get_parameter("bias_ih_l0") + lstm.get_parameter("bias_hh_l0"))


def fused_to_torch(W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor) -> nn.LSTM:
    """An ``nn.LSTM`` computing the same function as the fused weights (its ``bias_hh_l0`` is zero)."""
    check_tensor("W_h", W_h, ndim=2, floating=True)
    check_tensor("W_x", W_x, ndim=2, floating=True)
    _check_fused(W_x, W_h, b, num_inputs=W_x.shape[0], num_hiddens=W_h.shape[0])
    num_inputs, num_hiddens = W_x.shape[0], W_h.shape[0]
    lstm = nn.LSTM(num_inputs, num_hiddens, dtype=W_h.dtype, device=W_h.device)
    with torch.no_grad():
        lstm.get_parameter("weight_ih_l0").copy_(W_x.T)
        lstm.get_parameter("weight_hh_l0").copy_(W_h.T)
        lstm.get_parameter("bias_ih_l0").copy_(b)
        lstm.get_parameter("bias_hh_l0").zero_()
    return lstm
