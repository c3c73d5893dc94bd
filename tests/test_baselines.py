"""Tests of ``lstm_companion.measure.baselines``: uniform and unigram perplexity, logistic regression, autoregression."""

from __future__ import annotations

import torch
from bad_input import CORPUS, INF, NAN, V, bad_input_test, case

import lstm_companion as lc

# ---- bad input


BAD_INPUT = [
    case("uniform-vocab_size", lambda: lc.uniform_perplexity(0), ValueError, r"\bvocab_size\b"),
    case("unigram-2d-train", lambda: lc.unigram_perplexity(CORPUS.reshape(2, -1), CORPUS, V), ValueError, r"\btrain\b"),
    case("unigram-float-val", lambda: lc.unigram_perplexity(CORPUS, CORPUS.float(), V), TypeError, r"\bval\b"),
    case(
        "unigram-val-out-of-range",
        lambda: lc.unigram_perplexity(CORPUS, torch.tensor([0, 7]), V),
        ValueError,
        r"\bval\b.*7",
    ),
    case(
        "unigram-train-out-of-range",
        lambda: lc.unigram_perplexity(torch.tensor([0, 7]), CORPUS, V),
        ValueError,
        r"\btrain\b.*7",
    ),
    case(
        "unigram-alpha-negative",
        lambda: lc.unigram_perplexity(CORPUS, CORPUS, V, alpha=-1.0),
        ValueError,
        r"\balpha\b.*-1",
    ),
    case(
        "unigram-alpha-inf", lambda: lc.unigram_perplexity(CORPUS, CORPUS, V, alpha=INF), ValueError, r"\balpha\b.*inf"
    ),
    case(
        "logistic-C-inf",
        lambda: lc.logistic_regression_accuracy(
            torch.zeros(4, 2), torch.arange(4) % 2, torch.zeros(4, 2), torch.arange(4) % 2, C=INF
        ),
        ValueError,
        r"\bC\b.*inf",
    ),
    case(
        "fit_autoregression-y-nan",
        lambda: lc.fit_autoregression(torch.zeros(5, 2), torch.tensor([0.0, 1.0, NAN, 0.0, 1.0])),
        ValueError,
        r"\by\b.*finite",
    ),
    case(
        "predict_autoregression-coef-inf",
        lambda: lc.predict_autoregression(torch.tensor([1.0, INF]), torch.zeros(3, 1)),
        ValueError,
        r"\bcoef\b.*finite",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
