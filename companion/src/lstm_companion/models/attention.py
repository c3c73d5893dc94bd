"""Attention layers over a sequence of LSTM states, with masking of padding (chapter 7).

An attention layer turns ``num_queries`` query vectors and ``num_keys``
key/value pairs into one context vector per query: scores ``a(q, k_j)``,
a softmax over the keys (padded keys masked out, so they get weight exactly
0), and the weighted sum of the values. Rows are vectors, as in the book's
notation:

- :class:`AdditiveAttention` (Bahdanau et al., 2015):
  ``a(q, k) = tanh(q W_q + k W_k) w_v``.
- :class:`GeneralAttention` (Luong et al., 2015, "general"): ``a(q, k) = q W_a kᵀ``.
- :class:`DotProductAttention` (Luong et al., 2015, "dot"): ``a(q, k) = q kᵀ``,
  optionally divided by ``sqrt(d)``.

Every layer's ``forward(queries, keys, values, mask=None)`` returns
``(context, weights)``: ``context`` ``(batch_size, num_queries, value_size)``
and ``weights`` ``(batch_size, num_queries, num_keys)``, each row summing to 1.
``mask`` is boolean, ``True`` at the keys a query may attend to, of shape
``(batch_size, num_keys)`` or ``(batch_size, num_queries, num_keys)``; build
it from lengths with :func:`lengths_to_mask`.

The three share their base class :class:`Attention` (a subclass defines
``score``) and :func:`masked_softmax`; :func:`make_attention` builds one by
name (``"additive"``, ``"general"`` or ``"dot"``), as the decoders of
:mod:`lstm_companion.models.seq2seq` do. The sentence classifier's attention
pooling (:mod:`lstm_companion.models.classifier`) scores against a learned
query of its own. :func:`~lstm_companion.plot_attention`, which draws the
weights of one sentence pair as a heatmap, is in :mod:`lstm_companion.plots`.

:class:`CausalTransformer` stacks scaled dot-product self-attention with a
causal mask (Vaswani et al., 2017) into a small decoder-only Transformer:
chapter 14's baseline beside the recurrent cores.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_finite_tensor, check_positive_int, check_probability, check_same_dtype, check_tensor

__all__ = [
    "lengths_to_mask",
    "masked_softmax",
    "Attention",
    "AdditiveAttention",
    "GeneralAttention",
    "DotProductAttention",
    "make_attention",
    "CausalTransformer",
]


def lengths_to_mask(lengths: torch.Tensor, num_keys: int) -> torch.Tensor:
    """``(batch_size, num_keys)`` boolean mask, ``True`` at the first ``lengths[b]`` keys (chapter 7).

    Lengths must lie in ``[1, num_keys]``: a query needs at least one key.
    """
    check_tensor("lengths", lengths, ndim=1, floating=False)
    check_positive_int("num_keys", num_keys)
    lo, hi = int(lengths.min()), int(lengths.max())
    if lo < 1 or hi > num_keys:
        raise ValueError(f"lengths must lie in [1, {num_keys}] (num_keys), got values in [{lo}, {hi}]")
    return torch.arange(num_keys, device=lengths.device)[None, :] < lengths[:, None]  # (batch_size, num_keys)


def _check_mask(mask: object, batch_size: int, num_queries: int, num_keys: int) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a bool torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must have dtype torch.bool (True = attend), got {mask.dtype}")
    if mask.shape == (batch_size, num_keys):
        mask = mask[:, None, :]  # (batch_size, 1, num_keys)
    elif mask.shape != (batch_size, num_queries, num_keys):
        raise ValueError(
            f"mask must have shape (batch_size, num_keys) = {(batch_size, num_keys)} or "
            f"(batch_size, num_queries, num_keys) = {(batch_size, num_queries, num_keys)}, got {tuple(mask.shape)}"
        )
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("mask must leave at least one key per query (a row of all False has no softmax)")
    return mask


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax over the last axis with masked-out entries set to weight exactly 0 (chapter 7).

    ``scores`` ``(batch_size, num_queries, num_keys)``; ``mask`` as in the
    module docstring. Masked scores are replaced by ``-inf`` before the
    softmax, so ``exp`` gives exactly 0 there and the gradient does not flow
    into them.
    """
    check_tensor("scores", scores, ndim=3, floating=True)
    if mask is None:
        return torch.softmax(scores, dim=-1)
    mask = _check_mask(mask, *scores.shape)
    if mask.device != scores.device:
        raise ValueError(f"mask is on device {mask.device}, but the scores are on {scores.device}")
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)  # (batch_size, num_queries, num_keys)


class Attention(nn.Module):
    """Base class: subclasses define ``score(queries, keys)`` (chapter 7).

    ``forward`` checks shapes, applies the mask and returns ``(context, weights)``.
    """

    query_size: int
    key_size: int
    dropout: nn.Dropout

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch_size, num_queries, num_keys)``."""
        raise NotImplementedError

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_tensor("queries", queries, shape=(None, None, self.query_size), floating=True)
        check_tensor("keys", keys, shape=(queries.shape[0], None, self.key_size), floating=True)
        check_tensor("values", values, ndim=3, floating=True)
        if values.shape[:2] != keys.shape[:2]:
            raise ValueError(
                "values must have one row per key, shape (batch_size, num_keys, value_size) with "
                f"(batch_size, num_keys) = {tuple(keys.shape[:2])}, got {tuple(values.shape)}"
            )
        weight = next(self.parameters(), None)  # dot attention has none: then queries set the dtype and device
        like, like_name = (weight, "the layer's parameters") if weight is not None else (queries, "queries")
        for name, t in (("queries", queries), ("keys", keys), ("values", values)):
            check_same_dtype(name, t, like, like_name=like_name)
            if t.device != like.device:
                raise ValueError(f"{name} is on device {t.device}, but {like_name} are on {like.device}")
        scores = self.score(queries, keys)  # (batch_size, num_queries, num_keys)
        weights = masked_softmax(scores, mask)  # (batch_size, num_queries, num_keys)
        context = torch.bmm(self.dropout(weights), values)  # (batch_size, num_queries, value_size)
        return context, weights


class AdditiveAttention(Attention):
    """Additive ("concat") attention of Bahdanau et al. (2015) (chapter 7).

    ``a(q, k) = tanh(q W_q + k W_k) w_v`` with ``W_q`` ``(query_size,
    num_hiddens)``, ``W_k`` ``(key_size, num_hiddens)`` and ``w_v``
    ``(num_hiddens, 1)``, no biases, as in d2l's ``AdditiveAttention``.
    Memory grows as ``batch_size * num_queries * num_keys * num_hiddens``.
    """

    def __init__(self, query_size: int, key_size: int, num_hiddens: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.query_size = check_positive_int("query_size", query_size)
        self.key_size = check_positive_int("key_size", key_size)
        check_positive_int("num_hiddens", num_hiddens)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(check_probability("dropout", dropout, allow_one=True))

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        q = self.W_q(queries)  # (batch_size, num_queries, num_hiddens)
        k = self.W_k(keys)  # (batch_size, num_keys, num_hiddens)
        features = torch.tanh(q[:, :, None, :] + k[:, None, :, :])  # (batch_size, num_queries, num_keys, num_hiddens)
        scores: torch.Tensor = self.w_v(features).squeeze(-1)  # (batch_size, num_queries, num_keys)
        return scores


class GeneralAttention(Attention):
    """Luong et al.'s (2015) "general" score ``a(q, k) = q W_a kᵀ`` (chapter 7)."""

    def __init__(self, query_size: int, key_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.query_size = check_positive_int("query_size", query_size)
        self.key_size = check_positive_int("key_size", key_size)
        self.W_a = nn.Linear(key_size, query_size, bias=False)  # k W_aᵀ: keys mapped into query space
        self.dropout = nn.Dropout(check_probability("dropout", dropout, allow_one=True))

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.bmm(queries, self.W_a(keys).transpose(1, 2))  # (batch_size, num_queries, num_keys)


class DotProductAttention(Attention):
    """Luong et al.'s (2015) "dot" score ``a(q, k) = q kᵀ`` (÷ ``sqrt(d)`` if ``scaled``) (chapter 7)."""

    def __init__(self, size: int, *, scaled: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.query_size = self.key_size = check_positive_int("size", size)
        self.scaled = bool(scaled)
        self.dropout = nn.Dropout(check_probability("dropout", dropout, allow_one=True))

    def extra_repr(self) -> str:
        return f"size={self.query_size}, scaled={self.scaled}"

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        scores = torch.bmm(queries, keys.transpose(1, 2))  # (batch_size, num_queries, num_keys)
        return scores / math.sqrt(self.key_size) if self.scaled else scores


def make_attention(kind: str, query_size: int, key_size: int, num_hiddens: int | None = None) -> Attention:
    """``"additive"``, ``"general"`` or ``"dot"`` attention layer of the given sizes (chapter 7).

    ``num_hiddens`` is the additive score's hidden size (default ``query_size``);
    the other two kinds have none, so for them it must stay ``None``.
    """
    if num_hiddens is not None:
        check_positive_int("num_hiddens", num_hiddens)
        if kind != "additive":
            raise ValueError(f"num_hiddens is only used by kind='additive', got num_hiddens={num_hiddens} for {kind!r}")
    if kind == "additive":
        return AdditiveAttention(query_size, key_size, query_size if num_hiddens is None else num_hiddens)
    if kind == "general":
        return GeneralAttention(query_size, key_size)
    if kind == "dot":
        if query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and {key_size}")
        return DotProductAttention(query_size)
    raise ValueError(f"kind must be 'additive', 'general' or 'dot', got {kind!r}")


class CausalTransformer(nn.Module):
    """A small decoder-only Transformer: ``(B, T, input_size)`` to ``(B, T, hidden_size)``, causal (chapter 14).

    A linear map to ``hidden_size`` plus a learned position embedding (at most
    ``max_len`` steps), then ``num_layers`` pre-norm blocks of multi-head
    self-attention, masked so that step ``t`` sees steps ``1..t`` only, and a
    feed-forward layer of width ``ff_mult * hidden_size`` (PyTorch's
    ``nn.TransformerEncoderLayer``, no dropout), and a final layer norm.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_heads: int = 4,
        *,
        num_layers: int = 2,
        ff_mult: int = 2,
        max_len: int = 512,
    ) -> None:
        super().__init__()
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        check_positive_int("num_heads", num_heads)
        check_positive_int("num_layers", num_layers)
        check_positive_int("ff_mult", ff_mult)
        self.max_len = check_positive_int("max_len", max_len)
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size must be a multiple of num_heads, got {hidden_size} and {num_heads}")
        self.input_size = input_size
        self.proj = nn.Linear(input_size, hidden_size)
        self.pos = nn.Embedding(max_len, hidden_size)
        layer = nn.TransformerEncoderLayer(
            hidden_size, num_heads, ff_mult * hidden_size, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, shape=(None, None, self.input_size), floating=True)
        check_finite_tensor("x", x)
        T = x.shape[1]
        if T > self.max_len:
            raise ValueError(f"x has {T} steps, more than max_len={self.max_len}")
        h = self.proj(x) + self.pos.weight[:T]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device, dtype=h.dtype)
        return self.norm(self.blocks(h, mask=mask, is_causal=True))  # type: ignore[no-any-return]
