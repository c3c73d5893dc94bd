"""The sLSTM of xLSTM (Beck et al., 2024) written from its equations (chapter 14).

**sLSTM** (scalar memory, per unit). With pre-activations ``ĩ, f̃, z̃, õ`` =
``W x_t + R h_{t-1} + b``, where ``R`` is block-diagonal (one square block per
head: the heads mix memory only inside themselves)::

    m_t = max(log f_t + m_{t-1}, ĩ_t)         the stabiliser (a running max in log space)
    i_t = exp(ĩ_t - m_t)                        exponential input gate, stabilised
    f_t = exp(log f_t + m_{t-1} - m_t)          log f_t = logsigmoid(f̃_t) or f̃_t (exponential)
    c_t = f_t c_{t-1} + i_t tanh(z̃_t)
    n_t = f_t n_{t-1} + i_t                     the normaliser
    h_t = sigmoid(õ_t) * c_t / n_t

``m`` cancels in ``c_t / n_t``: it only keeps ``exp`` from overflowing (the same
trick as an online softmax). With no state given, ``m_0 = -inf``, so ``m_1 =
ĩ_1``, as the ``xlstm`` package's ``vanilla`` backend sets it.

- :func:`slstm_scan`, :class:`SLSTMScratch`: the sLSTM layer (``stabilise=False``
  gives the unstabilised gates that overflow);
- :func:`log_forget`: the log of the forget gate, ``logsigmoid(f̃)`` or
  ``f̃`` (exponential), which the mLSTM's forms share.

The mLSTM, the xLSTM's other cell, is in :mod:`~lstm_companion.models.mlstm`;
:class:`~lstm_companion.TokenTagger`, the small model of chapter 14's synthetic
tasks around either cell, is in :mod:`~lstm_companion.models.task_models`;
``tests/test_xlstm_reference.py`` checks both cells against the ``xlstm``
package.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_finite_tensor, check_heads, check_positive_int, check_str, check_tensor

__all__ = ["SLSTMScratch", "log_forget", "slstm_scan"]

_FORGET = ("sigmoid", "exp")


def log_forget(f_pre: torch.Tensor, forget: str) -> torch.Tensor:
    """The forget gate's log from its pre-activation: ``logsigmoid(f_pre)`` for ``"sigmoid"``, else ``f_pre`` (chapter 14)."""
    return F.logsigmoid(f_pre) if forget == "sigmoid" else f_pre


def slstm_scan(
    x_pre: torch.Tensor,
    R: torch.Tensor,
    b: torch.Tensor,
    state: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    *,
    forget: str = "sigmoid",
    stabilise: bool = True,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Run the sLSTM over time given the input projections (chapter 14).

    ``x_pre``: ``(B, T, 4H)``, the input part ``W x_t`` of the pre-activations
    in the gate order ``i, f, z, o`` (each block ``H`` wide, heads in order);
    ``R``: ``(heads, 4 d, d)`` with ``d = H / heads``, one block per head, rows in
    the gate order; ``b``: ``(4H,)``. Returns the outputs ``(B, T, H)`` and the
    final state ``(h, c, n, m)``, each ``(B, H)``. ``stabilise=False`` computes
    ``exp`` of the raw pre-activations (what the stabiliser prevents).
    """
    check_str("forget", forget)
    if forget not in _FORGET:
        raise ValueError(f"forget must be one of {_FORGET}, got {forget!r}")
    check_tensor("x_pre", x_pre, ndim=3, floating=True)
    check_tensor("R", R, ndim=3, floating=True)
    heads, rows, d = R.shape
    if rows != 4 * d:
        raise ValueError(f"R must have shape (heads, 4 d, d), got {tuple(R.shape)}")
    H = heads * d
    B, T, width = x_pre.shape
    if width != 4 * H:
        raise ValueError(f"x_pre must have 4 * hidden = {4 * H} features (R has {heads} heads of {d}), got {width}")
    check_tensor("b", b, shape=(4 * H,), floating=True)
    check_finite_tensor("x_pre", x_pre)
    if state is None:
        zeros = x_pre.new_zeros(B, H)
        h, c, n = zeros, zeros, zeros
        m = torch.full_like(zeros, -math.inf)
    else:
        if len(state) != 4:
            raise ValueError(f"state must be a tuple (h, c, n, m), got {len(state)} tensors")
        for name, s in zip("hcnm", state):
            check_tensor(f"state {name}", s, shape=(B, H), floating=True)
        h, c, n, m = state
    Rt = R.transpose(1, 2)  # (heads, d, 4d)
    outs = []
    for x_t in x_pre.unbind(1):  # unbind: the backward of T slices x_pre[:, t] would cost T^2
        rec = torch.einsum("bkd,kdg->bkg", h.reshape(B, heads, d), Rt)  # (B, heads, 4d)
        rec = rec.reshape(B, heads, 4, d).transpose(1, 2).reshape(B, 4 * H)
        i_pre, f_pre, z_pre, o_pre = (x_t + rec + b).chunk(4, dim=-1)
        log_f = log_forget(f_pre, forget)
        if stabilise:
            m_new = torch.maximum(log_f + m, i_pre)
            i_gate = torch.exp(i_pre - m_new)
            f_gate = torch.exp(log_f + m - m_new)
            m = m_new
        else:
            i_gate = torch.exp(i_pre)
            f_gate = torch.exp(log_f)
        c = f_gate * c + i_gate * torch.tanh(z_pre)
        n = f_gate * n + i_gate
        h = torch.sigmoid(o_pre) * c / n
        outs.append(h)
    return torch.stack(outs, dim=1), (h, c, n, m)


class SLSTMScratch(nn.Module):
    """One sLSTM layer: input weights ``W`` ``(4H, D)``, block-diagonal ``R`` per head, bias (chapter 14).

    ``forward(x, state=None)`` takes ``(B, T, D)`` and returns ``(B, T, H)`` and
    the state ``(h, c, n, m)``. ``forget`` is ``"sigmoid"`` (the ``xlstm``
    package's choice) or ``"exp"``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_heads: int = 1, *, forget: str = "sigmoid") -> None:
        super().__init__()
        check_positive_int("input_size", input_size)
        d = check_heads(hidden_size, num_heads)
        if forget not in _FORGET:
            raise ValueError(f"forget must be one of {_FORGET}, got {forget!r}")
        self.input_size, self.hidden_size, self.num_heads, self.forget = input_size, hidden_size, num_heads, forget
        bound = 1.0 / math.sqrt(hidden_size)
        self.W = nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-bound, bound))
        self.R = nn.Parameter(torch.empty(num_heads, 4 * d, d).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(4 * hidden_size))

    def forward(
        self,
        x: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
        *,
        stabilise: bool = True,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
        check_tensor("x", x, shape=(None, None, self.input_size), floating=True)
        check_finite_tensor("x", x)
        return slstm_scan(x @ self.W.T, self.R, self.b, state, forget=self.forget, stabilise=stabilise)
