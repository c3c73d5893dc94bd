"""Tests of ``lstm_companion.bilstm``: the scratch BiLSTM against ``nn.LSTM(bidirectional=True)``, and chapter 6's tasks."""

from __future__ import annotations

import math

import pytest
import torch
from bad_input import X3, bad_input_test, case
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import lstm_companion as lc
from lstm_companion import BiLSTMScratch, Vocab, reverse_padded


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is much faster than several competing for a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _pair(num_inputs: int = 5, num_hiddens: int = 7, num_layers: int = 1, seed: int = 0, dtype=torch.float32):
    torch.manual_seed(seed)
    ref = nn.LSTM(num_inputs, num_hiddens, num_layers, bidirectional=True, dtype=dtype)
    return ref, BiLSTMScratch.from_torch(ref)


def _packed(ref: nn.LSTM, X: torch.Tensor, lengths: torch.Tensor):
    out, (H, C) = ref(pack_padded_sequence(X, lengths, enforce_sorted=False))
    out, _ = pad_packed_sequence(out, total_length=X.shape[0])
    return out, H, C


@pytest.mark.parametrize("num_layers", [1, 2])
def test_same_outputs_and_states_as_nn_lstm(num_layers):
    ref, scratch = _pair(num_layers=num_layers)
    X = torch.randn(6, 3, 5)
    state = (torch.randn(2 * num_layers, 3, 7), torch.randn(2 * num_layers, 3, 7))
    for s in (None, state):
        out_ref, (H_ref, C_ref) = ref(X, s)
        out, (H, C) = scratch(X, s)
        assert out.shape == (6, 3, 14) and H.shape == C.shape == (2 * num_layers, 3, 7)
        torch.testing.assert_close(out, out_ref, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(H, H_ref, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(C, C_ref, atol=1e-6, rtol=1e-5)


def test_state_layout_forward_then_backward():
    ref, scratch = _pair(num_layers=2)
    X = torch.randn(4, 2, 5)
    out, (H, _) = scratch(X)
    h = 7
    torch.testing.assert_close(H[2], out[-1, :, :h])  # last layer, forward: after the last step
    torch.testing.assert_close(H[3], out[0, :, h:])  # last layer, backward: after reading step 1
    torch.testing.assert_close(scratch.forward_lstms[0](X)[0], _first_layer_forward(ref, X))


def _first_layer_forward(ref: nn.LSTM, X: torch.Tensor) -> torch.Tensor:
    uni = nn.LSTM(ref.input_size, ref.hidden_size)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(uni, f"{name}_l0").copy_(getattr(ref, f"{name}_l0"))
    return uni(X)[0]


def test_same_gradients_as_nn_lstm():
    ref, scratch = _pair(num_layers=2)
    X = torch.randn(5, 3, 5)
    X1, X2 = X.clone().requires_grad_(), X.clone().requires_grad_()
    target = torch.randn(5, 3, 14)
    for model, inp in ((ref, X1), (scratch, X2)):
        out, (H, C) = model(inp)
        ((out - target) ** 2).sum().add(H.sum() + 0.5 * C.sum()).backward()
    torch.testing.assert_close(X2.grad, X1.grad, atol=1e-5, rtol=1e-4)
    h = 7
    for k in range(2):
        for suffix, lstms in (("", scratch.forward_lstms), ("_reverse", scratch.backward_lstms)):
            cell = lstms[k].cells[0]
            g_ih = getattr(ref, f"weight_ih_l{k}{suffix}").grad
            g_b = getattr(ref, f"bias_ih_l{k}{suffix}").grad
            for block, gate in enumerate(("i", "f", "c", "o")):
                W_x, _, b = cell.weights(gate)
                torch.testing.assert_close(W_x.grad, g_ih[block * h : (block + 1) * h].T, atol=1e-5, rtol=1e-4)
                torch.testing.assert_close(b.grad, g_b[block * h : (block + 1) * h], atol=1e-5, rtol=1e-4)


def test_to_torch_round_trip():
    _, scratch = _pair(num_layers=2, seed=3)
    back = scratch.to_torch()
    assert back.bidirectional and back.num_layers == 2
    X = torch.randn(4, 2, 5)
    torch.testing.assert_close(back(X)[0], scratch(X)[0], atol=1e-6, rtol=1e-5)
    again = BiLSTMScratch.from_torch(back)
    torch.testing.assert_close(again(X)[1][1], scratch(X)[1][1], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lengths_match_packed_nn_lstm(num_layers):
    ref, scratch = _pair(num_layers=num_layers, seed=1)
    lengths = torch.tensor([6, 2, 4, 1])
    X = torch.randn(6, 4, 5)
    X[torch.arange(6)[:, None] >= lengths[None, :]] = 9.0  # padding with a loud value: must be ignored
    out_ref, H_ref, C_ref = _packed(ref, X, lengths)
    out, (H, C) = scratch(X, lengths=lengths)
    torch.testing.assert_close(out, out_ref, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(H, H_ref, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(C, C_ref, atol=1e-6, rtol=1e-5)


def test_flipping_the_padded_batch_is_the_classic_bug():
    ref, scratch = _pair(seed=2)
    lengths = torch.tensor([5, 2])
    X = torch.randn(5, 2, 5)
    X[2:, 1] = 0.0
    _, H_ref, _ = _packed(ref, X, lengths)
    _, (H_naive, _) = scratch(X)  # no lengths: the backward direction of sequence 1 starts on 3 padding steps
    torch.testing.assert_close(H_naive[:, 0], H_ref[:, 0], atol=1e-6, rtol=1e-5)  # the full-length one is fine
    assert (H_naive[1, 1] - H_ref[1, 1]).abs().max() > 1e-3  # the short one's backward state is wrong


def test_reverse_padded():
    X = torch.arange(12.0).reshape(4, 3)  # (num_steps, batch_size)
    lengths = torch.tensor([4, 2, 1])
    R = reverse_padded(X, lengths)
    assert R[:, 0].tolist() == [9.0, 6.0, 3.0, 0.0]
    assert R[:, 1].tolist() == [4.0, 1.0, 7.0, 10.0]  # reversed within length 2, padding untouched
    assert R[:, 2].tolist() == X[:, 2].tolist()
    Y = torch.randn(4, 3, 2)
    torch.testing.assert_close(reverse_padded(reverse_padded(Y, lengths), lengths), Y)
    torch.testing.assert_close(reverse_padded(Y, torch.tensor([4, 4, 4])), Y.flip(0))


@pytest.mark.parametrize("use_lengths", [False, True])
def test_gradcheck_float64(use_lengths):
    torch.manual_seed(0)
    model = BiLSTMScratch(3, 2, num_layers=2, dtype=torch.float64)
    X = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    H0 = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([4, 2]) if use_lengths else None

    def f(X, H0):
        out, (H, C) = model(X, (H0, torch.zeros_like(H0)), lengths=lengths)
        return out, H, C

    assert torch.autograd.gradcheck(f, (X, H0))


def test_parameter_counts():
    for d, h, layers in ((5, 7, 1), (5, 7, 3), (28, 64, 2)):
        ref = nn.LSTM(d, h, layers, bidirectional=True)
        assert lc.bilstm_num_params(d, h, layers) == sum(p.numel() for p in ref.parameters())
        assert (
            lc.bilstm_num_params(d, h, layers)
            == sum(p.numel() for p in BiLSTMScratch(d, h, layers).parameters()) + 2 * layers * 4 * h
        )
    h_uni = lc.matching_num_hiddens(10, 32, 11)
    bi = lc.Tagger(nn.LSTM(10, 32, bidirectional=True), 10, 11)
    uni = lc.Tagger(nn.LSTM(10, h_uni), 10, 11)
    n_bi, n_uni = (sum(p.numel() for p in m.parameters()) for m in (bi, uni))
    assert abs(n_uni - n_bi) / n_bi < 0.03


def test_lookahead_task_and_bound():
    X, Y = lc.lookahead_task(50, 12, vocab_size=6, offset=3, seed=1)
    assert X.shape == Y.shape == (50, 12) and X.dtype == Y.dtype == torch.long
    assert torch.equal(Y[:, :9], X[:, 3:]) and (Y[:, 9:] == 6).all()
    X2, _ = lc.lookahead_task(50, 12, vocab_size=6, offset=3, seed=1)
    assert torch.equal(X, X2)
    assert math.isclose(lc.lookahead_bound(12, 6, 3), (9 / 6 + 3) / 12)
    with pytest.raises(ValueError, match="offset must be < num_steps=4"):
        lc.lookahead_task(5, 4, offset=4)


def test_bidirectional_tagger_learns_what_a_unidirectional_one_cannot():
    torch.manual_seed(0)
    X, Y = lc.lookahead_task(2000, 8, vocab_size=4, offset=1, seed=0)
    X_test, Y_test = lc.lookahead_task(500, 8, vocab_size=4, offset=1, seed=1)
    config = lc.FitConfig(num_updates=150, batch_size=64, lr=2e-2)
    acc = {}
    for name, core in (("bi", nn.LSTM(4, 16, bidirectional=True)), ("uni", nn.LSTM(4, 24))):
        model = lc.Tagger(core, 4, 5)
        history = lc.train_tagger(model, X, Y, config, device="cpu", progress=False)
        assert len(history.step_loss) == 150
        acc[name] = float(lc.tagging_accuracy(model, X_test, Y_test))
    bound = lc.lookahead_bound(8, 4, 1)
    assert acc["bi"] > 0.95
    assert acc["uni"] < bound + 0.03


def test_tagger_with_scratch_core_matches_nn_lstm():
    ref, scratch = _pair(num_inputs=4, num_hiddens=3)
    a, b = lc.Tagger(ref, 4, 5), lc.Tagger(scratch, 4, 5)
    b.output.load_state_dict(a.output.state_dict())
    X = torch.randint(0, 4, (2, 6))
    torch.testing.assert_close(b(X), a(X), atol=1e-6, rtol=1e-5)
    assert lc.tagging_accuracy(a, X, X, per_position=True).shape == (6,)
    with pytest.raises(ValueError, match=r"X must hold token indices in \[0, 4\)"):
        a(torch.tensor([[0, 4]]))


def test_causal_perplexity_of_a_unidirectional_model_is_its_ordinary_perplexity():
    torch.manual_seed(0)
    model = lc.CharLSTM(6, 8, bidirectional=False)
    corpus = torch.randint(0, 6, (201,))  # 20 windows of num_steps + 1 tokens, and one more token
    num_steps = 9
    windows = corpus[: 20 * (num_steps + 1)].reshape(20, num_steps + 1)
    logits, state = model(windows[:, :-1])
    assert state is None and logits.shape == (20, num_steps, 6)
    ordinary = math.exp(float(nn.functional.cross_entropy(logits.detach().reshape(-1, 6), windows[:, 1:].reshape(-1))))
    assert math.isclose(lc.causal_perplexity(model, corpus, num_steps=num_steps), ordinary, rel_tol=1e-5)

    bi = lc.CharLSTM(6, 8, bidirectional=True)
    logits_bi, _ = bi(windows[:, :-1])
    assert logits_bi.shape == (20, num_steps, 6)
    # the bidirectional model's output at step 1 changes when a later token changes: it reads the future
    changed = windows[:, :-1].clone()
    changed[:, 2] = (changed[:, 2] + 1) % 6
    assert (bi(changed)[0][:, 0] - logits_bi[:, 0]).abs().max() > 1e-6
    assert (model(changed)[0][:, 0] - logits[:, 0]).abs().max() == 0


def test_generate_causal():
    vocab = Vocab(list("ab c"))
    torch.manual_seed(0)
    model = lc.CharLSTM(len(vocab), 8, bidirectional=True)
    text = lc.generate_causal(model, "ab", 5, vocab)
    assert text.startswith("ab") and len(text) == 7 and "<unk>" not in text
    assert text == lc.generate_causal(model, "ab", 5, vocab)
    with pytest.raises(ValueError, match="prefix"):
        lc.generate_causal(model, "", 5, vocab)


# ---- bad input


BAD_INPUT = [
    case(
        "bilstm-lengths-long",
        lambda: lc.BiLSTMScratch(3, 4)(X3(), lengths=torch.tensor([1, 3])),
        ValueError,
        r"\blengths\b.*\[1, 2\]",
    ),
    case(
        "reverse_padded-lengths-float",
        lambda: lc.reverse_padded(X3(), torch.tensor([1.0, 2.0])),
        TypeError,
        r"\blengths\b.*integer",
    ),
    case(
        "bilstm-X-nan",
        lambda: lc.BiLSTMScratch(3, 4)(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere, got 12 NaN",
    ),
    case(
        "bilstm-X-inf-with-lengths",
        lambda: lc.BiLSTMScratch(3, 4)(torch.full((2, 2, 3), float("inf")), lengths=torch.tensor([2, 1])),
        ValueError,
        r"\bX must be finite.*12 infinite",
    ),
    case("bilstm-forward-X", lambda: _pair()[1](torch.zeros(3, 2, 4)), ValueError, r"X must have shape \(\*, \*, 5\)"),
    case(
        "bilstm-forward-X-2",
        lambda: _pair()[1](torch.zeros(3, 2, 5, dtype=torch.float64)),
        TypeError,
        r"X must have the parameters' dtype torch\.float32,",
    ),
    case(
        "bilstm-forward-state_0",
        lambda: _pair()[1](torch.zeros(3, 2, 5), (torch.zeros(1, 2, 7), torch.zeros(1, 2, 7))),
        ValueError,
        r"state\[0\] \(H\) must have shape \(2, 2, 7\)",
    ),
    case(
        "bilstm-forward-lengths",
        lambda: _pair()[1](torch.zeros(3, 2, 5), lengths=torch.tensor([0, 3])),
        ValueError,
        r"lengths must lie in",
    ),
    case("bilstm-from_torch-lstm", lambda: BiLSTMScratch.from_torch(nn.LSTM(5, 7)), ValueError, r"bidirectional=True"),
    case(
        "bilstm-from_torch-lstm-2",
        lambda: BiLSTMScratch.from_torch(nn.GRU(5, 7, bidirectional=True)),
        TypeError,
        r"lstm must be a torch\.nn\.LSTM, got GRU",
    ),
    case(
        "bilstm-BiLSTMScratch-num_hiddens",
        lambda: BiLSTMScratch(5, 0),
        ValueError,
        r"num_hiddens must be an int > 0, got 0",
    ),
    case(
        "bilstm-reverse_padded-lengths",
        lambda: reverse_padded(torch.zeros(4, 2), torch.tensor([5, 1])),
        ValueError,
        r"lengths must lie in \[1, 4\]",
    ),
    case(
        "bilstm-reverse_padded-lengths-2",
        lambda: reverse_padded(torch.zeros(4, 2), torch.tensor([1, 1, 1])),
        ValueError,
        r"batch_size=2",
    ),
    case(
        "bilstm-reverse_padded-lengths-3",
        lambda: reverse_padded(torch.zeros(4, 2), [1, 1]),
        TypeError,
        r"lengths must be a torch\.Tensor of ints, got list",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
