"""Attention layers (chapter 7): masking, the score formulas, agreement with d2l, bad input."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
from bad_input import NAN, bad_input_test, case

import lstm_companion as lc
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


def test_plot_attention() -> None:
    w = torch.softmax(torch.randn(2, 3), dim=-1)
    ax = plot_attention(w, ["a", "b", "<eos>"], ["x", "y"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "<eos>"]
    with pytest.raises(ValueError, match=r"weights must have shape \(len\(tgt_words\), len\(src_words\)\) = \(2, 2\)"):
        plot_attention(w, ["a", "b"], ["x", "y"])


# ---- bad input


def attention(kind="additive", size=4):
    torch.manual_seed(0)
    return lc.make_attention(kind, size, size)


def qkv(dtype=torch.float32, B=2, nq=1, nk=3, size=4):
    return torch.zeros(B, nq, size, dtype=dtype), torch.zeros(B, nk, size), torch.zeros(B, nk, size)


def with_inputs(call):
    """A callable that calls ``call(layer, q, k, v, lengths)`` on an additive layer and the inputs of ``_inputs()``."""
    return lambda: call(AdditiveAttention(6, 6, 5), *_inputs())


BAD_INPUT = [
    case(
        "attention-keys-float64",
        lambda: attention()(*qkv()[:1], torch.zeros(2, 3, 4, dtype=torch.float64), torch.zeros(2, 3, 4)),
        TypeError,
        r"\bkeys\b.*same dtype as the layer's parameters \(torch\.float32\)",
    ),
    case(
        "attention-dot-queries-float64",
        lambda: attention("dot")(*qkv(dtype=torch.float64)),
        TypeError,
        r"\bkeys\b.*same dtype as queries \(torch\.float64\)",
    ),
    case(
        "attention-queries-size",
        lambda: attention()(torch.zeros(2, 1, 5), *qkv()[1:]),
        ValueError,
        r"\bqueries\b must have shape \(\*, \*, 4\)",
    ),
    case(
        "make_attention-num_hiddens-0",
        lambda: lc.make_attention("additive", 4, 4, 0),
        ValueError,
        r"\bnum_hiddens\b.*0",
    ),
    case(
        "make_attention-general-num_hiddens",
        lambda: lc.make_attention("general", 4, 4, 8),
        ValueError,
        r"\bnum_hiddens\b is only used by kind='additive'",
    ),
    case("make_attention-kind", lambda: lc.make_attention("cosine", 4, 4), ValueError, r"\bkind\b.*'cosine'"),
    case(
        "masked_softmax-mask-float",
        lambda: lc.masked_softmax(torch.zeros(1, 1, 3), torch.ones(1, 3)),
        TypeError,
        r"\bmask\b.*torch\.bool",
    ),
    case(
        "masked_softmax-empty-row",
        lambda: lc.masked_softmax(torch.zeros(1, 1, 3), torch.zeros(1, 3, dtype=torch.bool)),
        ValueError,
        r"\bmask\b.*at least one key",
    ),
    case("attention-dropout-1.5", lambda: lc.AdditiveAttention(4, 4, 4, dropout=1.5), ValueError, r"\bdropout\b.*1\.5"),
    case("attention-dropout-nan", lambda: lc.DotProductAttention(4, dropout=NAN), ValueError, r"\bdropout\b.*nan"),
    case(
        "lengths_to_mask-0", lambda: lc.lengths_to_mask(torch.tensor([0, 2]), 4), ValueError, r"\blengths\b.*\[1, 4\]"
    ),
    case(
        "attention-values-device",
        lambda: attention()(*qkv()[:2], torch.zeros(2, 3, 4, device="meta")),
        ValueError,
        r"\bvalues\b is on device meta, but the layer's parameters are on cpu",
    ),
    case(
        "additive-mask-shape",
        with_inputs(lambda layer, q, k, v, n: layer(q, k, v, torch.ones(3, 6, dtype=torch.bool))),
        ValueError,
        r"mask must have shape \(batch_size, num_keys\) = \(3, 7\)",
    ),
    case(
        "additive-mask-float",
        with_inputs(lambda layer, q, k, v, n: layer(q, k, v, torch.ones(3, 7))),
        TypeError,
        r"mask must have dtype torch\.bool",
    ),
    case(
        "additive-mask-empty-row",
        with_inputs(lambda layer, q, k, v, n: layer(q, k, v, torch.zeros(3, 7, dtype=torch.bool))),
        ValueError,
        r"mask.*at least one key per query",
    ),
    case(
        "additive-values-rows",
        with_inputs(lambda layer, q, k, v, n: layer(q, k, v[:, :5], lengths_to_mask(n, 7))),
        ValueError,
        r"values must have one row per key",
    ),
    case(
        "additive-keys-batch",
        with_inputs(lambda layer, q, k, v, n: layer(q, k[:2], v[:2])),
        ValueError,
        r"keys must have shape \(3, \*, 6\)",
    ),
    case(
        "additive-queries-size",
        with_inputs(lambda layer, q, k, v, n: layer(q[..., :4], k, v)),
        ValueError,
        r"queries must have shape \(\*, \*, 6\)",
    ),
    case(
        "lengths_to_mask-empty-sentence",
        lambda: lengths_to_mask(torch.tensor([3, 0, 2]), 7),
        ValueError,
        r"lengths must lie in \[1, 7\]",
    ),
    case(
        "lengths_to_mask-too-long",
        lambda: lengths_to_mask(torch.tensor([8, 1, 2]), 7),
        ValueError,
        r"lengths must lie in \[1, 7\]",
    ),
    case(
        "lengths_to_mask-float",
        lambda: lengths_to_mask(torch.tensor([1.0, 2.0]), 7),
        TypeError,
        r"lengths.*integer tensor",
    ),
    case(
        "additive-dropout-negative",
        lambda: AdditiveAttention(6, 6, 5, dropout=-0.1),
        ValueError,
        r"dropout must be a number >= 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
