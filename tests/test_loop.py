"""Tests of ``lstm_companion.training.loop``: the arguments of fit, FitConfig and clip_gradients."""

from __future__ import annotations

import torch
from bad_input import bad_input_test, case
from torch import nn

import lstm_companion as lc

# ---- bad input


def with_grad():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    return [p]


BAD_INPUT = [
    case("clip-max_norm-0", lambda: lc.clip_gradients(with_grad(), 0.0), ValueError, r"\bmax_norm\b"),
]

test_bad_input = bad_input_test(BAD_INPUT)
