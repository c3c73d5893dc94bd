"""Tests of ``lstm_companion.gru``: the scratch GRU equals ``nn.GRU`` (chapter 8)."""

from __future__ import annotations

import pytest
import torch
from bad_input import X3, bad_input_test, case
from torch import nn

import lstm_companion as lc
from lstm_companion import (
    GRU_BLOCKS,
    RNNLM,
    GRUCellScratch,
    GRUScratch,
    LastStateModel,
    gru_num_params,
    lstm_num_params,
)

ATOL = 1e-5


def _pair(d=5, h=7, num_layers=1, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    ref = nn.GRU(d, h, num_layers, dtype=dtype)
    return ref, GRUScratch.from_torch(ref)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
def test_scratch_equals_nn_gru_forward_and_backward(num_layers, with_state):
    d, h, T, B = 5, 7, 6, 3
    ref, mine = _pair(d, h, num_layers)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g)
    H0 = torch.randn(num_layers, B, h, generator=g) if with_state else None
    X_ref, X_mine = X.clone().requires_grad_(), X.clone().requires_grad_()
    H_ref = None if H0 is None else H0.clone().requires_grad_()
    H_mine = None if H0 is None else H0.clone().requires_grad_()

    out_ref, hn_ref = ref(X_ref, H_ref)
    out_mine, hn_mine = mine(X_mine, H_mine)
    assert out_mine.shape == out_ref.shape == (T, B, h)
    assert hn_mine.shape == hn_ref.shape == (num_layers, B, h)
    torch.testing.assert_close(out_mine, out_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine, hn_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine[-1], out_mine[-1], atol=0, rtol=0)

    w = torch.randn(T, B, h, generator=g)
    ((out_ref * w).sum() + hn_ref.pow(2).sum()).backward()
    ((out_mine * w).sum() + hn_mine.pow(2).sum()).backward()
    tol = {"atol": 1e-4, "rtol": 1e-4}
    for k, cell in enumerate(mine.cells):
        w_ih, w_hh = getattr(ref, f"weight_ih_l{k}"), getattr(ref, f"weight_hh_l{k}")
        b_ih, b_hh = getattr(ref, f"bias_ih_l{k}"), getattr(ref, f"bias_hh_l{k}")
        for block, gate in enumerate(GRU_BLOCKS):
            rows = slice(block * h, (block + 1) * h)
            torch.testing.assert_close(getattr(cell, f"W_x{gate}").grad, w_ih.grad[rows].T, **tol)
            torch.testing.assert_close(getattr(cell, f"W_h{gate}").grad, w_hh.grad[rows].T, **tol)
        # r and z: our bias is the sum of PyTorch's two, so it gets the gradient of each
        for b, rows in ((cell.b_r, slice(0, h)), (cell.b_z, slice(h, 2 * h))):
            torch.testing.assert_close(b.grad, b_ih.grad[rows], **tol)
            torch.testing.assert_close(b.grad, b_hh.grad[rows], **tol)
        torch.testing.assert_close(cell.b_xh.grad, b_ih.grad[2 * h :], **tol)
        torch.testing.assert_close(cell.b_hh.grad, b_hh.grad[2 * h :], **tol)
    torch.testing.assert_close(X_mine.grad, X_ref.grad, **tol)
    if with_state:
        torch.testing.assert_close(H_mine.grad, H_ref.grad, **tol)


def test_cell_equals_nn_grucell_and_the_fused_loop():
    torch.manual_seed(0)
    ref = nn.GRU(4, 6)
    mine = GRUScratch.from_torch(ref)
    cell = mine.cells[0]
    torch_cell = nn.GRUCell(4, 6)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(torch_cell, name).copy_(getattr(ref, f"{name}_l0"))
    X_t, H = torch.randn(3, 4), torch.randn(3, 6)
    torch.testing.assert_close(cell(X_t, H), torch_cell(X_t, H), atol=ATOL, rtol=0)
    out, _ = mine(X_t[None], H[None])
    torch.testing.assert_close(out[0], cell(X_t, H), atol=ATOL, rtol=0)


def test_reset_after_product_differs_from_cho_2014():
    """nn.GRU resets H W_hh + b_hh; Cho et al. (2014) reset H before the product: not the same function."""
    torch.manual_seed(0)
    cell = GRUCellScratch(3, 5)
    X_t, H = torch.randn(4, 3), torch.randn(4, 5)
    with torch.no_grad():
        R = torch.sigmoid(X_t @ cell.W_xr + H @ cell.W_hr + cell.b_r)
        Z = torch.sigmoid(X_t @ cell.W_xz + H @ cell.W_hz + cell.b_z)
        cho = torch.tanh(X_t @ cell.W_xh + (R * H) @ cell.W_hh + cell.b_xh + cell.b_hh)
        H_cho = Z * H + (1 - Z) * cho
        assert (cell(X_t, H) - H_cho).abs().max() > 1e-3


def test_gradcheck_float64():
    torch.manual_seed(0)
    mine = GRUScratch(3, 4, 2, dtype=torch.float64)
    X = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    H0 = torch.randn(2, 2, 4, dtype=torch.float64, requires_grad=True)
    params = list(mine.parameters())

    def f(X, H0, *ps):
        state = dict(zip((n for n, _ in mine.named_parameters()), ps))
        out, hn = torch.func.functional_call(mine, state, (X, H0))
        return out.sum(dim=(0, 1)) + hn.sum()

    assert torch.autograd.gradcheck(f, (X, H0, *[p.detach().requires_grad_() for p in params]))


def test_to_torch_round_trip():
    ref, mine = _pair(3, 4, 2)
    back = mine.to_torch()
    X = torch.randn(5, 2, 3)
    torch.testing.assert_close(back(X)[0], ref(X)[0], atol=ATOL, rtol=0)
    again = GRUScratch.from_torch(back)
    for p, q in zip(again.parameters(), mine.parameters()):
        torch.testing.assert_close(p, q, atol=1e-7, rtol=0)


@pytest.mark.parametrize("d,h,layers", [(5, 7, 1), (28, 64, 1), (3, 16, 2)])
def test_num_params_is_three_quarters_of_the_lstm(d, h, layers):
    assert gru_num_params(d, h, layers) == sum(p.numel() for p in nn.GRU(d, h, layers).parameters())
    assert 4 * gru_num_params(d, h, layers) == 3 * lstm_num_params(d, h, layers)
    # the scratch GRU keeps one bias for r and z each, two for the candidate: 2h fewer than nn.GRU per layer
    assert (
        sum(p.numel() for p in GRUScratch(d, h, layers).parameters()) == gru_num_params(d, h, layers) - 2 * h * layers
    )


def test_drops_into_rnnlm_and_last_state_model():
    lm = RNNLM(GRUScratch(10, 8), 10)
    logits, state = lm(torch.randint(0, 10, (3, 6)))
    assert logits.shape == (3, 6, 10) and state.shape == (1, 3, 8)
    logits, state = lm(torch.randint(0, 10, (3, 6)), state)  # the state carries over
    model = LastStateModel(GRUScratch(2, 8), 1)
    assert model(torch.randn(4, 7, 2)).shape == (4, 1)


# ---- bad input


BAD_INPUT = [
    case(
        "grucell-X_t-float64",
        lambda: lc.GRUCellScratch(3, 4)(torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 4)),
        TypeError,
        r"\bX_t\b.*float64",
    ),
    case(
        "grucell-H-shape",
        lambda: lc.GRUCellScratch(3, 4)(torch.zeros(2, 3), torch.zeros(4)),
        ValueError,
        r"\bH\b.*2 dimensions",
    ),
    case("gru-H0-shape", lambda: lc.GRUScratch(3, 4)(X3(), torch.zeros(2, 4)), ValueError, r"\bH0\b.*3 dimensions"),
    case(
        "gru-X-nan",
        lambda: lc.GRUScratch(3, 4)(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere, got 12 NaN",
    ),
    case("gru-GRUScratch-X", lambda: GRUScratch(3, 4, 2)(torch.randn(5, 2, 4)), ValueError, r"X must have shape"),
    case("gru-GRUScratch-X-2", lambda: GRUScratch(3, 4, 2)(torch.randn(5, 3)), ValueError, r"X must have 3 dimensions"),
    case(
        "gru-GRUScratch-X-3",
        lambda: GRUScratch(3, 4, 2)(torch.randn(5, 2, 3, dtype=torch.float64)),
        TypeError,
        r"X must have the parameters' dtype",
    ),
    case(
        "gru-GRUScratch-H0",
        lambda: GRUScratch(3, 4, 2)(torch.randn(5, 2, 3), torch.zeros(1, 2, 4)),
        ValueError,
        r"H0 must have shape",
    ),
    case("gru-GRUScratch-num_hiddens", lambda: GRUScratch(3, 0), ValueError, r"num_hiddens must be an int > 0"),
    case("gru-from_torch-gru", lambda: GRUScratch.from_torch(nn.LSTM(3, 4)), TypeError, r"gru must be a torch.nn.GRU"),
    case(
        "gru-from_torch-gru-2",
        lambda: GRUScratch.from_torch(nn.GRU(3, 4, bidirectional=True)),
        ValueError,
        r"bidirectional=False",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
