"""The mLSTM of xLSTM (Beck et al., 2024) written from its equations, in three forms (chapter 14).

**mLSTM** (matrix memory, per head, no recurrent weights): with ``k``
scaled by ``1/sqrt(d)`` and scalar gates per head::

    C_t = f_t C_{t-1} + i_t k_t v_t^T,  n_t = f_t n_{t-1} + i_t k_t
    h_t = C_t^T q_t / max(|n_t^T q_t|, 1)

stored stabilised, as ``C_t exp(-m_t)`` and ``n_t exp(-m_t)``: in those terms
the code divides by ``max(|n_t^T q_t|, exp(-m_t))``, the same function.

Three forms compute the same function: :func:`mlstm_recurrent` (step by
step), :func:`mlstm_parallel` (a ``T x T`` gated, stabilised matrix, like
attention's scores) and :func:`mlstm_chunkwise` (parallel inside chunks, the
recurrence between chunks). Each follows the corresponding backend of the
``xlstm`` package (``recurrent_step_stabilized_simple``,
``parallel_stabilized_simple``, ``chunkwise_simple``), ``eps`` included; with
``eps=0`` the three are equal to rounding.

- :func:`mlstm_recurrent`, :func:`mlstm_parallel`, :func:`mlstm_chunkwise`
  (:data:`MLSTM_FORMS` names them), :class:`MLSTMScratch` (projections,
  gates and output gate around one of the three forms).

The sLSTM, and the forget gate's log both cells share
(:func:`~lstm_companion.log_forget`), are in
:mod:`~lstm_companion.models.slstm`; :class:`~lstm_companion.TokenTagger`,
the small model of chapter 14's synthetic tasks around either cell, is in
:mod:`~lstm_companion.models.task_models`; the linear recurrences and minGRU
are in :mod:`~lstm_companion.models.scan`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_finite_tensor, check_heads, check_positive_int, check_tensor
from .slstm import log_forget

__all__ = ["MLSTM_FORMS", "MLSTMScratch", "mlstm_chunkwise", "mlstm_parallel", "mlstm_recurrent"]

MLSTM_FORMS = ("recurrent", "parallel", "chunkwise")


def _check_qkv(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, i_pre: torch.Tensor, f_pre: torch.Tensor
) -> tuple[int, int, int, int]:
    check_tensor("q", q, ndim=4, floating=True)
    B, NH, T, D = q.shape
    check_tensor("k", k, shape=(B, NH, T, D), floating=True)
    check_tensor("v", v, shape=(B, NH, T, None), floating=True)
    check_tensor("i_pre", i_pre, shape=(B, NH, T), floating=True)
    check_tensor("f_pre", f_pre, shape=(B, NH, T), floating=True)
    for name, t in (("q", q), ("k", k), ("v", v), ("i_pre", i_pre), ("f_pre", f_pre)):
        check_finite_tensor(name, t)
    return B, NH, T, D


def mlstm_recurrent(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i_pre: torch.Tensor,
    f_pre: torch.Tensor,
    *,
    eps: float = 1e-6,
    forget: str = "sigmoid",
) -> torch.Tensor:
    """The mLSTM step by step: ``C_t`` is a ``(d, d_v)`` matrix per head (chapter 14).

    ``q, k``: ``(B, heads, T, d)``; ``v``: ``(B, heads, T, d_v)``; ``i_pre,
    f_pre``: ``(B, heads, T)``. Returns ``(B, heads, T, d_v)``. ``m_0 = 0``,
    ``C_0 = 0``, ``n_0 = 0``, as ``recurrent_step_stabilized_simple`` starts.
    """
    B, NH, T, D = _check_qkv(q, k, v, i_pre, f_pre)
    k = k / math.sqrt(D)
    C = q.new_zeros(B, NH, D, v.shape[-1])
    n = q.new_zeros(B, NH, D)
    m = q.new_zeros(B, NH)
    log_f = log_forget(f_pre, forget)
    outs = []
    steps = zip(q.unbind(2), k.unbind(2), v.unbind(2), i_pre.unbind(2), log_f.unbind(2))
    for q_t, k_t, v_t, i_t, lf_t in steps:
        m_new = torch.maximum(lf_t + m, i_t)
        f_gate = torch.exp(lf_t + m - m_new)[..., None]
        i_gate = torch.exp(i_t - m_new)[..., None]
        C = f_gate[..., None] * C + i_gate[..., None] * (k_t[..., :, None] * v_t[..., None, :])
        n = f_gate * n + i_gate * k_t
        m = m_new
        num = torch.einsum("bhd,bhde->bhe", q_t, C)
        qn = (q_t * n).sum(-1, keepdim=True)
        outs.append(num / (torch.maximum(qn.abs(), torch.exp(-m)[..., None]) + eps))
    return torch.stack(outs, dim=2)


def _log_gate_matrix(i_pre: torch.Tensor, log_f: torch.Tensor) -> torch.Tensor:
    """``log D[t, s] = sum_{r=s+1..t} log f_r + ĩ_s`` for ``s <= t``, ``-inf`` above the diagonal."""
    T = i_pre.shape[-1]
    cum = torch.cumsum(log_f, dim=-1)
    log_d = cum[..., :, None] - cum[..., None, :] + i_pre[..., None, :]
    causal = torch.ones(T, T, dtype=torch.bool, device=i_pre.device).tril()
    return log_d.masked_fill(~causal, -math.inf)


def mlstm_parallel(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i_pre: torch.Tensor,
    f_pre: torch.Tensor,
    *,
    eps: float = 1e-6,
    forget: str = "sigmoid",
) -> torch.Tensor:
    """The mLSTM as one ``T x T`` matrix per head: ``(q k^T / sqrt(d)) * D``, stabilised row by row (chapter 14).

    Same arguments and result as :func:`mlstm_recurrent`; the row maximum of
    ``log D`` plays the role of ``m_t``.
    """
    B, NH, T, D = _check_qkv(q, k, v, i_pre, f_pre)
    log_d = _log_gate_matrix(i_pre, log_forget(f_pre, forget))
    m = log_d.max(dim=-1, keepdim=True).values
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(D) * torch.exp(log_d - m)
    norm = torch.maximum(scores.sum(-1, keepdim=True).abs(), torch.exp(-m))
    return (scores / (norm + eps)) @ v


def mlstm_chunkwise(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i_pre: torch.Tensor,
    f_pre: torch.Tensor,
    *,
    chunk_size: int = 64,
    eps: float = 1e-6,
    forget: str = "sigmoid",
) -> torch.Tensor:
    """The mLSTM in chunks: the parallel form inside each chunk, the recurrence on ``C, n, m`` between chunks.

    Same arguments and result as :func:`mlstm_recurrent`; ``T`` must be a
    multiple of ``chunk_size`` (chapter 14). Between chunks the state is
    stabilised by the running maximum, inside a chunk by the row maximum.
    """
    B, NH, T, D = _check_qkv(q, k, v, i_pre, f_pre)
    check_positive_int("chunk_size", chunk_size)
    if T % chunk_size:
        raise ValueError(f"chunk_size must divide the sequence length, got T={T} and chunk_size={chunk_size}")
    L, S = chunk_size, T // chunk_size
    DV = v.shape[-1]
    log_f = log_forget(f_pre, forget).reshape(B, NH, S, L)
    ig = i_pre.reshape(B, NH, S, L)
    qc = q.reshape(B, NH, S, L, D) / math.sqrt(D)
    kc, vc = k.reshape(B, NH, S, L, D), v.reshape(B, NH, S, L, DV)
    cum = log_f.cumsum(-1)  # (B, NH, S, L): log of the forget product from the chunk start to step l
    total = cum[..., -1]  # log forget over the whole chunk
    # what each step adds to the end-of-chunk state, in log space, and its max
    log_w = ig + total[..., None] - cum
    m_loc = log_w.max(-1).values
    w = torch.exp(log_w - m_loc[..., None])
    kv = torch.einsum("bhsl,bhsld,bhsle->bhsde", w, kc, vc)
    ksum = torch.einsum("bhsl,bhsld->bhsd", w, kc)
    C = q.new_zeros(B, NH, D, DV)
    n = q.new_zeros(B, NH, D)
    m = q.new_zeros(B, NH)
    Cs, ns, ms = [], [], []
    for s in range(S):  # the state entering chunk s
        Cs.append(C)
        ns.append(n)
        ms.append(m)
        m_new = torch.maximum(total[..., s] + m, m_loc[..., s])
        a = torch.exp(total[..., s] + m - m_new)
        b = torch.exp(m_loc[..., s] - m_new)
        C = a[..., None, None] * C + b[..., None, None] * kv[:, :, s]
        n = a[..., None] * n + b[..., None] * ksum[:, :, s]
        m = m_new
    C_in, n_in, m_in = torch.stack(Cs, 2), torch.stack(ns, 2), torch.stack(ms, 2)
    causal = torch.ones(L, L, dtype=torch.bool, device=q.device).tril()
    log_d = (cum[..., :, None] - cum[..., None, :] + ig[..., None, :]).masked_fill(~causal, -math.inf)
    log_inter = m_in[..., None] + cum  # (B, NH, S, L): weight of the incoming state at step l
    stab = torch.maximum(log_d.max(-1).values, log_inter)
    e = (qc @ kc.transpose(-1, -2)) * torch.exp(log_d - stab[..., None])
    g = torch.exp(log_inter - stab)[..., None]
    inter_C = (qc * g) @ C_in
    inter_n = ((qc * g) * n_in[..., None, :]).sum(-1, keepdim=True)
    norm = torch.maximum((e.sum(-1, keepdim=True) + inter_n).abs(), torch.exp(-stab)[..., None])
    h = (e @ vc + inter_C) / (norm + eps)
    return h.reshape(B, NH, T, DV)


class MLSTMScratch(nn.Module):
    """One mLSTM layer: ``q, k, v`` projections, scalar input and forget gates per head, output gate (chapter 14).

    ``forward(x, form="parallel")`` takes ``(B, T, D)`` and returns ``(B, T, H)``:
    ``sigmoid(W_o x) * h``, ``h`` computed by the chosen form (:data:`MLSTM_FORMS`).
    """

    def __init__(self, input_size: int, hidden_size: int, num_heads: int = 1, *, chunk_size: int = 16) -> None:
        super().__init__()
        check_positive_int("input_size", input_size)
        check_heads(hidden_size, num_heads)
        check_positive_int("chunk_size", chunk_size)
        self.input_size, self.hidden_size, self.num_heads, self.chunk_size = (
            input_size,
            hidden_size,
            num_heads,
            chunk_size,
        )
        self.qkvo = nn.Linear(input_size, 4 * hidden_size)
        self.gates = nn.Linear(input_size, 2 * num_heads)
        with torch.no_grad():  # forget gates open at the start, as in the xlstm package's init (3 to 6)
            self.gates.bias[num_heads:] = torch.linspace(3.0, 6.0, num_heads)

    def forward(self, x: torch.Tensor, form: str = "parallel") -> torch.Tensor:
        check_tensor("x", x, shape=(None, None, self.input_size), floating=True)
        check_finite_tensor("x", x)
        if form not in MLSTM_FORMS:
            raise ValueError(f"form must be one of {MLSTM_FORMS}, got {form!r}")
        B, T, _ = x.shape
        NH = self.num_heads
        q, k, v, o = self.qkvo(x).chunk(4, dim=-1)
        qh, kh, vh = (t.reshape(B, T, NH, -1).transpose(1, 2) for t in (q, k, v))
        i_pre, f_pre = self.gates(x).transpose(1, 2).chunk(2, dim=1)
        if form == "recurrent":
            h = mlstm_recurrent(qh, kh, vh, i_pre, f_pre)
        elif form == "parallel":
            h = mlstm_parallel(qh, kh, vh, i_pre, f_pre)
        else:
            pad = (-T) % self.chunk_size
            if pad:  # padded steps come after the last real one: causal, so they change nothing before it
                qh, kh, vh = (F.pad(t, (0, 0, 0, pad)) for t in (qh, kh, vh))
                i_pre = F.pad(i_pre, (0, pad))
                f_pre = F.pad(f_pre, (0, pad))
            h = mlstm_chunkwise(qh, kh, vh, i_pre, f_pre, chunk_size=self.chunk_size)[:, :, :T]
        return torch.sigmoid(o) * h.transpose(1, 2).reshape(B, T, -1)
