"""Measuring vanishing and exploding gradients (chapters 2 and 3).

Chapter 2 ("Vanishing and exploding gradients") measures, rather than asserts,
how the gradient of a loss shrinks or grows as it travels back through time.
For a tanh RNN in the book's row-vector notation,
``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``, the chapter uses:

- :func:`scaled_orthogonal`: a recurrent matrix ``W_hh = rho * Q`` with ``Q``
  a random orthogonal matrix, so that its spectral radius *and* its largest
  singular value are both exactly ``rho``;
- :func:`spectral_radius` and :func:`largest_singular_value`, the two numbers
  the common claims and Pascanu et al.'s bound are about;
- :func:`state_grad_norms`: run the recurrence one step at a time and return
  ``||dL/dH_t||`` for every step ``t = 1, ..., T``;
- :func:`geometric_rate`: the factor by which that norm changes per step back
  in time, fitted on a log scale.

Chapter 3 ("The LSTM equations") adds :func:`lstm_state_grad_norms`, the same
measurement for an LSTM, whose state is the pair ``(H_t, C_t)``.

:data:`RNNStepFn`, :data:`LSTMStepFn` and :data:`StateLossFn` are the types of the
functions they take: one step such as ``RNNScratch.step``
(:mod:`lstm_companion.models.rnn`) or an
:class:`~lstm_companion.LSTMCellScratch` (:mod:`lstm_companion.models.lstm`),
and a loss of the final state.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .._checks import check_finite_tensor, check_positive_float, check_positive_int, check_seed, check_tensor

__all__ = [
    "RNNStepFn",
    "StateLossFn",
    "scaled_orthogonal",
    "spectral_radius",
    "largest_singular_value",
    "state_grad_norms",
    "geometric_rate",
    "LSTMStepFn",
    "lstm_state_grad_norms",
]


RNNStepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


StateLossFn = Callable[[torch.Tensor], torch.Tensor]


def scaled_orthogonal(
    num_hiddens: int,
    spectral_radius: float,
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``rho * Q`` with ``Q`` a random orthogonal ``(num_hiddens, num_hiddens)`` matrix (chapter 2).

    ``Q`` is drawn uniformly (Haar measure) from the orthogonal matrices with a
    seeded generator: the QR factors of a Gaussian matrix, with the signs of
    ``R``'s diagonal moved into ``Q``. Every eigenvalue of ``rho * Q`` has
    modulus ``rho`` and every singular value equals ``rho``, so the spectral
    radius, the largest singular value and the gain per step in the linear
    regime are all the same number.
    """
    check_positive_int("num_hiddens", num_hiddens)
    rho = check_positive_float("spectral_radius", spectral_radius)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    gen = torch.Generator().manual_seed(check_seed(seed))
    A = torch.randn(num_hiddens, num_hiddens, generator=gen, dtype=torch.float64)
    Q: torch.Tensor  # torch.linalg's functions are not annotated in torch
    R: torch.Tensor
    Q, R = torch.linalg.qr(A)
    signs = torch.sign(torch.diagonal(R))
    signs[signs == 0] = 1.0
    Q = Q * signs  # multiply column j by sign(R_jj): Haar-distributed
    return (rho * Q).to(dtype)


def spectral_radius(W: torch.Tensor) -> float:
    """Largest modulus of the eigenvalues of a square matrix ``W`` (chapter 2)."""
    check_tensor("W", W, ndim=2, floating=True)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {tuple(W.shape)}")
    check_finite_tensor("W", W)
    return float(torch.linalg.eigvals(W.detach().double().cpu()).abs().max())


def largest_singular_value(W: torch.Tensor) -> float:
    """Spectral norm ``||W||_2`` (largest singular value) of a matrix ``W`` (chapter 2)."""
    check_tensor("W", W, ndim=2, floating=True)
    check_finite_tensor("W", W)
    return float(torch.linalg.matrix_norm(W.detach().double().cpu(), ord=2))


def state_grad_norms(
    step: RNNStepFn,
    X: torch.Tensor,
    H0: torch.Tensor,
    loss_fn: StateLossFn | None = None,
) -> torch.Tensor:
    """Norms ``||dL/dH_t||`` for ``t = 1, ..., T`` of a recurrence ``H_t = step(X_t, H_{t-1})`` (chapter 2).

    Arguments:

    - ``step``: one step of the recurrence, e.g. ``RNNScratch(...).step``,
      mapping ``X_t`` of shape ``(batch_size, num_inputs)`` and ``H`` of shape
      ``(batch_size, num_hiddens)`` to the next state.
    - ``X``: inputs of shape ``(num_steps, batch_size, num_inputs)``.
    - ``H0``: the initial state, shape ``(batch_size, num_hiddens)``.
    - ``loss_fn``: maps the final state ``H_T`` to a scalar loss ``L``;
      default ``H_T.sum()``, whose gradient with respect to ``H_T`` is all ones.

    Returns a 1-D tensor of length ``num_steps`` (on the CPU, detached) whose
    entry ``t - 1`` is the Frobenius norm of ``dL/dH_t`` over the whole
    minibatch. The gradients are taken with ``torch.autograd.grad``, so the
    ``.grad`` fields of the model's parameters are left untouched.
    """
    if not callable(step):
        raise TypeError(f"step must be callable as step(X_t, H), got {type(step).__name__}")
    check_tensor("X", X, ndim=3, floating=True)
    check_tensor("H0", H0, ndim=2, floating=True)
    if H0.shape[0] != X.shape[1]:
        raise ValueError(
            f"H0 must have batch_size={X.shape[1]} rows like X of shape {tuple(X.shape)}, got shape {tuple(H0.shape)}"
        )
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(H_T) or None, got {type(loss_fn).__name__}")
    with torch.enable_grad():
        H = H0.detach().requires_grad_()  # so the states need grad even if step has no parameters
        states = []
        for X_t in X:  # X_t: (batch_size, num_inputs)
            H = step(X_t, H)  # (batch_size, num_hiddens)
            if not isinstance(H, torch.Tensor) or H.shape != H0.shape:
                raise ValueError(
                    f"step must return a state of shape {tuple(H0.shape)} like H0, got "
                    f"{tuple(H.shape) if isinstance(H, torch.Tensor) else type(H).__name__}"
                )
            states.append(H)
        if not states[-1].requires_grad:
            raise ValueError(
                "step's output does not require grad: step must be differentiable in H (e.g. RNNScratch.step)"
            )
        loss = states[-1].sum() if loss_fn is None else loss_fn(states[-1])
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(
                "loss_fn must return a scalar tensor, got "
                f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__}"
            )
        grads = torch.autograd.grad(loss.reshape(()), states, allow_unused=True)
    norms = [torch.zeros((), dtype=H0.dtype) if g is None else g.detach().norm().cpu() for g in grads]
    return torch.stack(norms)  # (num_steps,)


def geometric_rate(norms: torch.Tensor) -> float:
    """Factor ``r`` per step back in time that best fits ``norms[t-1] ~ c * r**(T - t)`` (chapter 2).

    ``norms`` holds ``||dL/dH_t||`` for ``t = 1, ..., T`` (as returned by
    :func:`state_grad_norms`). The fit is least squares on ``log norms``
    against ``T - t``, the number of steps the gradient has travelled back;
    ``r = exp(slope)``. ``r < 1``: the gradient vanishes as it goes back in
    time; ``r > 1``: it explodes. For an exact geometric sequence the fit is
    exact.
    """
    check_tensor("norms", norms, ndim=1, floating=True)
    if norms.numel() < 2:
        raise ValueError(f"norms must hold at least 2 values to fit a rate, got {norms.numel()}")
    values = norms.detach().double().cpu()
    if not bool(torch.isfinite(values).all()) or not bool((values > 0).all()):
        raise ValueError(
            f"norms must be finite and > 0 to take logarithms, got min {float(values.min()):.3g} "
            f"and max {float(values.max()):.3g}"
        )
    T = values.numel()
    back = T - torch.arange(1, T + 1, dtype=torch.float64)  # steps travelled back: T-1, ..., 0
    y = values.log()
    back_c = back - back.mean()
    slope = float((back_c * (y - y.mean())).sum() / (back_c**2).sum())
    return math.exp(slope)


LSTMStepFn = Callable[[torch.Tensor, tuple[torch.Tensor, torch.Tensor]], tuple[torch.Tensor, torch.Tensor]]


def lstm_state_grad_norms(
    cell: LSTMStepFn,
    X: torch.Tensor,
    state0: tuple[torch.Tensor, torch.Tensor],
    loss_fn: StateLossFn | None = None,
) -> dict[str, torch.Tensor]:
    """Norms ``||dL/dH_t||`` and ``||dL/dC_t||`` for every step of an LSTM (chapter 3).

    The LSTM's counterpart of :func:`state_grad_norms`: its state is the pair
    ``(H_t, C_t)``, and the gradient travels back along both.

    Arguments:

    - ``cell``: one LSTM step, ``(H_t, C_t) = cell(X_t, (H_{t-1}, C_{t-1}))``,
      e.g. an :class:`~lstm_companion.LSTMCellScratch` or an
      ``nn.LSTMCell``; ``X_t`` has shape ``(batch_size, num_inputs)`` and
      ``H``, ``C`` have shape ``(batch_size, num_hiddens)``.
    - ``X``: inputs of shape ``(num_steps, batch_size, num_inputs)``.
    - ``state0``: the initial state ``(H0, C0)``, each ``(batch_size,
      num_hiddens)``.
    - ``loss_fn``: maps the final hidden state ``H_T`` to a scalar loss
      ``L``; default ``H_T.sum()``, as in :func:`state_grad_norms`.

    Returns ``{"H": ..., "C": ...}``, two 1-D tensors of length ``num_steps``
    (on the CPU, detached) whose entry ``t - 1`` is the Frobenius norm, over
    the whole minibatch, of the *total* derivative ``dL/dH_t``, respectively
    ``dL/dC_t``: the sum over every path from that state to the loss. The
    parameters' ``.grad`` fields are left untouched.
    """
    if not callable(cell):
        raise TypeError(f"cell must be callable as cell(X_t, (H, C)), got {type(cell).__name__}")
    check_tensor("X", X, ndim=3, floating=True)
    if not isinstance(state0, tuple) or len(state0) != 2:
        raise TypeError(f"state0 must be a tuple (H0, C0) of two tensors, got {type(state0).__name__}")
    H0, C0 = state0
    check_tensor("state0[0] (H0)", H0, ndim=2, floating=True)
    check_tensor("state0[1] (C0)", C0, ndim=2, floating=True)
    if H0.shape != C0.shape:
        raise ValueError(f"state0's H0 and C0 must have the same shape, got {tuple(H0.shape)} and {tuple(C0.shape)}")
    if H0.shape[0] != X.shape[1]:
        raise ValueError(
            f"state0 must have batch_size={X.shape[1]} rows like X of shape {tuple(X.shape)}, "
            f"got shape {tuple(H0.shape)}"
        )
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(H_T) or None, got {type(loss_fn).__name__}")
    with torch.enable_grad():
        H, C = H0.detach().requires_grad_(), C0.detach().requires_grad_()
        Hs, Cs = [], []
        for X_t in X:  # X_t: (batch_size, num_inputs)
            out = cell(X_t, (H, C))
            if (
                not isinstance(out, tuple)
                or len(out) != 2
                or not all(isinstance(s, torch.Tensor) and s.shape == H0.shape for s in out)
            ):
                raise ValueError(
                    f"cell must return a tuple (H, C) of two tensors of shape {tuple(H0.shape)}, got "
                    + (
                        str([tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__ for s in out])
                        if isinstance(out, tuple)
                        else type(out).__name__
                    )
                )
            H, C = out  # (batch_size, num_hiddens) each
            Hs.append(H)
            Cs.append(C)
        loss = H.sum() if loss_fn is None else loss_fn(H)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(
                "loss_fn must return a scalar tensor, got "
                f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__}"
            )
        if not loss.requires_grad:
            raise ValueError("the loss does not require grad: cell must be differentiable in (H, C)")
        grads = torch.autograd.grad(loss.reshape(()), Hs + Cs, allow_unused=True)
    norms = [torch.zeros((), dtype=H0.dtype) if g is None else g.detach().norm().cpu() for g in grads]
    T = X.shape[0]
    return {"H": torch.stack(norms[:T]), "C": torch.stack(norms[T:])}  # (num_steps,) each
