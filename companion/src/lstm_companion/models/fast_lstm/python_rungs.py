"""The rungs of chapter 10's ladder written in PyTorch operations: fused, premultiplied, scripted, compiled.

Each is a :class:`~lstm_companion.FastLSTMBase` (the interface of ``nn.LSTM``,
the parameters ``W_x``, ``W_h``, ``b`` in the fused layout) that writes only
the loop over time, and each step's pointwise half is
:func:`~lstm_companion.cell_pointwise` (the scripted loop spells it out, since
TorchScript compiles the whole function):

- :class:`FusedLSTM`: one product per step, ``[X_t, H_{t-1}] [W_x; W_h]``
  (its loop is the function :func:`fused_lstm`, also the C++ rung's fallback);
- :class:`PremultipliedLSTM`: ``X W_x`` for all steps in one big product
  before the loop, only ``H_{t-1} W_h`` inside it;
- :class:`ScriptedLSTM`: the premultiplied loop compiled by ``torch.jit.script``;
- :class:`CompiledLSTM`: the premultiplied loop with its pointwise part (the
  gates and the state update) compiled by ``torch.compile``.

Neighbours, in the package :mod:`lstm_companion.models.fast_lstm`: the shared
base in :mod:`~lstm_companion.models.fast_lstm.base`, the premultiplied loop
with a hand-written backward pass (:class:`~lstm_companion.BPTTLSTM`) in
:mod:`~lstm_companion.models.fast_lstm.function`, the C++ rung in
:mod:`~lstm_companion.models.fast_lstm.cpp`, and the ladder that names them
all (:data:`~lstm_companion.LADDER`, :func:`~lstm_companion.make_lstm`) in the
package itself.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import torch

from .base import FastLSTMBase, cell_pointwise

__all__ = ["fused_lstm", "FusedLSTM", "PremultipliedLSTM", "ScriptedLSTM", "CompiledLSTM"]


def fused_lstm(
    X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor, W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The loop of :class:`FusedLSTM`: one product per step on ``[X_t, H_{t-1}]`` (chapter 10).

    The functional form, with the arguments of :class:`~lstm_companion.LSTMFunction` and
    :func:`~lstm_companion.cpp_lstm` (whose fallback it is): ``X`` ``(T, B, d)``, 2-D states ``H0``,
    ``C0`` ``(B, h)``, ``W_x`` ``(d, 4h)``, ``W_h`` ``(h, 4h)``, ``b`` ``(4h,)``; returns the
    ``(T, B, h)`` outputs and the ``(B, h)`` final states.
    """
    W = torch.cat([W_x, W_h])  # (num_inputs + num_hiddens, 4h), built once per call
    H, C = H0, C0
    outputs = []
    for X_t in X:  # X_t: (batch_size, num_inputs)
        Z = torch.addmm(b, torch.cat([X_t, H], dim=1), W)  # (batch_size, 4h): one product
        H, C = cell_pointwise(Z, C)
        outputs.append(H)
    return torch.stack(outputs), H, C  # (num_steps, batch_size, num_hiddens)


class FusedLSTM(FastLSTMBase):
    """One matrix product per step, on the concatenation ``[X_t, H_{t-1}]`` (chapter 10).

    ``W = [W_x; W_h]`` stacks the input and recurrent weights, ``(num_inputs +
    num_hiddens, 4h)``, so all four gates' pre-activations are
    ``Z_t = [X_t, H_{t-1}] W + b``: the form found in many texts. The loop is
    :func:`fused_lstm`.
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return fused_lstm(X, H0, C0, self.W_x, self.W_h, self.b)


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
