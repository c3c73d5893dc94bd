"""The sLSTM and the mLSTM of xLSTM (Beck et al., 2024) written from their equations (chapter 14).

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

**mLSTM** (matrix memory, per head, no recurrent weights): with ``k``
scaled by ``1/sqrt(d)`` and scalar gates per head::

    C_t = f_t C_{t-1} + i_t k_t v_t^T,  n_t = f_t n_{t-1} + i_t k_t
    h_t = C_t^T q_t / max(|n_t^T q_t|, 1)

stored stabilised, as ``C_t exp(-m_t)`` and ``n_t exp(-m_t)``: in those terms
the code divides by ``max(|n_t^T q_t|, exp(-m_t))``, the same function.

in three forms computing the same function: :func:`mlstm_recurrent` (step by
step), :func:`mlstm_parallel` (a ``T x T`` gated, stabilised matrix, like
attention's scores) and :func:`mlstm_chunkwise` (parallel inside chunks, the
recurrence between chunks). Each follows the corresponding backend of the
``xlstm`` package (``recurrent_step_stabilized_simple``,
``parallel_stabilized_simple``, ``chunkwise_simple``), ``eps`` included; with
``eps=0`` the three are equal to rounding.

- :func:`slstm_scan`, :class:`SLSTMScratch`: the sLSTM layer (``stabilise=False``
  gives the unstabilised gates that overflow);
- :func:`mlstm_recurrent`, :func:`mlstm_parallel`, :func:`mlstm_chunkwise`,
  :class:`MLSTMScratch` (projections, gates and output gate around one of the
  three forms);
- :class:`TokenTagger`, :func:`matched_hidden`: the small models of the
  synthetic tasks (parity, associative recall), one per core, at matched
  parameter counts.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_finite_tensor, check_positive_int, check_str, check_tensor
from .attention import CausalTransformer
from .scan import MinGRU

__all__ = [
    "MLSTM_FORMS",
    "TAGGER_CORES",
    "CORE_LABELS",
    "TokenTagger",
    "matched_hidden",
    "tagger_num_params",
    "MLSTMScratch",
    "SLSTMScratch",
    "mlstm_chunkwise",
    "mlstm_parallel",
    "mlstm_recurrent",
    "slstm_scan",
]

MLSTM_FORMS = ("recurrent", "parallel", "chunkwise")
_FORGET = ("sigmoid", "exp")


def _check_heads(hidden_size: int, num_heads: int) -> int:
    check_positive_int("hidden_size", hidden_size)
    check_positive_int("num_heads", num_heads)
    if hidden_size % num_heads:
        raise ValueError(f"num_heads must divide hidden_size, got hidden_size={hidden_size} and num_heads={num_heads}")
    return hidden_size // num_heads


def _log_forget(f_pre: torch.Tensor, forget: str) -> torch.Tensor:
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
        log_f = _log_forget(f_pre, forget)
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
        d = _check_heads(hidden_size, num_heads)
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
    log_f = _log_forget(f_pre, forget)
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
    log_d = _log_gate_matrix(i_pre, _log_forget(f_pre, forget))
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
    log_f = _log_forget(f_pre, forget).reshape(B, NH, S, L)
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
        _check_heads(hidden_size, num_heads)
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


#: The cores :class:`TokenTagger` can hold (chapter 14's comparisons): five recurrent ones and a Transformer.
TAGGER_CORES = ("lstm", "slstm", "mlstm", "mingru", "mingru_neg", "transformer")

#: How the book writes each core of :data:`TAGGER_CORES` in prose and tables.
CORE_LABELS: dict[str, str] = {
    "lstm": "LSTM",
    "slstm": "sLSTM",
    "mlstm": "mLSTM",
    "mingru": "minGRU",
    "mingru_neg": "minGRU (negative eigenvalues)",
    "transformer": "Transformer",
}


class TokenTagger(nn.Module):
    """Embedding, one recurrent core of :data:`TAGGER_CORES`, and a linear read-out at every step (chapter 14).

    ``forward(tokens)`` maps ``(B, T)`` token indices to ``(B, T, num_classes)``
    scores. With ``shift=1`` the core reads the embeddings of the current and
    the previous token (as the xLSTM's blocks put a causal convolution before
    the cell): a key and its value then meet at the value's step. The mLSTM
    runs in its parallel form, minGRU as a loop (the forms are equal; the loop
    is the fastest on a CPU at these lengths). ``"transformer"`` is a
    two-layer :class:`~lstm_companion.CausalTransformer` with ``num_heads``
    heads and learned positions for sequences of at most ``max_len`` steps
    (only the Transformer has a limit, and parameters for it).
    """

    def __init__(
        self,
        core: str,
        vocab_size: int,
        num_classes: int,
        hidden_size: int,
        *,
        embed_size: int = 16,
        num_heads: int = 1,
        shift: int = 0,
        max_len: int = 512,
    ) -> None:
        super().__init__()
        if core not in TAGGER_CORES:
            raise ValueError(f"core must be one of {TAGGER_CORES}, got {core!r}")
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("num_classes", num_classes)
        check_positive_int("embed_size", embed_size)
        _check_heads(hidden_size, num_heads)
        if shift not in (0, 1):
            raise ValueError(f"shift must be 0 or 1, got {shift!r}")
        self.core_name = core
        self.shift = shift
        core_in = embed_size * (1 + shift)
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.core: nn.Module
        if core == "lstm":
            self.core = nn.LSTM(core_in, hidden_size, batch_first=True)
        elif core == "slstm":
            self.core = SLSTMScratch(core_in, hidden_size, num_heads)
        elif core == "mlstm":
            self.core = MLSTMScratch(core_in, hidden_size, num_heads)
        elif core == "transformer":
            self.core = CausalTransformer(core_in, hidden_size, num_heads, max_len=max_len)
        else:
            self.core = MinGRU(core_in, hidden_size, negative=core == "mingru_neg")
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        check_tensor("tokens", tokens, ndim=2, floating=False)
        if bool((tokens < 0).any()) or bool((tokens >= self.vocab_size).any()):
            raise ValueError(f"tokens must lie in [0, {self.vocab_size}), got values outside")
        x = self.embed(tokens)
        if self.shift:  # the previous token's embedding beside the current one (a causal convolution of width 2)
            x = torch.cat([x, F.pad(x, (0, 0, 1, 0))[:, :-1]], dim=-1)
        out = self.core(x)
        h = out[0] if isinstance(out, tuple) else out
        return self.head(h)  # type: ignore[no-any-return]


def tagger_num_params(core: str, vocab_size: int, num_classes: int, hidden_size: int, **kwargs: int) -> int:
    """Parameters of ``TokenTagger(core, vocab_size, num_classes, hidden_size, **kwargs)`` (chapter 14)."""
    model = TokenTagger(core, vocab_size, num_classes, hidden_size, **kwargs)
    return sum(p.numel() for p in model.parameters())


def matched_hidden(
    core: str, budget: int, vocab_size: int, num_classes: int, *, num_heads: int = 1, **kwargs: int
) -> int:
    """The hidden size (a multiple of ``num_heads``) whose :class:`TokenTagger` is nearest ``budget`` parameters."""
    check_positive_int("budget", budget)
    best, best_gap = num_heads, None
    h = num_heads
    while True:
        n = tagger_num_params(core, vocab_size, num_classes, h, num_heads=num_heads, **kwargs)
        gap = abs(n - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = h, gap
        if n > budget:
            return best
        h += num_heads
