"""Interpolated Kneser-Ney (chapter 11): a hand-worked example, normalisation, bad input."""

from __future__ import annotations

import math

import pytest
import torch
from bad_input import bad_input_test, case

import lstm_companion as lc

# The stream 0 1 0 1 2 1 (vocabulary of 3), bigrams, discount D = 1/2, worked by hand:
#   bigram counts: (0,1) 2, (1,0) 1, (1,2) 1, (2,1) 1
#   continuation counts N1+(. w): w=0 {1} -> 1, w=1 {0, 2} -> 2, w=2 {1} -> 1; total 4, 3 types
#   P1(w) = max(N1+(. w) - D, 0) / 4 + D * 3 / 4 / 3:  P1(0) = 1/4, P1(1) = 1/2, P1(2) = 1/4
#   P(1 | 0) = (2 - D) / 2 + D * 1 / 2 * P1(1) = 3/4 + 1/8 = 7/8;  P(0 | 0) = D / 2 * P1(0) = 1/16
#   P(0 | 1) = (1 - D) / 2 + D * 2 / 2 * P1(0) = 1/4 + 1/8 = 3/8;  P(1 | 1) = D * P1(1) = 1/4
#   P(1 | 2) = (1 - D) / 1 + D * 1 / 1 * P1(1) = 1/2 + 1/4 = 3/4
HAND = [0, 1, 0, 1, 2, 1]


@pytest.fixture
def bigram() -> lc.KneserNeyLM:
    return lc.KneserNeyLM(order=2, discount=0.5).fit(torch.tensor(HAND), 3)


@pytest.mark.parametrize(
    ("word", "context", "expected"),
    [
        (0, (), 1 / 4),
        (1, (), 1 / 2),
        (2, (), 1 / 4),
        (1, (0,), 7 / 8),
        (0, (0,), 1 / 16),
        (2, (0,), 1 / 16),
        (0, (1,), 3 / 8),
        (2, (1,), 3 / 8),
        (1, (1,), 1 / 4),
        (1, (2,), 3 / 4),
        (0, (2,), 1 / 8),
    ],
)
def test_hand_worked_probabilities(bigram, word, context, expected):
    assert bigram.prob(word, context) == pytest.approx(expected, abs=1e-12)


def test_hand_worked_perplexity(bigram):
    # the stream 0 1 2: P(1 | 0) P(2 | 1) = 7/8 * 3/8, over two predicted tokens
    assert bigram.perplexity([0, 1, 2]) == pytest.approx((7 / 8 * 3 / 8) ** -0.5, abs=1e-12)


def test_only_the_last_order_minus_one_tokens_matter(bigram):
    assert bigram.prob(1, (2, 1, 0)) == bigram.prob(1, (0,))


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_sums_to_one(order):
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 7, (300,), generator=gen)
    ids[ids == 6] = 5  # id 6 never occurs: it still gets probability
    lm = lc.KneserNeyLM(order=order, discount=0.75).fit(ids, 7)
    contexts = [(), (3,), (1, 2), (6, 6, 6), tuple(ids[10:13].tolist())]
    for ctx in contexts:
        probs = [lm.prob(w, ctx) for w in range(7)]
        assert min(probs) > 0
        assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)


def test_trigram_beats_unigram_on_repetitive_text():
    pattern = [0, 1, 2, 3, 1, 0, 2]
    ids = torch.tensor(pattern * 40)
    tri = lc.KneserNeyLM(order=3).fit(ids, 4).perplexity(torch.tensor(pattern * 3))
    uni = lc.KneserNeyLM(order=1).fit(ids, 4).perplexity(torch.tensor(pattern * 3))
    assert tri < 1.5 < uni


# ---- bad input


def fitted():
    return lc.KneserNeyLM(order=2).fit(HAND, 3)


BAD_INPUT = [
    case("kn-order-0", lambda: lc.KneserNeyLM(order=0), ValueError, r"order must be an int > 0, got 0"),
    case("kn-discount-1", lambda: lc.KneserNeyLM(discount=1.0), ValueError, r"discount must be a number >= 0 and < 1"),
    case("kn-discount-0", lambda: lc.KneserNeyLM(discount=0.0), ValueError, r"discount must be > 0"),
    case("kn-not-fitted", lambda: lc.KneserNeyLM().perplexity([0, 1]), RuntimeError, r"not fitted yet: call \.fit"),
    case(
        "kn-fit-ids-range",
        lambda: lc.KneserNeyLM().fit([0, 1, 3], 3),
        ValueError,
        r"ids must hold token ids in \[0, 3\)",
    ),
    case(
        "kn-fit-ids-float",
        lambda: lc.KneserNeyLM().fit(torch.tensor([0.0, 1.0]), 3),
        TypeError,
        r"\bids\b must be an integer tensor",
    ),
    case("kn-prob-word", lambda: fitted().prob(3, (0,)), ValueError, r"\bword\b must be a token id in \[0, 3\)"),
    case("kn-perplexity-short", lambda: fitted().perplexity([1]), ValueError, r"\bids\b must hold at least 2 tokens"),
    case("kn-order-float", lambda: lc.KneserNeyLM(order=2.0), TypeError, r"order must be an int > 0, got float"),
    case("kn-order-bool", lambda: lc.KneserNeyLM(order=True), TypeError, r"order must be an int > 0, got bool"),
    case("kn-discount-nan", lambda: lc.KneserNeyLM(discount=math.nan), ValueError, r"discount must be a finite number"),
    case("kn-discount-str", lambda: lc.KneserNeyLM(discount="0.5"), TypeError, r"discount must be a number.*str"),
    case("kn-fit-vocab_size-0", lambda: lc.KneserNeyLM().fit([0, 1], 0), ValueError, r"vocab_size must be an int > 0"),
    case(
        "kn-fit-vocab_size-float",
        lambda: lc.KneserNeyLM().fit([0, 1], 3.0),
        TypeError,
        r"vocab_size must be an int > 0",
    ),
    case(
        "kn-fit-ids-negative",
        lambda: lc.KneserNeyLM().fit([0, -1, 1], 3),
        ValueError,
        r"ids must hold token ids in \[0, 3\).*\[-1, 1\]",
    ),
    case(
        "kn-fit-ids-2d",
        lambda: lc.KneserNeyLM().fit(torch.zeros(2, 2, dtype=torch.long), 3),
        ValueError,
        r"ids must have 1 dimensions",
    ),
    case("kn-fit-ids-None", lambda: lc.KneserNeyLM().fit(None, 3), TypeError, r"ids must be a 1-D integer tensor"),
    case(
        "kn-fit-ids-empty", lambda: lc.KneserNeyLM().fit([], 3), ValueError, r"ids must hold at least 2 tokens, got 0"
    ),
    case("kn-fit-ids-str", lambda: lc.KneserNeyLM().fit("abc", 3), TypeError, r"ids must be a 1-D integer tensor.*str"),
    case("kn-fit-ids-floats", lambda: lc.KneserNeyLM().fit([0, 1.0], 3), TypeError, r"ids must hold int token ids"),
    case(
        "kn-perplexity-ids-range",
        lambda: fitted().perplexity([0, 5]),
        ValueError,
        r"ids must hold token ids in \[0, 3\).*\[0, 5\]",
    ),
    case(
        "kn-perplexity-ids-float",
        lambda: fitted().perplexity(torch.tensor([0.0, 1.0])),
        TypeError,
        r"ids must be an integer tensor",
    ),
    case(
        "kn-prob-context-range",
        lambda: fitted().prob(1, (7,)),
        ValueError,
        r"context must hold token ids in \[0, 3\).*\[7, 7\]",
    ),
    case(
        "kn-prob-context-None",
        lambda: fitted().prob(1, None),
        TypeError,
        r"context must be a 1-D integer tensor or a list of ints, got NoneType",
    ),
    case(
        "kn-prob-context-float-tensor",
        lambda: fitted().prob(1, torch.tensor([0.0])),
        TypeError,
        r"context must be an integer tensor",
    ),
    case("kn-prob-word-float", lambda: fitted().prob(1.0, (0,)), TypeError, r"word must be an int token id.*float"),
    case("kn-prob-word-negative", lambda: fitted().prob(-1, (0,)), ValueError, r"word must be a token id in \[0, 3\)"),
    case("kn-prob-not-fitted", lambda: lc.KneserNeyLM().prob(0), RuntimeError, r"not fitted yet: call \.fit"),
]

test_bad_input = bad_input_test(BAD_INPUT)
