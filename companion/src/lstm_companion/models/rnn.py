"""A recurrent neural network written from scratch (chapter 1; chapters 2-4 reuse it).

The recurrence, in the book's row-vector notation (see the notation page)::

    H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)

with ``X_t`` of shape ``(batch_size, num_inputs)``, ``H_t`` of shape
``(batch_size, num_hiddens)``, ``W_xh`` of shape ``(num_inputs, num_hiddens)``,
``W_hh`` of shape ``(num_hiddens, num_hiddens)`` and ``b_h`` of shape
``(num_hiddens,)``. PyTorch's ``nn.RNN`` stores the transposes
(``weight_ih_l0 = W_xh.T``, ``weight_hh_l0 = W_hh.T``) and two biases whose sum
is ``b_h``; :meth:`RNNScratch.from_torch` and :meth:`RNNScratch.to_torch`
convert between the two, and chapter 1 proves they compute the same thing.

- :func:`rnn_step`: one step of the recurrence (tanh or ReLU);
- :class:`RNNScratch`: a one-layer RNN with ``nn.RNN``'s interface; its
  :meth:`~RNNScratch.step` is what chapter 2's gradient measurements run;
- :func:`bptt_tanh`: backpropagation through time for a tanh RNN, written out
  by hand (chapter 1 compares it with autograd).

The character language model around it is :class:`~lstm_companion.RNNLM`
(:mod:`lstm_companion.models.lm`).
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_same_device, check_same_dtype, check_tensor
from .scratch_base import ScratchRecurrent

__all__ = ["rnn_step", "bptt_tanh", "RNNScratch"]


_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


def rnn_step(
    X_t: torch.Tensor,
    H: torch.Tensor,
    W_xh: torch.Tensor,
    W_hh: torch.Tensor,
    b_h: torch.Tensor,
    nonlinearity: str = "tanh",
) -> torch.Tensor:
    """One step of the recurrence: ``phi(X_t W_xh + H W_hh + b_h)`` (chapter 1)."""
    phi = _ACTIVATIONS.get(nonlinearity) if isinstance(nonlinearity, str) else None
    if phi is None:
        raise ValueError(f"nonlinearity must be one of {sorted(_ACTIVATIONS)}, got {nonlinearity!r}")
    try:
        if X_t.dim() == 2 and H.dim() == 2 and X_t.shape[0] == H.shape[0]:  # else they would broadcast
            return phi(X_t @ W_xh + H @ W_hh + b_h)
    except (RuntimeError, TypeError, AttributeError):  # only on bad input: say which argument does not fit
        _explain_step(X_t, H, W_xh, W_hh, b_h)
        raise
    _explain_step(X_t, H, W_xh, W_hh, b_h)
    raise AssertionError("unreachable: _explain_step raises for a 1-D X_t or H or different batch sizes")


def _explain_step(X_t: object, H: object, W_xh: object, W_hh: object, b_h: object) -> None:
    """Raise a clear error naming the argument of :func:`rnn_step` that does not fit the others."""
    for name, t, ndim in (("W_xh", W_xh, 2), ("W_hh", W_hh, 2), ("b_h", b_h, 1), ("X_t", X_t, 2), ("H", H, 2)):
        check_tensor(name, t, ndim=ndim, floating=True)
    assert isinstance(X_t, torch.Tensor) and isinstance(H, torch.Tensor) and isinstance(W_xh, torch.Tensor)
    assert isinstance(W_hh, torch.Tensor) and isinstance(b_h, torch.Tensor)
    d, h = W_xh.shape
    check_tensor("W_hh", W_hh, shape=(h, h))
    check_tensor("b_h", b_h, shape=(h,))
    check_tensor("X_t", X_t, shape=(None, d))
    check_tensor("H", H, shape=(X_t.shape[0], h))
    for name, t in (("W_hh", W_hh), ("b_h", b_h), ("X_t", X_t), ("H", H)):
        check_same_dtype(name, t, W_xh, like_name="W_xh")
        if t.device != W_xh.device:
            raise ValueError(f"{name} is on device {t.device}, but W_xh is on {W_xh.device}")


def bptt_tanh(
    X: torch.Tensor,
    H0: torch.Tensor,
    Hs: torch.Tensor,
    W_hh: torch.Tensor,
    dHs: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Backpropagation through time for a tanh RNN, written out by hand (chapter 1).

    ``X`` ``(num_steps, batch_size, num_inputs)``, ``H0`` ``(batch_size,
    num_hiddens)``, the forward states ``Hs`` ``(num_steps, batch_size,
    num_hiddens)`` and ``dHs``: the gradient of the loss with respect to each
    ``H_t`` through the output layer only (the "direct" part). Walking back in
    time, the total gradient at step t adds what flows back from step t+1:

    ``dH_t = dHs[t] + dA_{t+1} W_hh^T``, ``dA_t = dH_t * (1 - H_t^2)``

    and every step contributes to the shared weights: ``dW_xh += X_t^T dA_t``,
    ``dW_hh += H_{t-1}^T dA_t``, ``db_h += sum_rows(dA_t)``. Returns those
    gradients and ``dH0``, the gradient reaching the initial state.
    """
    check_tensor("Hs", Hs, ndim=3, floating=True)
    check_tensor("dHs", dHs, shape=tuple(Hs.shape), floating=True)
    check_tensor("X", X, shape=(Hs.shape[0], Hs.shape[1], None), floating=True)
    check_tensor("H0", H0, shape=tuple(Hs.shape[1:]), floating=True)
    check_tensor("W_hh", W_hh, shape=(Hs.shape[2], Hs.shape[2]), floating=True)
    dW_xh = torch.zeros(X.shape[2], Hs.shape[2], dtype=Hs.dtype, device=Hs.device)
    dW_hh = torch.zeros_like(W_hh)
    db_h = torch.zeros(Hs.shape[2], dtype=Hs.dtype, device=Hs.device)
    dH_next = torch.zeros_like(H0)  # gradient flowing back from step t+1
    for t in reversed(range(Hs.shape[0])):
        dH = dHs[t] + dH_next  # (batch_size, num_hiddens): all paths into H_t
        dA = dH * (1 - Hs[t] ** 2)  # through tanh: tanh'(a) = 1 - tanh(a)^2
        H_prev = Hs[t - 1] if t > 0 else H0
        dW_xh += X[t].T @ dA  # (num_inputs, num_hiddens)
        dW_hh += H_prev.T @ dA  # (num_hiddens, num_hiddens)
        db_h += dA.sum(0)
        dH_next = dA @ W_hh.T  # (batch_size, num_hiddens): to step t-1
    return {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "H0": dH_next}


class RNNScratch(ScratchRecurrent):
    """A one-layer RNN with the same interface as ``nn.RNN`` (chapter 1).

    ``forward(X, H=None)`` takes ``X`` of shape ``(num_steps, batch_size,
    num_inputs)`` and an optional initial state ``H`` of shape ``(batch_size,
    num_hiddens)`` (zeros if omitted), and returns all hidden states
    ``(num_steps, batch_size, num_hiddens)`` and the last one ``(batch_size,
    num_hiddens)``. Weights are initialised like ``nn.RNN``: uniform in
    ``[-1/sqrt(num_hiddens), 1/sqrt(num_hiddens)]``.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        nonlinearity: str = "tanh",
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, dtype=dtype, device=device)
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"nonlinearity must be one of {sorted(_ACTIVATIONS)}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.W_xh = self.param(num_inputs, num_hiddens)  # (num_inputs, num_hiddens)
        self.W_hh = self.param(num_hiddens, num_hiddens)  # (num_hiddens, num_hiddens)
        self.b_h = self.param(num_hiddens)  # (num_hiddens,)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, nonlinearity={self.nonlinearity!r}"

    def begin_state(self, batch_size: int) -> torch.Tensor:
        """A zero state of shape ``(batch_size, num_hiddens)``."""
        return torch.zeros(batch_size, self.num_hiddens, dtype=self.W_hh.dtype, device=self.W_hh.device)

    def check_inputs(self, X: torch.Tensor, H: torch.Tensor | None) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state."""
        self.check_sequence(X, self.W_hh)
        if H is not None:
            check_tensor("H", H, shape=(X.shape[1], self.num_hiddens), dtype=self.W_hh.dtype)
            check_same_device("H", H, self.W_hh.device)

    def step(self, X_t: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        """One time step: ``(batch_size, num_inputs), (batch_size, num_hiddens) -> (batch_size, num_hiddens)``."""
        return rnn_step(X_t, H, self.W_xh, self.W_hh, self.b_h, self.nonlinearity)

    def forward(self, X: torch.Tensor, H: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        self.check_inputs(X, H)
        if H is None:
            H = self.begin_state(X.shape[1])
        outputs = []
        for X_t in X:  # X_t: (batch_size, num_inputs)
            H = self.step(X_t, H)  # (batch_size, num_hiddens)
            outputs.append(H)
        return torch.stack(outputs), H  # (num_steps, batch_size, num_hiddens), (batch_size, num_hiddens)

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, rnn: nn.RNN) -> RNNScratch:
        """A scratch RNN with the weights of a one-layer, unidirectional ``nn.RNN``."""
        if not isinstance(rnn, nn.RNN):
            raise TypeError(f"rnn must be a torch.nn.RNN, got {type(rnn).__name__}")
        if rnn.num_layers != 1 or rnn.bidirectional or rnn.batch_first or not rnn.bias:
            raise ValueError(
                "rnn must have num_layers=1, bidirectional=False, batch_first=False and bias=True, got "
                f"num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
                f"batch_first={rnn.batch_first}, bias={rnn.bias}"
            )
        w = rnn.get_parameter("weight_ih_l0")
        new = cls(rnn.input_size, rnn.hidden_size, rnn.nonlinearity, dtype=w.dtype, device=w.device)
        with torch.no_grad():
            new.W_xh.copy_(rnn.get_parameter("weight_ih_l0").T)
            new.W_hh.copy_(rnn.get_parameter("weight_hh_l0").T)
            new.b_h.copy_(rnn.get_parameter("bias_ih_l0") + rnn.get_parameter("bias_hh_l0"))
        return new

    def to_torch(self) -> nn.RNN:
        """An ``nn.RNN`` computing the same function (its ``bias_hh_l0`` is zero)."""
        rnn = nn.RNN(
            self.num_inputs,
            self.num_hiddens,
            nonlinearity=self.nonlinearity,
            dtype=self.W_hh.dtype,
            device=self.W_hh.device,
        )
        with torch.no_grad():
            rnn.get_parameter("weight_ih_l0").copy_(self.W_xh.T)
            rnn.get_parameter("weight_hh_l0").copy_(self.W_hh.T)
            rnn.get_parameter("bias_ih_l0").copy_(self.b_h)
            rnn.get_parameter("bias_hh_l0").zero_()
        return rnn
