"""Attention layers (chapter 7): masking, the score formulas, agreement with d2l, bad input."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch

from lstm_companion import (
    AdditiveAttention,
    DotProductAttention,
    GeneralAttention,
    lengths_to_mask,
    make_attention,
    masked_softmax,
    plot_attention,
)

matplotlib.use("Agg")

LAYERS = {
    "additive": lambda: AdditiveAttention(6, 6, 5),
    "general": lambda: GeneralAttention(6, 6),
    "dot": lambda: DotProductAttention(6, scaled=True),
}


def _inputs(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(3, 4, 6, generator=gen, dtype=dtype)  # (batch_size, num_queries, query_size)
    k = torch.randn(3, 7, 6, generator=gen, dtype=dtype)  # (batch_size, num_keys, key_size)
    v = torch.randn(3, 7, 2, generator=gen, dtype=dtype)  # (batch_size, num_keys, value_size)
    lengths = torch.tensor([7, 3, 1])
    return q, k, v, lengths


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_padded_keys_get_exactly_zero_weight(kind: str) -> None:
    torch.manual_seed(0)
    layer = LAYERS[kind]()
    q, k, v, lengths = _inputs()
    mask = lengths_to_mask(lengths, 7)
    context, weights = layer(q, k, v, mask)
    assert context.shape == (3, 4, 2) and weights.shape == (3, 4, 7)
    for b, n in enumerate(lengths.tolist()):
        assert torch.all(weights[b, :, n:] == 0)  # exactly zero, not just small
        assert torch.all(weights[b, :, :n] > 0)
    assert torch.allclose(weights.sum(-1), torch.ones(3, 4))
    assert torch.equal(weights[2, :, 0], torch.ones(4))  # one valid key takes all the weight
    # what sits in the padding cannot change the result
    k2, v2 = k.clone(), v.clone()
    k2[1, 3:], v2[1, 3:] = 1e3, -1e3
    context2, weights2 = layer(q, k2, v2, mask)
    assert torch.equal(weights2, weights) and torch.equal(context2, context)


def test_scores_follow_their_formulas() -> None:
    torch.manual_seed(0)
    q, k, v, _ = _inputs()
    add = AdditiveAttention(6, 6, 5)
    b, i, j = 1, 2, 4
    manual = torch.tanh(q[b, i] @ add.W_q.weight.T + k[b, j] @ add.W_k.weight.T) @ add.w_v.weight[0]
    assert torch.allclose(add.score(q, k)[b, i, j], manual, atol=1e-6)
    gen = GeneralAttention(6, 6)
    assert torch.allclose(gen.score(q, k)[b, i, j], q[b, i] @ gen.W_a.weight @ k[b, j], atol=1e-5)
    with torch.no_grad():
        gen.W_a.weight.copy_(torch.eye(6))
    assert torch.allclose(gen.score(q, k), DotProductAttention(6).score(q, k), atol=1e-6)
    scaled = DotProductAttention(6, scaled=True).score(q, k)
    assert torch.allclose(scaled * math.sqrt(6), DotProductAttention(6).score(q, k), atol=1e-5)
    # without a mask the weights are a plain softmax of the scores
    _, w = add(q, k, v)
    assert torch.allclose(w, torch.softmax(add.score(q, k), dim=-1))


def test_per_query_mask_and_masked_softmax() -> None:
    scores = torch.zeros(1, 2, 3)
    mask = torch.tensor([[[True, False, True], [False, True, False]]])  # (batch_size, num_queries, num_keys)
    w = masked_softmax(scores, mask)
    assert torch.equal(w, torch.tensor([[[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]]]))


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_gradcheck_float64(kind: str) -> None:
    torch.manual_seed(0)
    layer = LAYERS[kind]().double()
    q, k, v, lengths = _inputs(torch.float64)
    mask = lengths_to_mask(lengths, 7)
    q, k, v = (x.requires_grad_() for x in (q, k, v))
    assert torch.autograd.gradcheck(lambda q, k, v: layer(q, k, v, mask)[0], (q, k, v))


def test_padded_positions_get_no_gradient() -> None:
    torch.manual_seed(0)
    layer = AdditiveAttention(6, 6, 5)
    q, k, v, lengths = _inputs()
    k.requires_grad_()
    v.requires_grad_()
    layer(q, k, v, lengths_to_mask(lengths, 7))[0].sum().backward()
    assert torch.all(k.grad[1, 3:] == 0) and torch.all(v.grad[1, 3:] == 0)


def test_additive_attention_equals_d2ls_with_the_same_weights() -> None:
    d2l = pytest.importorskip("d2l.torch", reason="d2l is part of the book's environment, not the companion's")
    torch.manual_seed(0)
    q, k, v, lengths = _inputs()
    ours = AdditiveAttention(6, 6, 5)
    theirs = d2l.AdditiveAttention(num_hiddens=5, dropout=0.0)
    theirs(q, k, v, lengths)  # d2l's layers are lazy: one call creates their weights
    with torch.no_grad():
        for name in ("W_q", "W_k", "w_v"):
            getattr(theirs, name).weight.copy_(getattr(ours, name).weight)
    theirs.eval()
    expected = theirs(q, k, v, lengths)
    context, weights = ours(q, k, v, lengths_to_mask(lengths, 7))
    assert torch.allclose(context, expected, atol=1e-6)
    assert torch.allclose(weights, theirs.attention_weights, atol=1e-7)


def test_make_attention() -> None:
    assert isinstance(make_attention("additive", 4, 4), AdditiveAttention)
    assert isinstance(make_attention("general", 4, 3), GeneralAttention)
    assert isinstance(make_attention("dot", 4, 4), DotProductAttention)
    with pytest.raises(ValueError, match="query_size == key_size"):
        make_attention("dot", 4, 3)
    with pytest.raises(ValueError, match="kind must be"):
        make_attention("cosine", 4, 4)


def test_bad_input() -> None:
    layer = AdditiveAttention(6, 6, 5)
    q, k, v, lengths = _inputs()
    with pytest.raises(ValueError, match=r"mask must have shape \(batch_size, num_keys\) = \(3, 7\)"):
        layer(q, k, v, torch.ones(3, 6, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must have dtype torch.bool"):
        layer(q, k, v, torch.ones(3, 7))
    with pytest.raises(ValueError, match="at least one key per query"):
        layer(q, k, v, torch.zeros(3, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match="values must have one row per key"):
        layer(q, k, v[:, :5], lengths_to_mask(lengths, 7))
    with pytest.raises(ValueError, match=r"keys must have shape \(3, \*, 6\)"):
        layer(q, k[:2], v[:2])
    with pytest.raises(ValueError, match=r"queries must have shape \(\*, \*, 6\)"):
        layer(q[..., :4], k, v)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 7\]"):
        lengths_to_mask(torch.tensor([3, 0, 2]), 7)  # an empty sentence has no key to attend to
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 7\]"):
        lengths_to_mask(torch.tensor([8, 1, 2]), 7)
    with pytest.raises(TypeError, match="integer tensor"):
        lengths_to_mask(torch.tensor([1.0, 2.0]), 7)
    with pytest.raises(ValueError, match="dropout must be a number >= 0"):
        AdditiveAttention(6, 6, 5, dropout=-0.1)


def test_plot_attention() -> None:
    w = torch.softmax(torch.randn(2, 3), dim=-1)
    ax = plot_attention(w, ["a", "b", "<eos>"], ["x", "y"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "<eos>"]
    with pytest.raises(ValueError, match=r"weights must have shape \(len\(tgt_words\), len\(src_words\)\) = \(2, 2\)"):
        plot_attention(w, ["a", "b"], ["x", "y"])
