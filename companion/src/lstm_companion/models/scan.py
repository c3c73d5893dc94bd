"""The linear recurrence ``h_t = a_t * h_{t-1} + b_t`` three ways, and minGRU built on it (chapter 14).

When the gates depend on ``x_t`` only (minGRU, minLSTM of Feng et al. 2024;
the LRU; Mamba's selective scan), the recurrence is linear in ``h`` and the
pairs ``(a, b)`` compose associatively::

    (a1, b1) then (a2, b2)  =  (a1 a2, a2 b1 + b2)

so all ``T`` states can be computed by a parallel scan instead of a loop:

- :func:`scan_loop`: the sequential loop, ``T`` dependent steps;
- :func:`scan_log`: Heinsen's (2023) log-space scan, two cumulative sums:
  ``log h_t = a*_t + logcumsumexp(log b_s - a*_s)`` with ``a* = cumsum(log a)``;
  needs ``a > 0``; a signed ``b`` is split into its positive and negative parts;
- :func:`scan_blelloch`: Blelloch's (1990) work-efficient scan written out, an
  up-sweep (partial compositions up a binary tree) and a down-sweep (prefixes
  back down), ``2 log2 T`` vectorised levels;
- :class:`MinGRU`: ``z_t = sigmoid(W_z x_t)``, ``h~_t = W_h x_t``, ``h_t = (1 - z_t)
  h_{t-1} + z_t h~_t``; with ``negative=True`` the transition ``a_t`` ranges over
  ``(-1, 1)`` instead of ``(0, 1)`` (Grazzi et al. 2024), which only the loop
  and the Blelloch scan can compute.

All three take ``a, b`` of shape ``(B, T, H)`` and an optional ``h0`` ``(B, H)``
and return all states ``(B, T, H)``.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_finite_tensor, check_positive_int, check_tensor

__all__ = ["SCAN_METHODS", "MinGRU", "linear_scan", "scan_blelloch", "scan_log", "scan_loop"]

SCAN_METHODS = ("loop", "log", "blelloch")
_LOG_ZERO = -1e30  # stands for log 0 = -inf


def _check_ab(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None) -> torch.Tensor:
    check_tensor("a", a, ndim=3, floating=True)
    check_tensor("b", b, shape=tuple(a.shape), floating=True)
    check_finite_tensor("a", a)
    check_finite_tensor("b", b)
    if h0 is None:
        return a.new_zeros(a.shape[0], a.shape[2])
    check_tensor("h0", h0, shape=(a.shape[0], a.shape[2]), floating=True)
    return check_finite_tensor("h0", h0)


def scan_loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """``h_t = a_t h_{t-1} + b_t`` one step at a time (chapter 14)."""
    h = _check_ab(a, b, h0)
    out = []
    # unbind, not a[:, t]: the backward of T slices would add T full-size gradients (T^2 work)
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out, dim=1)


def _log_part(x: torch.Tensor) -> torch.Tensor:
    """``log x`` where ``x > 0``, else ``-1e30`` (``exp`` of it is 0, and a finite value keeps NaN out of the gradient)."""
    pos = x > 0
    return torch.where(pos, torch.log(torch.where(pos, x, torch.ones_like(x))), _LOG_ZERO)


def scan_log(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """Heinsen's log-space scan: ``h_t = exp(a*_t) sum_{s<=t} exp(-a*_s) b_s`` with ``a* = cumsum(log a)`` (chapter 14).

    Needs ``a > 0`` everywhere. Computed as ``exp(a*_t + logcumsumexp(log b_s -
    a*_s))`` for the positive and the negative part of ``b`` (and ``h0``)
    separately, so no term ``exp(-a*_s)`` is ever formed on its own.
    """
    h0 = _check_ab(a, b, h0)
    if not bool((a > 0).all()):
        raise ValueError("a must be > 0 everywhere for the log-space scan (use scan_loop or scan_blelloch)")
    log_a = torch.cumsum(torch.log(a), dim=1)
    log_a = torch.cat([torch.zeros_like(log_a[:, :1]), log_a], dim=1)  # a*_0 = 0 for h0
    vals = torch.cat([h0[:, None], b], dim=1)
    out = torch.zeros_like(vals)
    for sign in (1.0, -1.0):
        part = _log_part(sign * vals)
        out = out + sign * torch.exp(torch.logcumsumexp(part - log_a, dim=1) + log_a)
    return out[:, 1:]


def _combine(
    a1: torch.Tensor, b1: torch.Tensor, a2: torch.Tensor, b2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(a1, b1)`` then ``(a2, b2)``: ``h -> a2 (a1 h + b1) + b2``."""
    return a1 * a2, a2 * b1 + b2


def scan_blelloch(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """Blelloch's scan over the pairs ``(a_t, b_t)``: up-sweep, then down-sweep, then one step (chapter 14).

    The sequence is padded to a power of two with the identity ``(1, 0)``.
    Up-sweep: at level ``d`` every node ``r = 2^(d+1) k + 2^(d+1) - 1`` becomes
    the composition of its left child ``r - 2^d`` and itself. Down-sweep: the
    root is set to the identity, and at each level, going down, the left child
    takes its parent's prefix ``P`` and the right child ``P`` then the left
    child's up-sweep value. This gives the exclusive prefixes ``E_t`` (the
    composition of steps ``0..t-1``); ``h_t = a_t (E_t applied to h0) + b_t``.
    """
    h0 = _check_ab(a, b, h0)
    B, T, H = a.shape
    size = 1 << max(0, (T - 1).bit_length())
    A = torch.cat([a, a.new_ones(B, size - T, H)], dim=1)
    Bv = torch.cat([b, b.new_zeros(B, size - T, H)], dim=1)
    levels = size.bit_length() - 1
    for d in range(levels):  # up-sweep
        step = 1 << (d + 1)
        right = torch.arange(step - 1, size, step, device=a.device)
        left = right - (1 << d)
        na, nb = _combine(A[:, left], Bv[:, left], A[:, right], Bv[:, right])
        A, Bv = A.index_copy(1, right, na), Bv.index_copy(1, right, nb)
    root = torch.tensor([size - 1], device=a.device)
    A = A.index_copy(1, root, a.new_ones(B, 1, H))
    Bv = Bv.index_copy(1, root, b.new_zeros(B, 1, H))
    for d in reversed(range(levels)):  # down-sweep
        step = 1 << (d + 1)
        right = torch.arange(step - 1, size, step, device=a.device)
        left = right - (1 << d)
        pa, pb = A[:, right], Bv[:, right]
        sa, sb = A[:, left], Bv[:, left]
        na, nb = _combine(pa, pb, sa, sb)
        A = A.index_copy(1, left, pa).index_copy(1, right, na)
        Bv = Bv.index_copy(1, left, pb).index_copy(1, right, nb)
    prev = A[:, :T] * h0[:, None] + Bv[:, :T]  # h_{t-1}
    return a * prev + b


def linear_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, method: str = "loop") -> torch.Tensor:
    """``h_t = a_t h_{t-1} + b_t`` by the named method of :data:`SCAN_METHODS` (chapter 14)."""
    if method == "loop":
        return scan_loop(a, b, h0)
    if method == "log":
        return scan_log(a, b, h0)
    if method == "blelloch":
        return scan_blelloch(a, b, h0)
    raise ValueError(f"method must be one of {SCAN_METHODS}, got {method!r}")


class MinGRU(nn.Module):
    """minGRU (Feng et al. 2024): gates from ``x_t`` only, so the states are one linear scan (chapter 14).

    ``z_t = sigmoid(W_z x_t + b_z)``, ``h~_t = W_h x_t + b_h``, ``h_t = a_t h_{t-1} +
    z_t h~_t`` with ``a_t = 1 - z_t`` in ``(0, 1)``, or with ``negative=True``
    ``a_t = 1 - 2 z_t`` in ``(-1, 1)`` (Grazzi et al. 2024's negative
    eigenvalues). ``forward(x, method="loop")`` takes ``(B, T, D)`` and returns
    ``(B, T, H)``.
    """

    def __init__(self, input_size: int, hidden_size: int, *, negative: bool = False) -> None:
        super().__init__()
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.negative = input_size, hidden_size, bool(negative)
        self.proj = nn.Linear(input_size, 2 * hidden_size)

    def forward(self, x: torch.Tensor, method: str = "loop") -> torch.Tensor:
        check_tensor("x", x, shape=(None, None, self.input_size), floating=True)
        check_finite_tensor("x", x)
        z_pre, cand = self.proj(x).chunk(2, dim=-1)
        z = torch.sigmoid(z_pre)
        a = 1 - 2 * z if self.negative else 1 - z
        if self.negative and method == "log":
            raise ValueError("method='log' needs a > 0; a negative=True MinGRU runs with 'loop' or 'blelloch'")
        return linear_scan(a, z * cand, method=method)
