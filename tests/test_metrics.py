"""Tests of ``lstm_companion.measure.metrics``: accuracies, errors and their arguments."""

from __future__ import annotations

import torch
from bad_input import INF, NAN, V, bad_input_test, case, last_state
from torch import nn

import lstm_companion as lc

# ---- bad input


def padded(num_outputs=2):
    torch.manual_seed(0)
    return lc.PaddedSequenceModel(nn.LSTM(1, 4), num_outputs)


def tagger(num_tags=3):
    torch.manual_seed(0)
    return lc.Tagger(nn.LSTM(V, 4), V, num_tags)


BAD_INPUT = [
    case(
        "accuracy-label-beyond-outputs",
        lambda: lc.accuracy(last_state(2), torch.zeros(3, 2, 3), torch.tensor([0, 1, 2])),
        ValueError,
        r"\by\b.*class labels in \[0, 2\) \(the model has 2 outputs\)",
    ),
    case(
        "accuracy-label-negative",
        lambda: lc.accuracy(last_state(2), torch.zeros(2, 2, 3), torch.tensor([0, -1])),
        ValueError,
        r"\by\b.*\[-1, 0\]",
    ),
    case(
        "padded_accuracy-label",
        lambda: lc.padded_accuracy(padded(2), torch.zeros(2, 3, 1), torch.tensor([3, 1]), torch.tensor([0, 5])),
        ValueError,
        r"\by\b.*class labels in \[0, 2\)",
    ),
    case(
        "tagging_accuracy-tag",
        lambda: lc.tagging_accuracy(tagger(3), torch.zeros(2, 4, dtype=torch.long), torch.full((2, 4), 3)),
        ValueError,
        r"\bY\b.*tags in \[0, 3\)",
    ),
    case(
        "mse-y-nan",
        lambda: lc.mean_squared_error(last_state(1), torch.zeros(2, 2, 3), torch.tensor([0.0, NAN])),
        ValueError,
        r"\by\b.*finite.*1 NaN",
    ),
    case(
        "rmse-pred-inf",
        lambda: lc.rmse(torch.tensor([INF]), torch.tensor([0.0])),
        ValueError,
        r"\bpred\b.*finite.*1 infinite",
    ),
    case("mae-target-None", lambda: lc.mae(torch.tensor([0.0]), None), TypeError, r"\btarget\b.*NoneType"),
]

test_bad_input = bad_input_test(BAD_INPUT)
