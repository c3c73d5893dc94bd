"""What every from-scratch recurrent layer shares: sizes, dtype and device, and PyTorch's initialisation.

:class:`ScratchRecurrent` is the base class of the scratch RNN (chapter 1),
LSTM (chapters 3 and 4), BiLSTM (chapter 6), GRU and LSTM variants (chapter
8) and of the fast LSTMs (chapter 10). It checks and stores ``num_inputs``,
``num_hiddens`` (and ``num_layers``), creates the parameters with
:meth:`~ScratchRecurrent.param` and checks a time-major input with
:meth:`~ScratchRecurrent.check_sequence`. :func:`uniform_parameter` draws a
parameter uniform in ``[-bound, bound]``; with ``bound = 1 / sqrt(num_hiddens)``
this is how PyTorch initialises ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, so a
scratch layer starts from the same distribution as PyTorch's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_finite_input, check_positive_int, check_same_device, check_tensor

__all__ = ["uniform_parameter", "ScratchRecurrent"]


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
    subclasses create their parameters in the same order as before this base
    existed, so a seed gives the same weights. Each subclass still spells out
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
        self.factory_dtype, self.factory_device = dtype, device

    def param(self, *shape: int) -> nn.Parameter:
        """A new parameter of ``shape``, uniform in ``[-1/sqrt(num_hiddens), 1/sqrt(num_hiddens)]``."""
        bound = 1.0 / math.sqrt(self.num_hiddens)
        return uniform_parameter(*shape, bound=bound, dtype=self.factory_dtype, device=self.factory_device)

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
