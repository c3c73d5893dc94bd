"""Chapter 14: the linear recurrence three ways (models/scan.py) and minGRU."""

from __future__ import annotations

import math

import pytest
import torch
from bad_input import bad_input_test, case

import lstm_companion as lc

D64 = torch.float64


@pytest.mark.parametrize("T", [1, 2, 3, 8, 13, 64])
def test_three_scans_equal(T):
    g = torch.Generator().manual_seed(T)
    a = 0.05 + 0.9 * torch.rand(2, T, 3, generator=g, dtype=D64)
    b = torch.randn(2, T, 3, generator=g, dtype=D64)
    h0 = torch.randn(2, 3, generator=g, dtype=D64)
    ref = lc.scan_loop(a, b, h0)
    torch.testing.assert_close(lc.scan_log(a, b, h0), ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(lc.scan_blelloch(a, b, h0), ref, rtol=1e-12, atol=1e-12)


def test_blelloch_negative_a():
    g = torch.Generator().manual_seed(0)
    a = 2 * torch.rand(1, 9, 2, generator=g, dtype=D64) - 1
    b = torch.randn(1, 9, 2, generator=g, dtype=D64)
    torch.testing.assert_close(lc.scan_blelloch(a, b), lc.scan_loop(a, b))


@pytest.mark.parametrize("method", ["loop", "log", "blelloch"])
def test_scan_gradcheck(method):
    g = torch.Generator().manual_seed(1)
    a = (0.1 + 0.8 * torch.rand(1, 5, 2, generator=g, dtype=D64)).requires_grad_()
    b = torch.randn(1, 5, 2, generator=g, dtype=D64).requires_grad_()
    h0 = torch.randn(1, 2, generator=g, dtype=D64).requires_grad_()
    assert torch.autograd.gradcheck(lambda *t: lc.linear_scan(*t, method=method), (a, b, h0))


def test_mingru_methods_equal_and_gradients():
    torch.manual_seed(0)
    model = lc.MinGRU(3, 5).double()
    x = torch.randn(2, 11, 3, dtype=D64)
    outs, grads = [], []
    for m in lc.SCAN_METHODS:
        model.zero_grad()
        y = model(x, method=m)
        y.square().sum().backward()
        outs.append(y.detach())
        grads.append([p.grad.clone() for p in model.parameters()])
    for o, gs in zip(outs[1:], grads[1:]):
        torch.testing.assert_close(o, outs[0])
        for a, b in zip(gs, grads[0]):
            torch.testing.assert_close(a, b)
    neg = lc.MinGRU(3, 5, negative=True).double()
    torch.testing.assert_close(neg(x, method="blelloch"), neg(x))
    xs = torch.randn(1, 4, 3, dtype=D64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: model(t, method="log"), (xs,))


# ---- bad input

BAD_INPUT = [
    case(
        "scan-scan_loop-b",
        lambda: lc.scan_loop(torch.rand(1, 4, 2), torch.rand(1, 3, 2)),
        ValueError,
        r"b must have shape",
    ),
    case(
        "scan-scan_blelloch-a",
        lambda: lc.scan_blelloch(torch.full((1, 2, 2), math.nan), torch.rand(1, 2, 2)),
        ValueError,
        r"a must be finite",
    ),
    case(
        "scan-scan_log-a", lambda: lc.scan_log(-torch.rand(1, 4, 2), torch.rand(1, 4, 2)), ValueError, r"a must be > 0"
    ),
    case(
        "scan-scan_loop-h0",
        lambda: lc.scan_loop(torch.rand(1, 4, 2), torch.rand(1, 4, 2), torch.zeros(2, 2)),
        ValueError,
        r"h0 must have shape",
    ),
    case(
        "scan-linear_scan-method",
        lambda: lc.linear_scan(torch.rand(1, 4, 2), torch.rand(1, 4, 2), method="fft"),
        ValueError,
        r"method must be one of",
    ),
    case(
        "scan-MinGRU-method_log",
        lambda: lc.MinGRU(2, 2, negative=True)(torch.rand(1, 4, 2), method="log"),
        ValueError,
        r"method='log' needs a > 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
