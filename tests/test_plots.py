"""Tests of ``lstm_companion.plots``: the chapters' figures refuse bad data."""

from __future__ import annotations

import torch
from bad_input import INF, bad_input_test, case

import lstm_companion as lc

# ---- bad input


BAD_INPUT = [
    case("plot_perplexities-inf", lambda: lc.plot_perplexities({"rnn": INF}), ValueError, r"values\['rnn'\].*inf"),
    case(
        "plot_attention-words-None",
        lambda: lc.plot_attention(torch.zeros(1, 1), None, ["a"]),
        TypeError,
        r"\bsrc_words\b.*None",
    ),
    case(
        "plot_accuracy_vs_distance-chance",
        lambda: lc.plot_accuracy_vs_distance([1], [[0.5]], chance=2.0),
        ValueError,
        r"\bchance\b.*2\.0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
