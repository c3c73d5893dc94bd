"""Making an LSTM fast: the same layer written six ways in Python (chapter 10); the seventh, C++, is in ``cpp_lstm``.

Every class here is a single-layer, unidirectional LSTM with the interface of
``nn.LSTM``: ``forward(X, state=None)`` takes time-major ``X`` of shape
``(num_steps, batch_size, num_inputs)`` and an optional ``(H0, C0)``, each
``(1, batch_size, num_hiddens)``, and returns the hidden states
``(num_steps, batch_size, num_hiddens)`` and the final ``(H_n, C_n)``, each
``(1, batch_size, num_hiddens)``. ``from_torch(nn.LSTM)`` copies a PyTorch
LSTM's weights, and all of them compute the same function (chapter 10 proves
it, outputs and gradients).

The parameters are the four gates' weights side by side, in the book's
row-vector notation and in ``nn.LSTM``'s gate order (i, f, g, o), ``g``
being the candidate cell::

    W_x = [W_xi | W_xf | W_xc | W_xo]    (num_inputs, 4 * num_hiddens)   = weight_ih_l0.T
    W_h = [W_hi | W_hf | W_hc | W_ho]    (num_hiddens, 4 * num_hiddens)  = weight_hh_l0.T
    b   = [b_i | b_f | b_c | b_o]        (4 * num_hiddens,)              = bias_ih_l0 + bias_hh_l0

so that one product ``X_t W_x + H_{t-1} W_h + b`` gives all four gates'
pre-activations ``Z_t`` at once, ``(batch_size, 4 * num_hiddens)``.

The rungs of the ladder (the naive one is :class:`lstm_companion.LSTMScratch`,
eight small products per step):

- :class:`FusedLSTM`: one product per step, ``[X_t, H_{t-1}] [W_x; W_h]``;
- :class:`PremultipliedLSTM`: ``X W_x`` for all steps in one big product
  before the loop, only ``H_{t-1} W_h`` inside it;
- :class:`BPTTLSTM`: the premultiplied forward with a hand-written backward
  pass (:class:`LSTMFunction`), backpropagation through time spelled out;
- :class:`ScriptedLSTM`: the premultiplied loop compiled by ``torch.jit.script``;
- :class:`CompiledLSTM`: the premultiplied loop with its pointwise part (the
  gates and the state update) compiled by ``torch.compile``;
- ``"cpp"`` in :data:`IMPLEMENTATIONS`: :class:`~lstm_companion.CppLSTM`
  (module :mod:`lstm_companion.models.cpp_lstm`), the premultiplied loop and
  the hand-written backward pass in C++, a ``torch.library`` custom operator.

Also here: :class:`FastLSTMBase` (the parameters, checks and conversion they
share), :data:`IMPLEMENTATIONS` and :data:`LADDER` (every implementation by
name, in the order the chapter climbs), :func:`make_lstm` (any of them from
one ``nn.LSTM``) and :func:`torch_layout_grads` (any implementation's
gradients in ``nn.LSTM``'s layout). The conversion between ``nn.LSTM`` and
the fused layout (:func:`~lstm_companion.copy_fused_from_torch`,
:func:`~lstm_companion.fused_to_torch`) is in
:mod:`lstm_companion.models.lstm`; the timing and profiling
(:func:`~lstm_companion.time_interleaved`, :func:`~lstm_companion.op_counts`,
:func:`~lstm_companion.profile_table`) and
:func:`~lstm_companion.plot_speed_ladder` are in
:mod:`lstm_companion.measure.benchmark`.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .._checks import check_lstm_input
from .initialization import ScratchRecurrent
from .lstm import (
    LSTMScratch,
    check_one_layer_lstm,
    copy_fused_from_torch,
    fused_to_torch,
)
from .state import LSTMState

__all__ = [
    "cell_pointwise",
    "FastLSTMBase",
    "FusedLSTM",
    "PremultipliedLSTM",
    "LSTMFunction",
    "BPTTLSTM",
    "ScriptedLSTM",
    "CompiledLSTM",
    "IMPLEMENTATIONS",
    "LADDER",
    "make_lstm",
    "torch_layout_grads",
]


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


class FusedLSTM(FastLSTMBase):
    """One matrix product per step, on the concatenation ``[X_t, H_{t-1}]`` (chapter 10).

    ``W = [W_x; W_h]`` stacks the input and recurrent weights, ``(num_inputs +
    num_hiddens, 4h)``, so all four gates' pre-activations are
    ``Z_t = [X_t, H_{t-1}] W + b``: the form found in many texts.
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        W = torch.cat([self.W_x, self.W_h])  # (num_inputs + num_hiddens, 4h), built once per call
        H, C = H0, C0
        outputs = []
        for X_t in X:  # X_t: (batch_size, num_inputs)
            Z = torch.addmm(self.b, torch.cat([X_t, H], dim=1), W)  # (batch_size, 4h): one product
            H, C = cell_pointwise(Z, C)
            outputs.append(H)
        return torch.stack(outputs), H, C  # (num_steps, batch_size, num_hiddens)


class PremultipliedLSTM(FastLSTMBase):
    """The input projection for all steps in one product, before the loop (chapter 10).

    ``X_t W_x + b`` does not depend on the state, so ``X W_x + b`` is one
    ``(num_steps * batch_size, num_inputs) @ (num_inputs, 4h)`` product; the
    loop only adds ``H_{t-1} W_h``. This is PyTorch's own CPU strategy and the
    "premul" LSTM of its ``benchmarks/fastrnns``.
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        T, B, _ = X.shape
        XW = torch.addmm(self.b, X.reshape(T * B, -1), self.W_x).view(T, B, -1)  # (num_steps, batch_size, 4h)
        H, C = H0, C0
        outputs = []
        # unbind, not XW[t]: autograd's backward of XW[t] writes into a zero (T, B, 4h) tensor at
        # every step (T^2 work); unbind's backward stacks the T gradients once.
        for XW_t in XW.unbind(0):  # XW_t: (batch_size, 4h)
            Z = torch.addmm(XW_t, H, self.W_h)  # (batch_size, 4h): only the recurrent product is left
            H, C = cell_pointwise(Z, C)
            outputs.append(H)
        return torch.stack(outputs), H, C


class LSTMFunction(torch.autograd.Function):
    """An LSTM layer with backpropagation through time written by hand (chapter 10).

    ``LSTMFunction.apply(X, H0, C0, W_x, W_h, b)`` returns ``(outputs, H_n,
    C_n)``. The forward pass is the premultiplied loop and keeps what the
    backward pass needs: the gate activations and every cell state. The
    backward pass walks the steps from last to first, turning the gradient
    that reaches ``H_t`` and ``C_t`` into the gradient of the pre-activations
    ``dZ_t``; everything else (``dX``, ``dW_x``, ``dW_h``, ``db``) is a
    product of the whole ``dZ`` with saved tensors, done after the loop.
    """

    @staticmethod
    def forward(
        ctx: Any,
        X: torch.Tensor,  # (T, B, d)
        H0: torch.Tensor,  # (B, h)
        C0: torch.Tensor,  # (B, h)
        W_x: torch.Tensor,  # (d, 4h)
        W_h: torch.Tensor,  # (h, 4h)
        b: torch.Tensor,  # (4h,)
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        T, B, d = X.shape
        h = H0.shape[1]
        XW = torch.addmm(b, X.reshape(T * B, d), W_x).view(T, B, 4 * h)  # (T, B, 4h), all steps at once
        A = torch.empty(T, B, 4 * h, dtype=X.dtype, device=X.device)  # gate activations [I, F, C~, O] per step
        Cs = torch.empty(T + 1, B, h, dtype=X.dtype, device=X.device)  # C_0 ... C_T
        tanh_Cs = torch.empty(T, B, h, dtype=X.dtype, device=X.device)  # tanh(C_1) ... tanh(C_T)
        Hs = torch.empty(T, B, h, dtype=X.dtype, device=X.device)  # H_1 ... H_T, the outputs
        Cs[0] = C0
        H = H0
        for t in range(T):
            Z = torch.addmm(XW[t], H, W_h)  # (B, 4h) pre-activations
            a = A[t]  # (B, 4h), a view: writing into it fills A
            torch.sigmoid(Z, out=a)  # I, F and O (the candidate's block is overwritten next)
            torch.tanh(Z[:, 2 * h : 3 * h], out=a[:, 2 * h : 3 * h])  # C~
            I, F, G, O = a.chunk(4, dim=1)  # each (B, h)
            torch.addcmul(F * Cs[t], I, G, out=Cs[t + 1])  # C_t = F_t * C_{t-1} + I_t * C~_t
            torch.tanh(Cs[t + 1], out=tanh_Cs[t])
            torch.mul(O, tanh_Cs[t], out=Hs[t])  # H_t = O_t * tanh(C_t)
            H = Hs[t]
        H0_ = H0.unsqueeze(0)  # (1, B, h)
        ctx.save_for_backward(X, H0_, W_x, W_h, A, Cs, tanh_Cs, Hs)
        return Hs, Hs[T - 1].clone(), Cs[T].clone()

    @staticmethod
    def backward(
        ctx: Any,
        dHs: torch.Tensor,  # (T, B, h): the loss's gradient w.r.t. every output H_t
        dH_n: torch.Tensor,  # (B, h): ... w.r.t. the returned final state H_T
        dC_n: torch.Tensor,  # (B, h): ... w.r.t. C_T
    ) -> tuple[torch.Tensor | None, ...]:
        X, H0_, W_x, W_h, A, Cs, tanh_Cs, Hs = ctx.saved_tensors
        T, B, d = X.shape
        h = W_h.shape[0]
        dZ = torch.empty(T, B, 4 * h, dtype=X.dtype, device=X.device)  # (T, B, 4h) gradients of the pre-activations
        dH = dH_n.clone()  # (B, h): gradient reaching H_t from later steps (and the final state)
        dC = dC_n.clone()  # (B, h): gradient reaching C_t from later steps
        for t in reversed(range(T)):
            I, F, G, O = A[t].chunk(4, dim=1)  # (B, h) each
            dH += dHs[t]  # H_t is also an output: add its own gradient
            tanh_C = tanh_Cs[t]
            # H_t = O_t * tanh(C_t): the gradient reaches O_t and, through tanh, C_t
            dO = dH * tanh_C
            dC += dH * O * (1 - tanh_C * tanh_C)
            # C_t = F_t * C_{t-1} + I_t * C~_t: the gradient reaches I_t, F_t, C~_t and C_{t-1}
            dI, dF, dG = dC * G, dC * Cs[t], dC * I
            # through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - tanh^2
            dz = dZ[t]  # (B, 4h), a view into dZ
            torch.mul(dI, I * (1 - I), out=dz[:, 0:h])
            torch.mul(dF, F * (1 - F), out=dz[:, h : 2 * h])
            torch.mul(dG, 1 - G * G, out=dz[:, 2 * h : 3 * h])
            torch.mul(dO, O * (1 - O), out=dz[:, 3 * h :])
            # Z_t = X_t W_x + H_{t-1} W_h + b: the gradient reaching the previous step
            dH = dz @ W_h.T  # (B, 4h) @ (4h, h) -> (B, h)
            dC = dC * F  # the cell path: C_{t-1} reaches C_t only through F_t
        # After the loop: every parameter gradient is one big product over all T * B rows.
        dZ2 = dZ.view(T * B, 4 * h)  # (T B, 4h)
        H_prev = torch.cat([H0_, Hs[:-1]]).view(T * B, h)  # H_0 ... H_{T-1}: (T B, h)
        dX = (dZ2 @ W_x.T).view(T, B, d) if ctx.needs_input_grad[0] else None  # (T, B, d)
        dW_x = X.reshape(T * B, d).T @ dZ2 if ctx.needs_input_grad[3] else None  # (d, 4h) = sum_t X_t^T dZ_t
        dW_h = H_prev.T @ dZ2 if ctx.needs_input_grad[4] else None  # (h, 4h) = sum_t H_{t-1}^T dZ_t
        db = dZ2.sum(0) if ctx.needs_input_grad[5] else None  # (4h,)
        dH0 = dH if ctx.needs_input_grad[1] else None  # (B, h)
        dC0 = dC if ctx.needs_input_grad[2] else None  # (B, h)
        return dX, dH0, dC0, dW_x, dW_h, db


class BPTTLSTM(FastLSTMBase):
    """The premultiplied LSTM with the hand-written backward pass of :class:`LSTMFunction` (chapter 10)."""

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out: tuple[torch.Tensor, torch.Tensor, torch.Tensor] = LSTMFunction.apply(X, H0, C0, self.W_x, self.W_h, self.b)
        return out


def _premultiplied_loop(
    XW: torch.Tensor, H: torch.Tensor, C: torch.Tensor, W_h: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The loop of :class:`PremultipliedLSTM`, written for ``torch.jit.script``: ``XW`` is ``(T, B, 4h)``."""
    outputs: list[torch.Tensor] = []
    for XW_t in XW.unbind(0):
        Z = torch.addmm(XW_t, H, W_h)  # (B, 4h)
        i, f, g, o = Z.chunk(4, 1)
        C = torch.sigmoid(f) * C + torch.sigmoid(i) * torch.tanh(g)
        H = torch.sigmoid(o) * torch.tanh(C)
        outputs.append(H)
    return torch.stack(outputs), H, C


_Loop = Callable[
    [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]
]  # the signature of _premultiplied_loop


_SCRIPTED_LOOPS: dict[tuple[torch.dtype, torch.device, tuple[int, ...]], _Loop] = {}


def _scripted_loop(XW: torch.Tensor, H: torch.Tensor) -> _Loop:
    """``torch.jit.script(_premultiplied_loop)``, one per dtype, device and state shape.

    One script per signature, because TorchScript's profiling executor
    specialises a script to the shapes it first sees, and we found its
    gradients wrong when the same script later ran on other shapes and dtypes.
    """
    key = (XW.dtype, XW.device, tuple(H.shape))
    if key not in _SCRIPTED_LOOPS:
        fn = types.FunctionType(_premultiplied_loop.__code__, globals(), f"_premultiplied_loop_{len(_SCRIPTED_LOOPS)}")
        fn.__annotations__ = dict(_premultiplied_loop.__annotations__)
        with warnings.catch_warnings():  # TorchScript is deprecated in recent PyTorch (2.10 and later); it still works
            warnings.simplefilter("ignore", FutureWarning)
            _SCRIPTED_LOOPS[key] = torch.jit.script(fn)
    return _SCRIPTED_LOOPS[key]


class ScriptedLSTM(FastLSTMBase):
    """The premultiplied loop compiled with ``torch.jit.script`` (chapter 10).

    TorchScript runs the loop in C++ (no Python interpreter per step); autograd
    still records every operation. The script is built on first use.
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        T, B, _ = X.shape
        XW = torch.addmm(self.b, X.reshape(T * B, -1), self.W_x).view(T, B, -1)  # (T, B, 4h)
        return _scripted_loop(XW, H0)(XW, H0, C0, self.W_h)


_COMPILED_CELL: Any = None


def _compiled_cell() -> Any:
    global _COMPILED_CELL
    if _COMPILED_CELL is None:
        _COMPILED_CELL = torch.compile(cell_pointwise, dynamic=False)
    return _COMPILED_CELL


class CompiledLSTM(FastLSTMBase):
    """The premultiplied loop, its pointwise step compiled with ``torch.compile`` (chapter 10).

    Only the gates and the state update are compiled: Inductor fuses their
    dozen operations into one generated kernel forward and one backward. The
    loop over steps stays in Python (compiling it whole would unroll all
    ``num_steps`` steps into one graph and take far longer to compile).
    The first call for each new shape compiles (seconds to minutes on a CPU).
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        T, B, _ = X.shape
        cell = _compiled_cell()
        XW = torch.addmm(self.b, X.reshape(T * B, -1), self.W_x).view(T, B, -1)  # (T, B, 4h)
        H, C = H0, C0
        outputs = []
        for XW_t in XW.unbind(0):  # (B, 4h)
            H, C = cell(torch.addmm(XW_t, H, self.W_h), C)
            outputs.append(H)
        return torch.stack(outputs), H, C


def _cpp_from_torch(lstm: nn.LSTM) -> nn.Module:
    """:class:`~lstm_companion.CppLSTM` from ``lstm`` (imported here: ``cpp_lstm`` builds on this module)."""
    from .cpp_lstm import CppLSTM

    return CppLSTM.from_torch(lstm)


#: Every implementation, by name, built from an ``nn.LSTM`` with the same weights.
IMPLEMENTATIONS: dict[str, Callable[[nn.LSTM], nn.Module]] = {
    "naive": LSTMScratch.from_torch,
    "fused": FusedLSTM.from_torch,
    "premultiplied": PremultipliedLSTM.from_torch,
    "bptt": BPTTLSTM.from_torch,
    "script": ScriptedLSTM.from_torch,
    "compile": CompiledLSTM.from_torch,
    "cpp": _cpp_from_torch,
}


#: The ladder in the order the chapter climbs it, ending with PyTorch's own.
LADDER: tuple[str, ...] = (*IMPLEMENTATIONS, "nn.LSTM")


def make_lstm(name: str, lstm: nn.LSTM) -> nn.Module:
    """The implementation ``name`` (one of :data:`LADDER`) with ``lstm``'s weights.

    ``"nn.LSTM"`` gives an independent copy of ``lstm`` itself.
    """
    check_one_layer_lstm(lstm)
    if name == "nn.LSTM":
        w = lstm.weight_ih_l0
        copy = nn.LSTM(lstm.input_size, lstm.hidden_size, dtype=w.dtype, device=w.device)
        copy.load_state_dict(lstm.state_dict())
        return copy
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"name must be one of {LADDER}, got {name!r}")
    return IMPLEMENTATIONS[name](lstm)


def torch_layout_grads(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s parameter gradients in ``nn.LSTM``'s layout (chapter 10).

    Returns ``{"weight_ih_l0": (4h, d), "weight_hh_l0": (4h, h), "bias": (4h,)}``
    for an ``nn.LSTM`` (whose two bias gradients are equal; ``bias`` is
    ``bias_ih_l0``'s), a single-layer ``LSTMScratch`` or any
    :class:`FastLSTMBase`. A missing gradient raises.
    """

    def grad(p: torch.Tensor, name: str) -> torch.Tensor:
        if p.grad is None:
            raise ValueError(f"{type(model).__name__}.{name} has no gradient; call backward() first")
        return p.grad

    if isinstance(model, nn.LSTM):
        check_one_layer_lstm(model)
        return {
            "weight_ih_l0": grad(model.get_parameter("weight_ih_l0"), "weight_ih_l0"),
            "weight_hh_l0": grad(model.get_parameter("weight_hh_l0"), "weight_hh_l0"),
            "bias": grad(model.get_parameter("bias_ih_l0"), "bias_ih_l0"),
        }
    if isinstance(model, FastLSTMBase):
        return {
            "weight_ih_l0": grad(model.W_x, "W_x").T,
            "weight_hh_l0": grad(model.W_h, "W_h").T,
            "bias": grad(model.b, "b"),
        }
    if isinstance(model, LSTMScratch):
        if model.num_layers != 1:
            raise ValueError(f"model must have num_layers=1, got {model.num_layers}")
        cell = model.cell(0)
        order = ("i", "f", "c", "o")  # nn.LSTM's row blocks
        parts = [cell.weights(g) for g in order]
        return {
            "weight_ih_l0": torch.cat([grad(W_x, f"W_x{g}").T for g, (W_x, _, _) in zip(order, parts)]),
            "weight_hh_l0": torch.cat([grad(W_h, f"W_h{g}").T for g, (_, W_h, _) in zip(order, parts)]),
            "bias": torch.cat([grad(b, f"b_{g}") for g, (_, _, b) in zip(order, parts)]),
        }
    raise TypeError(f"model must be an nn.LSTM, an LSTMScratch or a FastLSTMBase, got {type(model).__name__}")
