"""Making an LSTM fast: the same layer seven ways, each equal to ``nn.LSTM`` (chapter 10).

Every rung of the ladder is a single-layer, unidirectional LSTM with the
interface of ``nn.LSTM`` and the parameters in the fused layout, a subclass of
:class:`~lstm_companion.FastLSTMBase`, and all of them compute the same
function (chapter 10 proves it, outputs and gradients). The naive rung is
:class:`lstm_companion.LSTMScratch`, eight small products per step; the
package holds the others, one module per way of writing them:

- :mod:`~lstm_companion.models.fast_lstm.base` – :class:`~lstm_companion.FastLSTMBase`
  (parameters, checks, conversion to and from ``nn.LSTM``) and
  :func:`~lstm_companion.cell_pointwise`, the pointwise half of a step;
- :mod:`~lstm_companion.models.fast_lstm.python_rungs` – the loops in PyTorch
  operations: :class:`~lstm_companion.FusedLSTM` (one product per step) and its
  loop :func:`~lstm_companion.fused_lstm`, :class:`~lstm_companion.PremultipliedLSTM`
  (the input projection before the loop), :class:`~lstm_companion.ScriptedLSTM`
  (``torch.jit.script``) and :class:`~lstm_companion.CompiledLSTM` (``torch.compile``);
- :mod:`~lstm_companion.models.fast_lstm.function` – backpropagation through
  time by hand: :class:`~lstm_companion.LSTMFunction` and
  :class:`~lstm_companion.BPTTLSTM`;
- :mod:`~lstm_companion.models.fast_lstm.cpp` – the C++ rung,
  :class:`~lstm_companion.CppLSTM` and :func:`~lstm_companion.cpp_lstm`: the
  premultiplied loop and the hand-written backward pass in C++
  (``lstm_cpu.cpp``, beside it, shipped as package data), a ``torch.library``
  custom operator.

This module holds the ladder that names them all: :data:`IMPLEMENTATIONS` and
:data:`LADDER` (every implementation by name, in the order the chapter
climbs), :func:`make_lstm` (any of them from one ``nn.LSTM``) and
:func:`torch_layout_grads` (any implementation's gradients in ``nn.LSTM``'s
layout). Its ``__all__`` is its own names and its modules'. The conversion
between ``nn.LSTM`` and the fused layout (:func:`~lstm_companion.copy_fused_from_torch`,
:func:`~lstm_companion.fused_to_torch`) is in :mod:`lstm_companion.models.lstm`;
the timing and profiling (:func:`~lstm_companion.time_interleaved`,
:func:`~lstm_companion.op_counts`, :func:`~lstm_companion.profile_table`) and
:func:`~lstm_companion.plot_speed_ladder` are in
:mod:`lstm_companion.measure.benchmark`, the FLOPs and the roofline
(:func:`~lstm_companion.lstm_roofline_ms`) in
:mod:`lstm_companion.measure.roofline`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..lstm import LSTMScratch, check_one_layer_lstm
from . import base, cpp, function, python_rungs
from .base import *  # noqa: F403
from .base import FastLSTMBase
from .cpp import *  # noqa: F403
from .cpp import CppLSTM
from .function import *  # noqa: F403
from .function import BPTTLSTM
from .python_rungs import *  # noqa: F403
from .python_rungs import CompiledLSTM, FusedLSTM, PremultipliedLSTM, ScriptedLSTM

__all__ = [
    "IMPLEMENTATIONS",
    "LADDER",
    "make_lstm",
    "torch_layout_grads",
    *base.__all__,
    *python_rungs.__all__,
    *function.__all__,
    *cpp.__all__,
]


#: Every implementation, by name, built from an ``nn.LSTM`` with the same weights.
IMPLEMENTATIONS: dict[str, Callable[[nn.LSTM], nn.Module]] = {
    "naive": LSTMScratch.from_torch,
    "fused": FusedLSTM.from_torch,
    "premultiplied": PremultipliedLSTM.from_torch,
    "bptt": BPTTLSTM.from_torch,
    "script": ScriptedLSTM.from_torch,
    "compile": CompiledLSTM.from_torch,
    "cpp": CppLSTM.from_torch,
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
