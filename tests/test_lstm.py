"""Tests of ``lstm_companion.lstm``: the scratch LSTM equals ``nn.LSTM`` (chapters 3 and 4)."""

from __future__ import annotations

import pytest
import torch
from bad_input import INF, X3, bad_input_test, case, st
from torch import nn
from torch.func import functional_call

import lstm_companion as lc
from lstm_companion import (
    GATES,
    RNNLM,
    TORCH_GATE_ORDER,
    LSTMCellScratch,
    LSTMScratch,
    lstm_num_params,
    set_forget_bias,
)

ATOL = 1e-5


def _pair(d=5, h=7, num_layers=1, seed=0):
    torch.manual_seed(seed)
    ref = nn.LSTM(d, h, num_layers)
    return ref, LSTMScratch.from_torch(ref)


def _rows(gate: str, h: int) -> slice:
    block = TORCH_GATE_ORDER.index(gate)
    return slice(block * h, (block + 1) * h)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True])
def test_scratch_equals_nn_lstm_forward_and_backward(num_layers, with_state):
    d, h, T, B = 5, 7, 6, 3
    ref, mine = _pair(d, h, num_layers)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g)
    state = None
    if with_state:
        state = (torch.randn(num_layers, B, h, generator=g), torch.randn(num_layers, B, h, generator=g))
    X_ref, X_mine = X.clone().requires_grad_(), X.clone().requires_grad_()
    s_ref = None if state is None else tuple(s.clone().requires_grad_() for s in state)
    s_mine = None if state is None else tuple(s.clone().requires_grad_() for s in state)

    out_ref, (hn_ref, cn_ref) = ref(X_ref, s_ref)
    out_mine, (hn_mine, cn_mine) = mine(X_mine, s_mine)
    assert out_mine.shape == out_ref.shape == (T, B, h)
    assert hn_mine.shape == cn_mine.shape == hn_ref.shape == (num_layers, B, h)
    torch.testing.assert_close(out_mine, out_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine, hn_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(cn_mine, cn_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine[-1], out_mine[-1], atol=0, rtol=0)

    # one loss touching every output and both final states
    w = torch.randn(T, B, h, generator=g)
    ((out_ref * w).sum() + hn_ref.pow(2).sum() + cn_ref.sin().sum()).backward()
    ((out_mine * w).sum() + hn_mine.pow(2).sum() + cn_mine.sin().sum()).backward()
    for k, cell in enumerate(mine.cells):
        for gate in GATES:
            W_x, W_h, b = cell.weights(gate)
            rows = _rows(gate, h)
            tol = {"atol": 1e-4, "rtol": 1e-4}
            torch.testing.assert_close(W_x.grad, getattr(ref, f"weight_ih_l{k}").grad[rows].T, **tol)
            torch.testing.assert_close(W_h.grad, getattr(ref, f"weight_hh_l{k}").grad[rows].T, **tol)
            # the scratch bias is the sum of PyTorch's two, so it gets the gradient of each
            torch.testing.assert_close(b.grad, getattr(ref, f"bias_ih_l{k}").grad[rows], **tol)
            torch.testing.assert_close(b.grad, getattr(ref, f"bias_hh_l{k}").grad[rows], **tol)
    torch.testing.assert_close(X_mine.grad, X_ref.grad, atol=1e-4, rtol=1e-4)
    if with_state:
        for a, b in zip(s_mine, s_ref):
            torch.testing.assert_close(a.grad, b.grad, atol=1e-4, rtol=1e-4)


def test_from_torch_sums_the_two_biases_and_maps_gate_rows():
    ref, mine = _pair(3, 4)
    h = 4
    cell = mine.cells[0]
    for gate in GATES:
        rows = _rows(gate, h)
        W_x, W_h, b = cell.weights(gate)
        assert torch.equal(W_x, ref.weight_ih_l0[rows].T)
        assert torch.equal(W_h, ref.weight_hh_l0[rows].T)
        assert torch.equal(b, ref.bias_ih_l0[rows] + ref.bias_hh_l0[rows])
    # "c" (the candidate) is nn.LSTM's third block "g"
    assert TORCH_GATE_ORDER.index("c") == 2 and TORCH_GATE_ORDER.index("o") == 3


@pytest.mark.parametrize("num_layers", [1, 3])
def test_to_torch_round_trip(num_layers):
    torch.manual_seed(0)
    mine = LSTMScratch(4, 6, num_layers)
    ref = mine.to_torch()
    assert isinstance(ref, nn.LSTM) and ref.num_layers == num_layers
    for k in range(num_layers):
        assert torch.count_nonzero(getattr(ref, f"bias_hh_l{k}")) == 0
    X = torch.randn(5, 2, 4)
    out_a, (h_a, c_a) = mine(X)
    out_b, (h_b, c_b) = ref(X)
    torch.testing.assert_close(out_a, out_b, atol=ATOL, rtol=0)
    torch.testing.assert_close(h_a, h_b, atol=ATOL, rtol=0)
    torch.testing.assert_close(c_a, c_b, atol=ATOL, rtol=0)
    back = LSTMScratch.from_torch(ref)
    for (n1, p1), (n2, p2) in zip(mine.named_parameters(), back.named_parameters()):
        assert n1 == n2
        assert torch.equal(p1, p2), n1


def test_conversion_keeps_dtype():
    ref = nn.LSTM(3, 4, dtype=torch.float64)
    mine = LSTMScratch.from_torch(ref)
    assert all(p.dtype == torch.float64 for p in mine.parameters())
    assert mine.to_torch().weight_ih_l0.dtype == torch.float64


def test_cell_gradcheck_float64():
    torch.manual_seed(0)
    cell = LSTMCellScratch(3, 4, dtype=torch.float64)
    names = [n for n, _ in cell.named_parameters()]
    assert sorted(names) == sorted(f"{p}{g}" for g in GATES for p in ("W_x", "W_h", "b_"))
    X_t = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    H = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    C = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]

    def f(X_t, H, C, *ps):
        return functional_call(cell, dict(zip(names, ps)), (X_t, (H, C)))

    assert torch.autograd.gradcheck(f, (X_t, H, C, *params))


def test_layer_gradcheck_float64_two_layers():
    torch.manual_seed(0)
    lstm = LSTMScratch(2, 3, 2, dtype=torch.float64)
    names = [n for n, _ in lstm.named_parameters()]
    X = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    params = [p.detach().clone().requires_grad_() for p in lstm.parameters()]

    def f(X, *ps):
        out, (H, C) = functional_call(lstm, dict(zip(names, ps)), (X,))
        return out, C

    assert torch.autograd.gradcheck(f, (X, *params))


def test_cell_matches_equations():
    torch.manual_seed(0)
    cell = LSTMCellScratch(3, 4)
    X_t, H, C = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    I = torch.sigmoid(X_t @ cell.W_xi + H @ cell.W_hi + cell.b_i)
    F_ = torch.sigmoid(X_t @ cell.W_xf + H @ cell.W_hf + cell.b_f)
    O = torch.sigmoid(X_t @ cell.W_xo + H @ cell.W_ho + cell.b_o)
    C_tilde = torch.tanh(X_t @ cell.W_xc + H @ cell.W_hc + cell.b_c)
    C_new = F_ * C + I * C_tilde
    H_new = O * torch.tanh(C_new)
    H_got, C_got = cell(X_t, (H, C))
    torch.testing.assert_close(H_got, H_new)
    torch.testing.assert_close(C_got, C_new)


@pytest.mark.parametrize("d, h, layers", [(1, 1, 1), (28, 256, 1), (5, 7, 2), (10, 3, 3)])
def test_num_params_matches_nn_lstm(d, h, layers):
    ref = nn.LSTM(d, h, layers)
    assert lstm_num_params(d, h, layers) == sum(p.numel() for p in ref.parameters())
    # the scratch LSTM keeps one bias per gate instead of two
    mine = LSTMScratch(d, h, layers)
    assert sum(p.numel() for p in mine.parameters()) == lstm_num_params(d, h, layers) - 4 * h * layers


@pytest.mark.parametrize("layer", [0, 1])
def test_gate_trace_consistent_with_forward(layer):
    torch.manual_seed(0)
    lstm = LSTMScratch(3, 5, 2)
    X = torch.randn(6, 2, 3)
    state = (torch.randn(2, 2, 5), torch.randn(2, 2, 5))
    out, (H_n, C_n) = lstm(X, state)
    trace = lstm.gate_trace(X, state, layer=layer)
    assert set(trace) == {*GATES, "C", "H"}
    assert all(v.shape == (6, 2, 5) for v in trace.values())
    torch.testing.assert_close(trace["H"][-1], H_n[layer], atol=1e-6, rtol=0)
    torch.testing.assert_close(trace["C"][-1], C_n[layer], atol=1e-6, rtol=0)
    if layer == 1:
        torch.testing.assert_close(trace["H"], out, atol=1e-6, rtol=0)
    for g in ("i", "f", "o"):
        assert ((trace[g] > 0) & (trace[g] < 1)).all()
    assert (trace["c"].abs() < 1).all()
    # the cell recursion holds step by step
    C_prev = torch.cat([state[1][layer][None], trace["C"][:-1]])
    torch.testing.assert_close(trace["C"], trace["f"] * C_prev + trace["i"] * trace["c"])
    torch.testing.assert_close(trace["H"], trace["o"] * torch.tanh(trace["C"]))
    assert not any(v.requires_grad for v in trace.values())


def test_set_forget_bias_on_both_kinds():
    torch.manual_seed(0)
    mine = LSTMScratch(3, 4, 2)
    set_forget_bias(mine, 1.5)
    for cell in mine.cells:
        assert torch.equal(cell.b_f, torch.full((4,), 1.5))
    ref = nn.LSTM(3, 4, 2)
    before = {n: p.detach().clone() for n, p in ref.named_parameters()}
    set_forget_bias(ref, 2.0)
    h = 4
    for k in range(2):
        b_ih, b_hh = getattr(ref, f"bias_ih_l{k}"), getattr(ref, f"bias_hh_l{k}")
        torch.testing.assert_close(b_ih[h : 2 * h] + b_hh[h : 2 * h], torch.full((h,), 2.0))
        # the other gates' biases are untouched
        for name in (f"bias_ih_l{k}", f"bias_hh_l{k}"):
            rest = torch.cat([getattr(ref, name)[:h], getattr(ref, name)[2 * h :]])
            assert torch.equal(rest, torch.cat([before[name][:h], before[name][2 * h :]]))
    # converted, the scratch LSTM sees the summed forget bias
    assert torch.allclose(LSTMScratch.from_torch(ref).cells[1].b_f, torch.full((h,), 2.0))


def test_rnnlm_with_scratch_core_equals_nn_lstm_core():
    torch.manual_seed(0)
    V, h = 11, 8
    ref_lm = RNNLM(nn.LSTM(V, h), V)
    mine_lm = RNNLM(LSTMScratch.from_torch(ref_lm.core), V)
    mine_lm.output.load_state_dict(ref_lm.output.state_dict())
    X = torch.randint(0, V, (3, 9))
    logits_ref, state_ref = ref_lm(X)
    logits_mine, state_mine = mine_lm(X)
    assert logits_mine.shape == (3, 9, V)
    torch.testing.assert_close(logits_mine, logits_ref, atol=ATOL, rtol=0)
    # the state carries over to the next minibatch the same way
    X2 = torch.randint(0, V, (3, 4))
    torch.testing.assert_close(mine_lm(X2, state_mine)[0], ref_lm(X2, state_ref)[0], atol=ATOL, rtol=0)
    # and one training step gives the same loss and gradients
    Y = torch.randint(0, V, (3, 9))
    for lm in (ref_lm, mine_lm):
        logits, _ = lm(X)
        nn.functional.cross_entropy(logits.reshape(-1, V), Y.reshape(-1)).backward()
    torch.testing.assert_close(mine_lm.output.weight.grad, ref_lm.output.weight.grad, atol=ATOL, rtol=1e-4)
    torch.testing.assert_close(
        mine_lm.core.cells[0].W_hf.grad, ref_lm.core.weight_hh_l0.grad[_rows("f", h)].T, atol=ATOL, rtol=1e-4
    )


def test_generate_with_lstm_core_is_deterministic():
    vocab = lc.Vocab(list("abcab ca"))
    torch.manual_seed(0)
    lm = RNNLM(LSTMScratch(len(vocab), 6), len(vocab))
    a = lc.generate(lm, "ab", 20, vocab, seed=3)
    b = lc.generate(lm, "ab", 20, vocab, seed=3)
    assert a == b and len(a) == 22


def test_determinism_of_initialisation_and_forward():
    outs = []
    for _ in range(2):
        torch.manual_seed(42)
        lstm = LSTMScratch(3, 4, 2)
        X = torch.randn(5, 2, 3)
        outs.append(lstm(X))
    torch.testing.assert_close(outs[0][0], outs[1][0], atol=0, rtol=0)
    torch.testing.assert_close(outs[0][1][1], outs[1][1][1], atol=0, rtol=0)


def test_default_state_is_zeros():
    torch.manual_seed(0)
    lstm = LSTMScratch(3, 4, 2)
    X = torch.randn(5, 2, 3)
    H0, C0 = lstm.begin_state(2)
    assert H0.shape == C0.shape == (2, 2, 4) and not H0.any() and not C0.any()
    torch.testing.assert_close(lstm(X)[0], lstm(X, (H0, C0))[0], atol=0, rtol=0)


def test_module_attributes_and_repr():
    lstm = LSTMScratch(3, 4, 2)
    assert (lstm.num_inputs, lstm.num_hiddens, lstm.num_layers) == (3, 4, 2)
    assert lstm.cells[1].num_inputs == 4
    assert "num_layers=2" in repr(lstm)
    assert set(GATES) == {"i", "f", "o", "c"}


# ---------------------------------------------------------------- bad input


@pytest.fixture
def lstm():
    torch.manual_seed(0)
    return LSTMScratch(3, 4, 2)


@pytest.mark.parametrize("bad", [(1, 2, 4), (2, 3, 4), (2, 2, 5), (2, 4)])
def test_bad_state_shape(lstm, bad):
    good = torch.zeros(2, 2, 4)
    with pytest.raises(ValueError, match=r"state\[0\] \(H\)"):
        lstm(torch.randn(5, 2, 3), (torch.zeros(bad), good))
    with pytest.raises(ValueError, match=r"state\[1\] \(C\)"):
        lstm(torch.randn(5, 2, 3), (good, torch.zeros(bad)))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"num_inputs": 0, "num_hiddens": 4}, "num_inputs"),
        ({"num_inputs": 3, "num_hiddens": -1}, "num_hiddens"),
        ({"num_inputs": 3, "num_hiddens": 4, "num_layers": 0}, "num_layers"),
    ],
)
def test_non_positive_sizes(kwargs, name):
    with pytest.raises(ValueError, match=name):
        LSTMScratch(**kwargs)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"bidirectional": True}, "bidirectional"),
        ({"batch_first": True}, "batch_first"),
        ({"proj_size": 2}, "proj_size"),
        ({"bias": False}, "bias"),
    ],
)
def test_from_torch_unsupported_variants(kwargs, word):
    with pytest.raises(ValueError, match=word):
        LSTMScratch.from_torch(nn.LSTM(3, 4, **kwargs))


@pytest.mark.parametrize("module", [nn.RNN(3, 4), nn.GRU(3, 4), nn.LSTMCell(3, 4), LSTMScratch(3, 4)])
def test_from_torch_non_lstm(module):
    with pytest.raises(TypeError, match="lstm must be a torch.nn.LSTM"):
        LSTMScratch.from_torch(module)


@pytest.mark.parametrize("layer", [-1, 2, 5])
def test_gate_trace_bad_layer(lstm, layer):
    with pytest.raises(ValueError, match="layer must be in"):
        lstm.gate_trace(torch.randn(4, 2, 3), layer=layer)


@pytest.mark.parametrize("layer", [1.0, True, "0"])
def test_gate_trace_layer_not_int(lstm, layer):
    with pytest.raises(TypeError, match="layer must be an int"):
        lstm.gate_trace(torch.randn(4, 2, 3), layer=layer)


@pytest.mark.parametrize("module", [nn.RNN(3, 4), nn.GRU(3, 4), lc.RNNScratch(3, 4), nn.LSTMCell(3, 4)])
def test_set_forget_bias_on_non_lstm(module):
    with pytest.raises(TypeError, match="core must be an LSTMScratch or a torch.nn.LSTM"):
        set_forget_bias(module, 1.0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1"])
def test_set_forget_bias_bad_value(value):
    with pytest.raises((TypeError, ValueError), match="value"):
        set_forget_bias(LSTMScratch(3, 4), value)


# ---- bad input


def cell(d=3, h=4):
    torch.manual_seed(0)
    return lc.LSTMCellScratch(d, h)


def lstm_layer():
    torch.manual_seed(0)
    return LSTMScratch(3, 4, 2)


BAD_INPUT = [
    case(
        "lstmcell-X_t-size",
        lambda: cell()(torch.zeros(2, 5), st()),
        ValueError,
        r"\bX_t\b.*dimension 1 is 5, expected 3",
    ),
    case("lstmcell-X_t-1d-broadcast", lambda: cell()(torch.zeros(3), st()), ValueError, r"\bX_t\b.*2 dimensions"),
    case(
        "lstmcell-X_t-float64",
        lambda: cell()(torch.zeros(2, 3, dtype=torch.float64), st()),
        TypeError,
        r"\bX_t\b.*dtype.*float32.*got torch\.float64",
    ),
    case("lstmcell-X_t-None", lambda: cell()(None, st()), TypeError, r"\bX_t\b.*torch\.Tensor.*NoneType"),
    case(
        "lstmcell-state-tensor", lambda: cell()(torch.zeros(2, 3), torch.zeros(2, 4)), TypeError, r"\bstate\b.*\(H, C\)"
    ),
    case(
        "lstmcell-H-batch", lambda: cell()(torch.zeros(2, 3), st(B=1)), ValueError, r"state\[0\] \(H\).*shape \(2, 4\)"
    ),
    case("lstmcell-gate", lambda: cell().weights("g"), ValueError, r"\bgate\b.*'g'"),
    case(
        "lstm-state-shape",
        lambda: lc.LSTMScratch(3, 4)(X3(), st()),
        ValueError,
        r"state\[0\] \(H\).*3 dimensions",
    ),
    case(
        "lstm-gate_trace-layer",
        lambda: lc.LSTMScratch(3, 4).gate_trace(X3(), layer=1),
        ValueError,
        r"\blayer\b.*\[0, 1\)",
    ),
    case("set_forget_bias-inf", lambda: lc.set_forget_bias(lc.LSTMScratch(3, 4), INF), ValueError, r"\bvalue\b.*inf"),
    case("set_forget_bias-gru", lambda: lc.set_forget_bias(nn.GRU(3, 4), 1.0), TypeError, r"\bcore\b.*GRU"),
    case(
        "fused_to_torch-b-shape",
        lambda: lc.fused_to_torch(torch.zeros(3, 16), torch.zeros(4, 16), torch.zeros(12)),
        ValueError,
        r"\bb\b must have shape \(16\)",
    ),
    case(
        "lstmcell-X_t-device",
        lambda: cell()(torch.zeros(2, 3, device="meta"), st()),
        ValueError,
        r"\bX_t\b is on device meta",
    ),
    case(
        "lstm-X-nan",
        lambda: lc.LSTMScratch(3, 4)(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere, got 12 NaN",
    ),
    case(
        "lstm-X-inf",
        lambda: lc.LSTMScratch(3, 4)(torch.full((2, 2, 3), float("inf"))),
        ValueError,
        r"\bX must be finite.*12 infinite",
    ),
    case(
        "lstm-gate_trace-X-nan",
        lambda: lc.LSTMScratch(3, 4).gate_trace(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere",
    ),
    case("lstm-forward-X", lambda: lstm_layer()(torch.randn(5, 3)), ValueError, r"X must have 3 dimensions"),
    case(
        "lstm-forward-X-2", lambda: lstm_layer()(torch.randn(5, 2, 4)), ValueError, r"X must have shape \(\*, \*, 3\)"
    ),
    case(
        "lstm-forward-X-3",
        lambda: lstm_layer()(torch.zeros(5, 2, 3, dtype=torch.long)),
        TypeError,
        r"X must be a floating-point tensor",
    ),
    case(
        "lstm-forward-X-4",
        lambda: lstm_layer()(torch.zeros(5, 2, 3, dtype=torch.float64)),
        TypeError,
        r"X must have the parameters' dtype",
    ),
    case("lstm-forward-X-5", lambda: lstm_layer()([[[0.0, 0.0, 0.0]]]), TypeError, r"X must be a torch.Tensor"),
    case(
        "lstm-forward-state",
        lambda: lstm_layer()(torch.randn(5, 2, 3), torch.zeros(2, 2, 4)),
        TypeError,
        r"state must be a tuple \(H, C\)",
    ),
    case(
        "lstm-forward-state-2",
        lambda: lstm_layer()(torch.randn(5, 2, 3), (torch.zeros(2, 2, 4),)),
        TypeError,
        r"state must be a tuple \(H, C\)",
    ),
    case(
        "lstm-forward-state_0",
        lambda: lstm_layer()(torch.randn(5, 2, 3), (torch.zeros(2, 2, 4, dtype=torch.float64), torch.zeros(2, 2, 4))),
        TypeError,
        r"state\[0\] \(H\) must have dtype",
    ),
    case(
        "lstm-LSTMCellScratch-num_hiddens",
        lambda: LSTMCellScratch(3, 4.0),
        TypeError,
        r"num_hiddens must be an int > 0, got float 4\.0",
    ),
    case(
        "lstm-LSTMCellScratch-num_inputs",
        lambda: LSTMCellScratch(True, 4),
        TypeError,
        r"num_inputs must be an int > 0, got bool True",
    ),
    case(
        "lstm-lstm_num_params-num_layers",
        lambda: lstm_num_params(3, 4, 0),
        ValueError,
        r"num_layers must be an int > 0, got 0",
    ),
    case("lstm-LSTMCellScratch-gate", lambda: LSTMCellScratch(3, 4).weights("g"), ValueError, r"gate must be one of"),
    case(
        "lstm-gate_trace-X-size",
        lambda: lstm_layer().gate_trace(torch.randn(4, 2, 5)),
        ValueError,
        r"X must have shape",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
