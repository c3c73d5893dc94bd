"""The base classes of every from-scratch recurrent layer: sizes, dtype and device, PyTorch's initialisation, stacking.

:class:`ScratchRecurrent` is the base class of the scratch RNN (chapter 1),
LSTM (chapters 3 and 4), BiLSTM (chapter 6), GRU and LSTM variants (chapter
8) and of the fast LSTMs (chapter 10). It checks and stores ``num_inputs``,
``num_hiddens`` (and ``num_layers``), creates the parameters with
:meth:`~ScratchRecurrent.param`, checks a time-major input with
:meth:`~ScratchRecurrent.check_sequence` and stacks one layer per
``num_layers`` with :meth:`~ScratchRecurrent.stack_layers`.
:class:`StackedScratchRecurrent` is the base of the multi-layer layers made of
one cell per layer (``LSTMScratch``, ``GRUScratch``): it holds the cells and
gives each, typed, by :meth:`~StackedScratchRecurrent.cell`, as PyTorch's
``RNNBase`` holds what ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` share.
:func:`uniform_parameter` draws a parameter uniform in ``[-bound, bound]``;
with ``bound = 1 / sqrt(num_hiddens)`` this is how PyTorch initialises
``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, so a scratch layer starts from the
same distribution as PyTorch's.

The layers themselves live beside this module: :mod:`~lstm_companion.models.rnn`,
:mod:`~lstm_companion.models.lstm`, :mod:`~lstm_companion.models.bilstm`,
:mod:`~lstm_companion.models.gru`, :mod:`~lstm_companion.models.variants` and
the package :mod:`~lstm_companion.models.fast_lstm`; their state types are in
:mod:`~lstm_companion.models.state`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Generic, TypeVar, cast

import torch
from torch import nn

from .._checks import check_device, check_finite_input, check_positive_int, check_same_device, check_tensor

__all__ = ["uniform_parameter", "ScratchRecurrent", "StackedScratchRecurrent"]

CellT = TypeVar("CellT", bound=nn.Module)


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


class ScratchRecurrent(nn.Module):
    """Base of the from-scratch recurrent layers: checked sizes and :meth:`param`.

    Stores ``num_inputs``, ``num_hiddens`` and (when given) ``num_layers``,
    each checked to be an int > 0, and the ``dtype``/``device`` that
    :meth:`param` creates parameters with. :meth:`param` draws them as
    PyTorch does for its recurrent layers, uniform in ``[-1/sqrt(h), 1/sqrt(h)]``;
    each subclass creates its parameters in one fixed order, so a seed gives
    the same weights. Each subclass still spells out
    its own ``__init__`` signature (sizes, ``dtype``, ``device``): deliberately,
    so that a reader, ``help()`` and an editor see every argument of the layer
    they use; the duplicates check lists those signatures as alike.
    """

    num_layers: int

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        num_layers: int | None = None,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.num_inputs = check_positive_int("num_inputs", num_inputs)
        self.num_hiddens = check_positive_int("num_hiddens", num_hiddens)
        if num_layers is not None:
            self.num_layers = check_positive_int("num_layers", num_layers)
        if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise TypeError(f"dtype must be a floating torch.dtype (torch.float32, ...) or None, got {dtype!r}")
        if device is not None:
            check_device("device", device)
        self.factory_dtype, self.factory_device = dtype, device

    def param(self, *shape: int) -> nn.Parameter:
        """A new parameter of ``shape``, uniform in ``[-1/sqrt(num_hiddens), 1/sqrt(num_hiddens)]``."""
        bound = 1.0 / math.sqrt(self.num_hiddens)
        return uniform_parameter(*shape, bound=bound, dtype=self.factory_dtype, device=self.factory_device)

    def stack_layers(self, layer: Callable[..., nn.Module], inputs_above: int | None = None) -> nn.ModuleList:
        """``num_layers`` new layers ``layer(n_in, num_hiddens, dtype=..., device=...)``, layer 0 first.

        Layer 0 reads ``n_in = num_inputs`` features, every later layer
        ``inputs_above`` (``num_hiddens`` when ``None``: the hidden states of
        the layer below). The layers are created in order, so a seed gives
        each the same weights as creating them one by one.
        """
        above = self.num_hiddens if inputs_above is None else inputs_above
        return nn.ModuleList(
            layer(
                self.num_inputs if k == 0 else above,
                self.num_hiddens,
                dtype=self.factory_dtype,
                device=self.factory_device,
            )
            for k in range(self.num_layers)
        )

    def check_sequence(self, X: object, like: torch.Tensor) -> torch.Tensor:
        """Check a time-major input ``X`` ``(num_steps, batch_size, num_inputs)`` against the parameter ``like``.

        Raises naming ``X`` for a wrong shape, a non-floating dtype, another
        dtype than the parameters', another device or a NaN or infinite entry
        (one ``aminmax`` pass over ``X``); returns ``X``.
        """
        X = check_tensor("X", X, shape=(None, None, self.num_inputs), floating=True)
        if X.dtype != like.dtype:
            raise TypeError(f"X must have the parameters' dtype {like.dtype}, got {X.dtype}")
        check_same_device("X", X, like.device)
        return check_finite_input("X", X)

    def extra_repr(self) -> str:
        layers = f", num_layers={self.num_layers}" if hasattr(self, "num_layers") else ""
        return f"num_inputs={self.num_inputs}, num_hiddens={self.num_hiddens}{layers}"


class StackedScratchRecurrent(ScratchRecurrent, Generic[CellT]):
    """Base of a multi-layer scratch layer made of one ``cell_type`` cell per layer.

    ``self.cells`` holds ``num_layers`` cells made by
    :meth:`~ScratchRecurrent.stack_layers` (layer ``k + 1`` reads layer
    ``k``'s hidden states); :meth:`cell` gives layer ``k``'s, typed.
    ``LSTMScratch`` and ``GRUScratch`` are its subclasses; each still spells
    out its own ``__init__`` signature, as :class:`ScratchRecurrent` says why.
    """

    def __init__(
        self,
        cell_type: Callable[..., CellT],
        num_inputs: int,
        num_hiddens: int,
        num_layers: int,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, num_layers, dtype=dtype, device=device)
        self.cells = self.stack_layers(cell_type)

    def cell(self, k: int) -> CellT:
        """Layer ``k``'s cell: ``self.cells[k]``, typed (``nn.ModuleList`` yields plain modules)."""
        return cast(CellT, self.cells[k])
