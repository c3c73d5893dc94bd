"""Tests of ``lc.lstm_state_grad_norms`` (chapter 3): per-step gradient norms of an LSTM."""

from __future__ import annotations

import pytest
import torch
from bad_input import bad_input_test, case
from torch import nn
from torch.nn import functional as F

import lstm_companion as lc


def _cell(d=3, h=5, seed=0):
    torch.manual_seed(seed)
    return lc.LSTMCellScratch(d, h, dtype=torch.float64)


def _data(T=7, n=4, d=3, h=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(T, n, d, generator=g, dtype=torch.float64)  # (num_steps, batch_size, num_inputs)
    H0 = torch.randn(n, h, generator=g, dtype=torch.float64)
    C0 = torch.randn(n, h, generator=g, dtype=torch.float64)
    return X, H0, C0


def _direct_norms(cell, X, H0, C0, loss_fn):
    """||dL/dH_t|| and ||dL/dC_t|| with retain_grad and backward, the plain way."""
    H, C, Hs, Cs = H0, C0, [], []
    for X_t in X:
        H, C = cell(X_t, (H, C))
        H.retain_grad()
        C.retain_grad()
        Hs.append(H)
        Cs.append(C)
    loss_fn(H).backward()
    return torch.stack([s.grad.norm() for s in Hs]), torch.stack([s.grad.norm() for s in Cs])


def test_matches_direct_autograd_default_loss():
    X, H0, C0 = _data()
    norms = lc.lstm_state_grad_norms(_cell(), X, (H0, C0))
    assert set(norms) == {"H", "C"}
    assert norms["H"].shape == norms["C"].shape == (7,)
    exp_H, exp_C = _direct_norms(_cell(), X, H0, C0, lambda H: H.sum())
    torch.testing.assert_close(norms["H"], exp_H, rtol=1e-12, atol=0)
    torch.testing.assert_close(norms["C"], exp_C, rtol=1e-12, atol=0)
    # the last step: dL/dH_T is all ones (nothing comes back to H_T from later steps)
    assert float(norms["H"][-1]) == pytest.approx((4 * 5) ** 0.5, rel=1e-12)


def test_matches_direct_autograd_custom_loss():
    X, H0, C0 = _data(T=5, n=6, seed=2)
    g = torch.Generator().manual_seed(3)
    W_hq = torch.randn(5, 2, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    loss_fn = lambda H: F.cross_entropy(H @ W_hq, y)
    norms = lc.lstm_state_grad_norms(_cell(seed=4), X, (H0, C0), loss_fn)
    exp_H, exp_C = _direct_norms(_cell(seed=4), X, H0, C0, loss_fn)
    torch.testing.assert_close(norms["H"], exp_H, rtol=1e-12, atol=0)
    torch.testing.assert_close(norms["C"], exp_C, rtol=1e-12, atol=0)


def test_works_with_torch_lstm_cell_and_agrees_with_scratch():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5).double()
    scratch = lc.LSTMScratch.from_torch(lstm)
    torch_cell = nn.LSTMCell(3, 5).double()
    torch_cell.load_state_dict({k.removesuffix("_l0"): v for k, v in lstm.state_dict().items()})
    X, H0, C0 = _data()
    a = lc.lstm_state_grad_norms(torch_cell, X, (H0, C0))
    b = lc.lstm_state_grad_norms(scratch.cells[0], X, (H0, C0))
    torch.testing.assert_close(a["H"], b["H"], rtol=1e-10, atol=0)
    torch.testing.assert_close(a["C"], b["C"], rtol=1e-10, atol=0)


def test_open_forget_gate_passes_the_cell_gradient_unchanged():
    """F_t = 1 and no recurrent weights: dL/dC_{t-1} = dL/dC_t * F_t = dL/dC_t at every step."""
    cell = _cell(h=4)
    with torch.no_grad():
        for g in ("i", "f", "o", "c"):
            getattr(cell, f"W_h{g}").zero_()  # H_{t-1} reaches nothing: the cell is the only path back
        cell.W_xf.zero_()
        cell.b_f.fill_(50.0)  # sigmoid(50) rounds to exactly 1 in float64
    X, H0, C0 = _data(T=30, h=4)
    norms = lc.lstm_state_grad_norms(cell, X, (H0, C0))
    torch.testing.assert_close(norms["C"], norms["C"][-1].expand(30), rtol=1e-14, atol=0)
    assert bool((norms["H"][:-1] == 0).all())


def test_leaves_parameter_grads_alone_and_works_under_no_grad():
    cell = _cell()
    X, H0, C0 = _data()
    with torch.no_grad():
        norms = lc.lstm_state_grad_norms(cell, X, (H0, C0))
    assert all(p.grad is None for p in cell.parameters())
    assert bool((norms["C"] > 0).all())


def test_float32_on_the_cpu_and_detached():
    torch.manual_seed(0)
    cell = lc.LSTMCellScratch(3, 5)
    X = torch.randn(4, 2, 3)
    state = (torch.zeros(2, 5), torch.zeros(2, 5))
    norms = lc.lstm_state_grad_norms(cell, X, state)
    for v in norms.values():
        assert v.dtype == torch.float32 and v.device.type == "cpu" and not v.requires_grad


# ------------------------------------------------------------------ bad input


# ---- bad input

BAD_INPUT = [
    case(
        "diagnostics_lstm-lstm_state_grad_norms-cell",
        lambda: lc.lstm_state_grad_norms("not a cell", _data()[0], (_data()[1], _data()[2])),
        TypeError,
        r"cell must be callable as cell\(X_t, \(H, C\)\), got",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-cell-2",
        lambda: lc.lstm_state_grad_norms(lambda X_t, s: s[0], _data()[0], (_data()[1], _data()[2])),
        ValueError,
        r"cell must return",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-cell-3",
        lambda: lc.lstm_state_grad_norms(lambda X_t, s: (s[0][:, :2], s[1]), _data()[0], (_data()[1], _data()[2])),
        ValueError,
        r"cell must return",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-X",
        lambda: lc.lstm_state_grad_norms(_cell(), torch.zeros(4, 3, dtype=torch.float64), (_data()[1], _data()[2])),
        ValueError,
        r"X must have 3 dimensions, got 2 with shape \(4, 3\)",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-X-2",
        lambda: lc.lstm_state_grad_norms(_cell(), torch.zeros(7, 4, 3, dtype=torch.long), (_data()[1], _data()[2])),
        TypeError,
        r"X must be a floating\-point tensor, got dtype",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-state0",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], _data()[1]),
        TypeError,
        r"state0 must be a tuple \(H0, C0\) of two tensors,",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-state0-2",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], [_data()[1], _data()[2]]),
        TypeError,
        r"state0 must be a tuple \(H0, C0\) of two tensors,",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-state0_0",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], (_data()[1][None], _data()[2])),
        ValueError,
        r"state0\[0\] \(H0\) must have 2 dimensions, got 3 with",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-state0_s",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], (_data()[1], _data()[2][:, :3])),
        ValueError,
        r"state0's H0 and C0 must have the same shape, got",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-state0-3",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], (_data()[1][:2], _data()[2][:2])),
        ValueError,
        r"state0 must have batch_size=4 rows like X of",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-loss_fn",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], (_data()[1], _data()[2]), loss_fn=3),
        TypeError,
        r"loss_fn must be callable as loss_fn\(H_T\) or None,",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-loss_fn-2",
        lambda: lc.lstm_state_grad_norms(_cell(), _data()[0], (_data()[1], _data()[2]), loss_fn=lambda H: H),
        ValueError,
        r"loss_fn must return a scalar tensor, got \(4, 5\)",
    ),
    case(
        "diagnostics_lstm-lstm_state_grad_norms-the",
        lambda: lc.lstm_state_grad_norms(
            _cell(), _data()[0], (_data()[1], _data()[2]), loss_fn=lambda H: H.detach().sum()
        ),
        ValueError,
        r"does not require grad",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
