"""Tests of ``lstm_companion.diagnostics`` (chapter 2): gradient norms per step and decay rates."""

from __future__ import annotations

import math

import pytest
import torch
from bad_input import INF, NAN, bad_input_test, case
from torch.nn import functional as F

import lstm_companion as lc


def _rnn(d=3, h=5, seed=0):
    torch.manual_seed(seed)
    return lc.RNNScratch(d, h, dtype=torch.float64)


def _direct_norms(rnn, X, H0, loss_fn):
    """||dL/dH_t|| with retain_grad and backward, the plain way."""
    H, states = H0, []
    for X_t in X:
        H = rnn.step(X_t, H)
        H.retain_grad()
        states.append(H)
    loss_fn(H).backward()
    return torch.stack([s.grad.norm() for s in states])


# ------------------------------------------------------------------ scaled_orthogonal


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.7])
def test_scaled_orthogonal_has_every_singular_value_rho(rho):
    W = lc.scaled_orthogonal(8, rho, seed=3, dtype=torch.float64)
    assert W.shape == (8, 8) and W.dtype == torch.float64
    torch.testing.assert_close(W.T @ W, rho**2 * torch.eye(8, dtype=torch.float64), atol=1e-12, rtol=0)
    assert lc.spectral_radius(W) == pytest.approx(rho, rel=1e-10)
    assert lc.largest_singular_value(W) == pytest.approx(rho, rel=1e-10)


def test_scaled_orthogonal_is_seeded():
    a = lc.scaled_orthogonal(6, 1.0, seed=0)
    b = lc.scaled_orthogonal(6, 1.0, seed=0)
    c = lc.scaled_orthogonal(6, 1.0, seed=1)
    assert a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_spectral_radius_and_singular_value_differ_for_non_normal_matrix():
    W = torch.tensor([[0.5, 10.0], [0.0, 0.5]])
    assert lc.spectral_radius(W) == pytest.approx(0.5)
    assert lc.largest_singular_value(W) > 10


# ------------------------------------------------------------------ state_grad_norms


def test_state_grad_norms_matches_direct_autograd_default_loss():
    rnn = _rnn()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(7, 4, 3, generator=g, dtype=torch.float64)  # (num_steps, batch_size, num_inputs)
    H0 = torch.randn(4, 5, generator=g, dtype=torch.float64)
    norms = lc.state_grad_norms(rnn.step, X, H0)
    assert norms.shape == (7,)
    expected = _direct_norms(_rnn(), X, H0, lambda H: H.sum())
    torch.testing.assert_close(norms, expected, rtol=1e-12, atol=0)


def test_state_grad_norms_matches_direct_autograd_custom_loss():
    rnn = _rnn(seed=2)
    g = torch.Generator().manual_seed(2)
    X = torch.randn(5, 6, 3, generator=g, dtype=torch.float64)
    H0 = torch.zeros(6, 5, dtype=torch.float64)
    W_hq = torch.randn(5, 2, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    loss_fn = lambda H: F.cross_entropy(H @ W_hq, y)
    norms = lc.state_grad_norms(rnn.step, X, H0, loss_fn)
    expected = _direct_norms(_rnn(seed=2), X, H0, loss_fn)
    torch.testing.assert_close(norms, expected, rtol=1e-12, atol=0)


def test_state_grad_norms_leaves_parameter_grads_alone():
    rnn = _rnn()
    X = torch.randn(4, 2, 3, dtype=torch.float64)
    lc.state_grad_norms(rnn.step, X, rnn.begin_state(2))
    assert all(p.grad is None for p in rnn.parameters())


def test_state_grad_norms_under_no_grad_still_works():
    rnn = _rnn()
    X = torch.randn(4, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        norms = lc.state_grad_norms(rnn.step, X, rnn.begin_state(2))
    assert torch.isfinite(norms).all() and (norms > 0).all()


@pytest.mark.parametrize("rho", [0.8, 1.0, 1.25])
def test_linear_regime_is_exactly_geometric(rho):
    # zero inputs and bias keep H_t = 0, where tanh' = 1: each step back scales by exactly rho
    num_steps, h = 12, 6
    rnn = lc.RNNScratch(2, h, dtype=torch.float64)
    with torch.no_grad():
        rnn.W_hh.copy_(lc.scaled_orthogonal(h, rho, seed=0, dtype=torch.float64))
        rnn.b_h.zero_()
    X = torch.zeros(num_steps, 3, 2, dtype=torch.float64)
    norms = lc.state_grad_norms(rnn.step, X, rnn.begin_state(3))
    t = torch.arange(1, num_steps + 1, dtype=torch.float64)
    torch.testing.assert_close(norms, norms[-1] * rho ** (num_steps - t), rtol=1e-12, atol=0)
    assert lc.geometric_rate(norms) == pytest.approx(rho, rel=1e-12)


# ------------------------------------------------------------------ geometric_rate


@pytest.mark.parametrize("r", [0.5, 1.0, 1.3])
def test_geometric_rate_recovers_an_exact_geometric_sequence(r):
    T = 20
    t = torch.arange(1, T + 1, dtype=torch.float64)
    norms = 3.7 * r ** (T - t)
    assert lc.geometric_rate(norms) == pytest.approx(r, rel=1e-12)
    assert lc.geometric_rate(norms.float()) == pytest.approx(r, rel=1e-5)


def test_geometric_rate_is_a_least_squares_fit():
    # log-norms 0, 1, 0 against steps back 2, 1, 0: slope 0, so the rate is 1
    norms = torch.tensor([1.0, math.e, 1.0])
    assert lc.geometric_rate(norms) == pytest.approx(1.0)


# ------------------------------------------------------------------ bad input

X_OK = torch.zeros(3, 2, 4)
H_OK = torch.zeros(2, 5)


def _step(X_t, H):
    return torch.tanh(H + X_t.sum(1, keepdim=True))


# ---- bad input


BAD_INPUT = [
    case(
        "scaled_orthogonal-inf",
        lambda: lc.scaled_orthogonal(4, INF),
        ValueError,
        r"\bspectral_radius\b.*inf",
    ),
    case("scaled_orthogonal-seed-float", lambda: lc.scaled_orthogonal(4, 1.0, seed=0.5), TypeError, r"\bseed\b.*float"),
    case(
        "spectral_radius-nan", lambda: lc.spectral_radius(torch.full((2, 2), NAN)), ValueError, r"\bW\b.*finite.*4 NaN"
    ),
    case(
        "singular_value-inf", lambda: lc.largest_singular_value(torch.full((2, 2), INF)), ValueError, r"\bW\b.*finite"
    ),
    case(
        "geometric_rate-zero",
        lambda: lc.geometric_rate(torch.tensor([1.0, 0.0])),
        ValueError,
        r"\bnorms\b.*finite and > 0",
    ),
    case(
        "geometric_rate-norms",
        lambda: lc.geometric_rate(torch.ones(2, 3)),
        ValueError,
        r"\bnorms must have 1 dimensions, got 2 with",
    ),
    case(
        "geometric_rate-norms-2",
        lambda: lc.geometric_rate(torch.ones(4, dtype=torch.long)),
        TypeError,
        r"\bnorms must be a floating\-point tensor, got",
    ),
    case(
        "geometric_rate-norms-3",
        lambda: lc.geometric_rate(torch.tensor([1.0, 0.0, 2.0])),
        ValueError,
        r"\bnorms must be finite and > 0 to take",
    ),
    case(
        "geometric_rate-norms-4",
        lambda: lc.geometric_rate(torch.tensor([1.0])),
        ValueError,
        r"\bnorms must hold at least 2 values to fit a",
    ),
    case(
        "geometric_rate-norms-5",
        lambda: lc.geometric_rate([1.0, 0.5]),
        TypeError,
        r"\bnorms must be a torch\.Tensor, got list",
    ),
    case(
        "state_grad_norms-X",
        lambda: lc.state_grad_norms(_step, torch.zeros(3, 4), H_OK),
        ValueError,
        r"\bX must have 3 dimensions, got 2 with shape",
    ),
    case(
        "state_grad_norms-X-2",
        lambda: lc.state_grad_norms(_step, X_OK.long(), H_OK),
        TypeError,
        r"\bX must be a floating\-point tensor, got dtype",
    ),
    case(
        "state_grad_norms-H0",
        lambda: lc.state_grad_norms(_step, X_OK, torch.zeros(3, 5)),
        ValueError,
        r"\bH0 must have batch_size=2 rows like X of",
    ),
    case(
        "state_grad_norms-step",
        lambda: lc.state_grad_norms("step", X_OK, H_OK),
        TypeError,
        r"\bstep must be callable as step\(X_t, H\), got",
    ),
    case(
        "state_grad_norms-loss_fn",
        lambda: lc.state_grad_norms(_step, X_OK, H_OK, loss_fn=3),
        TypeError,
        r"\bloss_fn must be callable as loss_fn\(H_T\) or",
    ),
    case(
        "state_grad_norms-loss_fn-2",
        lambda: lc.state_grad_norms(_step, X_OK, H_OK, loss_fn=lambda H: H),
        ValueError,
        r"\bloss_fn must return a scalar tensor, got \(2,",
    ),
    case(
        "state_grad_norms-step-2",
        lambda: lc.state_grad_norms(lambda X_t, H: H[:1], X_OK, H_OK),
        ValueError,
        r"\bstep must return a state of shape \(2, 5\)",
    ),
    case(
        "scaled_orthogonal-num_hiddens",
        lambda: lc.scaled_orthogonal(0, 1.0),
        ValueError,
        r"\bnum_hiddens must be an int > 0, got 0",
    ),
    case(
        "scaled_orthogonal-num_hiddens-2",
        lambda: lc.scaled_orthogonal(4.0, 1.0),
        TypeError,
        r"\bnum_hiddens must be an int > 0, got float",
    ),
    case(
        "scaled_orthogonal-spectral_radius",
        lambda: lc.scaled_orthogonal(4, -1.0),
        ValueError,
        r"\bspectral_radius must be a number > 0, got",
    ),
    case(
        "scaled_orthogonal-dtype",
        lambda: lc.scaled_orthogonal(4, 1.0, dtype=torch.long),
        TypeError,
        r"\bdtype must be a floating\-point torch\.dtype,",
    ),
    case(
        "spectral_radius-W",
        lambda: lc.spectral_radius(torch.zeros(2, 3)),
        ValueError,
        r"\bW must be square, got shape \(2, 3\)",
    ),
    case(
        "spectral_radius-W-2",
        lambda: lc.spectral_radius(torch.zeros(3)),
        ValueError,
        r"\bW must have 2 dimensions, got 1 with shape",
    ),
    case(
        "largest_singular_value-W",
        lambda: lc.largest_singular_value(torch.zeros(2, 2, dtype=torch.long)),
        TypeError,
        r"\bW must be a floating\-point tensor, got dtype",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
