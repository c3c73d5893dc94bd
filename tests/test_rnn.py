"""Tests of ``lstm_companion.rnn`` (scratch RNN == ``nn.RNN``) and ``lstm_companion.lm``."""

from __future__ import annotations

import pytest
import torch
from bad_input import INF, NAN, VOCAB, X3, V, bad_input_test, case, lm
from torch import nn
from torch.func import functional_call

import lstm_companion as lc
from lstm_companion import RNNLM, RNNScratch, Vocab, detach_state, generate, rnn_step

ATOL = 1e-6


def _pair(d=5, h=7, nonlinearity="tanh", seed=0):
    torch.manual_seed(seed)
    ref = nn.RNN(d, h, nonlinearity=nonlinearity)
    return ref, RNNScratch.from_torch(ref)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("with_state", [False, True])
def test_scratch_equals_nn_rnn_forward_and_backward(nonlinearity, with_state):
    d, h, T, B = 5, 7, 6, 3
    ref, mine = _pair(d, h, nonlinearity)
    assert mine.nonlinearity == nonlinearity
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g)
    H0 = torch.randn(B, h, generator=g) if with_state else None
    X_ref, X_mine = X.clone().requires_grad_(), X.clone().requires_grad_()

    out_ref, hn_ref = ref(X_ref, None if H0 is None else H0.unsqueeze(0))
    out_mine, hn_mine = mine(X_mine, H0)
    assert out_mine.shape == out_ref.shape == (T, B, h)
    assert hn_mine.shape == (B, h) and hn_ref.shape == (1, B, h)
    torch.testing.assert_close(out_mine, out_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine, hn_ref[0], atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine, out_mine[-1], atol=0, rtol=0)

    # the same loss, touching every output and the final state
    w = torch.randn(T, B, h, generator=g)
    ((out_ref * w).sum() + hn_ref.pow(2).sum()).backward()
    ((out_mine * w).sum() + hn_mine.pow(2).sum()).backward()
    torch.testing.assert_close(mine.W_xh.grad, ref.weight_ih_l0.grad.T, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mine.W_hh.grad, ref.weight_hh_l0.grad.T, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mine.b_h.grad, ref.bias_ih_l0.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mine.b_h.grad, ref.bias_hh_l0.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(X_mine.grad, X_ref.grad, atol=1e-5, rtol=1e-5)


def test_state_gradient_matches():
    ref, mine = _pair(3, 4)
    X = torch.randn(5, 2, 3)
    H_ref = torch.randn(1, 2, 4, requires_grad=True)
    H_mine = H_ref.detach()[0].clone().requires_grad_()
    ref(X, H_ref)[0].sum().backward()
    mine(X, H_mine)[0].sum().backward()
    torch.testing.assert_close(H_mine.grad, H_ref.grad[0], atol=1e-6, rtol=1e-5)


def test_parameter_shapes_and_init_range():
    m = RNNScratch(5, 16)
    assert m.W_xh.shape == (5, 16) and m.W_hh.shape == (16, 16) and m.b_h.shape == (16,)
    k = 1 / 16**0.5
    for p in m.parameters():
        assert float(p.detach().abs().max()) <= k
    assert m.begin_state(3).shape == (3, 16)
    assert float(m.begin_state(3).abs().sum()) == 0
    assert "num_hiddens=16" in repr(m)


def test_to_torch_round_trip():
    torch.manual_seed(0)
    mine = RNNScratch(4, 6, "relu")
    ref = mine.to_torch()
    assert isinstance(ref, nn.RNN) and ref.nonlinearity == "relu"
    assert ref.input_size == 4 and ref.hidden_size == 6
    assert float(ref.bias_hh_l0.detach().abs().sum()) == 0
    X = torch.randn(3, 2, 4)
    torch.testing.assert_close(ref(X)[0], mine(X)[0], atol=ATOL, rtol=0)
    back = RNNScratch.from_torch(ref)
    for name in ("W_xh", "W_hh", "b_h"):
        torch.testing.assert_close(getattr(back, name), getattr(mine, name), atol=0, rtol=0)


def test_from_torch_keeps_dtype():
    ref = nn.RNN(3, 4, dtype=torch.float64)
    mine = RNNScratch.from_torch(ref)
    assert mine.W_hh.dtype == torch.float64
    X = torch.randn(2, 1, 3, dtype=torch.float64)
    torch.testing.assert_close(mine(X)[0], ref(X)[0], atol=1e-12, rtol=0)


def test_rnn_step_is_the_formula():
    g = torch.Generator().manual_seed(0)
    X_t, H = torch.randn(3, 4, generator=g), torch.randn(3, 5, generator=g)
    W_xh, W_hh, b_h = torch.randn(4, 5, generator=g), torch.randn(5, 5, generator=g), torch.randn(5, generator=g)
    torch.testing.assert_close(rnn_step(X_t, H, W_xh, W_hh, b_h), torch.tanh(X_t @ W_xh + H @ W_hh + b_h))
    torch.testing.assert_close(
        rnn_step(X_t, H, W_xh, W_hh, b_h, "relu"), torch.clamp(X_t @ W_xh + H @ W_hh + b_h, min=0)
    )
    m = RNNScratch(4, 5)
    with torch.no_grad():
        m.W_xh.copy_(W_xh), m.W_hh.copy_(W_hh), m.b_h.copy_(b_h)
    torch.testing.assert_close(m.step(X_t, H), torch.tanh(X_t @ W_xh + H @ W_hh + b_h))
    # forward is the step applied in a loop
    X = torch.randn(4, 3, 4, generator=g)
    outs, H_T = m(X, H)
    H_loop = H
    for t in range(4):
        H_loop = torch.tanh(X[t] @ W_xh + H_loop @ W_hh + b_h)
        torch.testing.assert_close(outs[t], H_loop)
    torch.testing.assert_close(H_T, H_loop)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_gradcheck_float64(nonlinearity):
    torch.manual_seed(0)
    m = RNNScratch(3, 4, nonlinearity, dtype=torch.float64)
    X = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    H0 = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    params = tuple(p.detach().clone().requires_grad_() for p in (m.W_xh, m.W_hh, m.b_h))

    def f(X, H0, W_xh, W_hh, b_h):
        return functional_call(m, {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, (X, H0))

    assert torch.autograd.gradcheck(f, (X, H0, *params), eps=1e-6, atol=1e-5)


# ---------------------------------------------------------------- RNNLM


def test_rnnlm_scratch_core_equals_torch_core():
    V, h = 6, 8
    torch.manual_seed(0)
    lm_ref = RNNLM(nn.RNN(V, h), V)
    lm_mine = RNNLM(RNNScratch.from_torch(lm_ref.core), V)
    lm_mine.output.load_state_dict(lm_ref.output.state_dict())
    X = torch.randint(0, V, (3, 7))
    logits_ref, s_ref = lm_ref(X)
    logits_mine, s_mine = lm_mine(X)
    assert logits_mine.shape == (3, 7, V)
    torch.testing.assert_close(logits_mine, logits_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(s_mine, s_ref[0], atol=ATOL, rtol=0)
    # and with the state carried into the next minibatch
    X2 = torch.randint(0, V, (3, 4))
    torch.testing.assert_close(lm_mine(X2, s_mine)[0], lm_ref(X2, s_ref)[0], atol=1e-5, rtol=0)


def test_rnnlm_logits_are_one_hot_core_then_linear():
    V = 5
    lm = RNNLM(RNNScratch(V, 3), V)
    X = torch.tensor([[0, 4, 2]])
    outs, _ = lm.core(torch.eye(V)[X.T])
    torch.testing.assert_close(lm(X)[0], lm.output(outs).transpose(0, 1))


def test_rnnlm_with_lstm_core_and_detach_state():
    V = 4
    lm = RNNLM(nn.LSTM(V, 3), V)
    logits, state = lm(torch.randint(0, V, (2, 5)))
    assert logits.shape == (2, 5, V) and isinstance(state, tuple)
    detached = detach_state(state)
    assert all(not s.requires_grad for s in detached)
    assert detach_state(None) is None


def _tiny_setup(seed=0):
    text = "abcab cab ca" * 20
    vocab = Vocab(list(text))
    corpus = torch.tensor(vocab.encode(list(text)))
    lc.seed_everything(seed)
    model = RNNLM(RNNScratch(len(vocab), 8), len(vocab))
    return model, corpus, vocab


def test_seed_everything_makes_training_repeat():
    def run():
        model, corpus, _ = _tiny_setup()
        cfg = lc.FitConfig(num_epochs=1, batch_size=2, num_steps=5, lr=0.5, optimizer="sgd")
        hist = lc.train_lm(model, corpus, None, cfg, device="cpu", progress=False)
        return [p.detach().clone() for p in model.parameters()], hist.step_loss

    (p1, l1), (p2, l2) = run(), run()
    assert l1 == l2 and len(l1) > 0
    for a, b in zip(p1, p2, strict=True):
        assert torch.equal(a, b)


def test_generate_is_seeded_and_greedy_is_deterministic():
    model, _, vocab = _tiny_setup()
    a = generate(model, "ab", 20, vocab, seed=3)
    assert a == generate(model, "ab", 20, vocab, seed=3)
    assert a.startswith("ab")
    assert any(generate(model, "ab", 20, vocab, seed=s) != a for s in range(4, 10))
    g = generate(model, "ab", 15, vocab, temperature=None)
    assert g == generate(model, "ab", 15, vocab, temperature=None, seed=99)


def test_generate_greedy_takes_argmax():
    model, _, vocab = _tiny_setup()
    with torch.no_grad():
        model.output.bias[vocab.unk] = -100.0  # <unk> is never the argmax
    out = generate(model, "a", 3, vocab, temperature=None)
    idx = [vocab["a"]]
    with torch.no_grad():
        for _ in range(3):
            logits, _ = model(torch.tensor([idx]))
            idx.append(int(logits[0, -1].argmax()))
    assert out == "".join(vocab.to_tokens(idx))


def test_generate_restores_training_mode():
    model, _, vocab = _tiny_setup()
    model.train()
    generate(model, "a", 2, vocab)
    assert model.training
    model.eval()
    generate(model, "a", 2, vocab)
    assert not model.training


def test_generate_gives_num_preds_characters_and_never_unk():
    model, _, vocab = _tiny_setup()  # untrained: <unk> is as likely as any other token
    for seed in range(5):
        out = generate(model, "ab", 30, vocab, seed=seed)
        assert len(out) == 32 and "<unk>" not in out
    with torch.no_grad():  # make <unk> the most likely token: greedy must still not take it
        model.output.bias[vocab.unk] = 100.0
    assert "<unk>" not in generate(model, "ab", 5, vocab, temperature=None)


def test_generate_unknown_prefix_char():
    model, _, vocab = _tiny_setup()
    model.train()
    with pytest.raises(ValueError, match="é"):
        generate(model, "aé", 5, vocab)
    assert model.training  # a refused prefix leaves the model as it was


# ---- bad input


def scratch(d=3, h=4):
    torch.manual_seed(0)
    return lc.RNNScratch(d, h)


def rnn_args(X_t=None, H=None):
    r = scratch()
    X_t = torch.zeros(2, 3) if X_t is None else X_t
    H = torch.zeros(2, 4) if H is None else H
    return X_t, H, r.W_xh, r.W_hh, r.b_h


BAD_INPUT = [
    case("rnn-X-2d", lambda: scratch()(torch.zeros(2, 3)), ValueError, r"\bX\b.*3 dimensions"),
    case("rnn-X-features", lambda: scratch()(X3(d=5)), ValueError, r"\bX\b.*shape.*dimension 2 is 5, expected 3"),
    case("rnn-X-integer", lambda: scratch()(X3().long()), TypeError, r"\bX\b.*floating"),
    case("rnn-X-float64", lambda: scratch()(X3(dtype=torch.float64)), TypeError, r"\bX\b.*dtype.*float64"),
    case("rnn-X-empty", lambda: scratch()(X3(T=0)), ValueError, r"\bX\b.*empty"),
    case("rnn-X-not-tensor", lambda: scratch()([[[0.0] * 3]]), TypeError, r"\bX\b.*torch\.Tensor"),
    case("rnn-H-shape", lambda: scratch()(X3(B=2), torch.zeros(3, 4)), ValueError, r"\bH\b.*shape"),
    case("rnn-H-nn.RNN-shape", lambda: scratch()(X3(B=2), torch.zeros(1, 2, 4)), ValueError, r"\bH\b.*2 dimensions"),
    case(
        "rnn-H-float64",
        lambda: scratch()(X3(), torch.zeros(2, 4, dtype=torch.float64)),
        TypeError,
        r"\bH\b.*float64",
    ),
    case("rnn-num_hiddens-0", lambda: lc.RNNScratch(3, 0), ValueError, r"\bnum_hiddens\b"),
    case("rnn-num_inputs-negative", lambda: lc.RNNScratch(-3, 4), ValueError, r"\bnum_inputs\b.*-3"),
    case("rnn-num_inputs-bool", lambda: lc.RNNScratch(True, 4), TypeError, r"\bnum_inputs\b.*bool"),
    case("rnn-num_hiddens-float", lambda: lc.RNNScratch(3, 4.0), TypeError, r"\bnum_hiddens\b.*float"),
    case("rnn-nonlinearity", lambda: lc.RNNScratch(3, 4, "sigmoid"), ValueError, r"\bnonlinearity\b.*'sigmoid'"),
    case(
        "from_torch-2-layers",
        lambda: lc.RNNScratch.from_torch(nn.RNN(3, 4, num_layers=2)),
        ValueError,
        r"\brnn\b.*num_layers=2",
    ),
    case(
        "from_torch-bidirectional",
        lambda: lc.RNNScratch.from_torch(nn.RNN(3, 4, bidirectional=True)),
        ValueError,
        r"\brnn\b.*bidirectional=True",
    ),
    case(
        "from_torch-batch_first",
        lambda: lc.RNNScratch.from_torch(nn.RNN(3, 4, batch_first=True)),
        ValueError,
        r"\brnn\b.*batch_first=True",
    ),
    case(
        "from_torch-no-bias",
        lambda: lc.RNNScratch.from_torch(nn.RNN(3, 4, bias=False)),
        ValueError,
        r"\brnn\b.*bias=False",
    ),
    case("from_torch-lstm", lambda: lc.RNNScratch.from_torch(nn.LSTM(3, 4)), TypeError, r"\brnn\b.*LSTM"),
    case("from_torch-linear", lambda: lc.RNNScratch.from_torch(nn.Linear(3, 4)), TypeError, r"\brnn\b.*Linear"),
    case("lm-X-float", lambda: lm()(torch.zeros(2, 3)), TypeError, r"\bX\b.*integer"),
    case("lm-X-too-large", lambda: lm()(torch.tensor([[0, V]])), ValueError, r"\bX\b.*\[0, 5\)"),
    case("lm-X-negative", lambda: lm()(torch.tensor([[-1, 0]])), ValueError, r"\bX\b.*-1"),
    case("lm-X-1d", lambda: lm()(torch.tensor([0, 1])), ValueError, r"\bX\b.*2 dimensions"),
    case("lm-core-input-size", lambda: lc.RNNLM(lc.RNNScratch(4, 3), V), ValueError, r"\bvocab_size\b=5.*got 4"),
    case("lm-core-no-size", lambda: lc.RNNLM(nn.Linear(5, 3), V), TypeError, r"\bcore\b.*Linear"),
    case(
        "lm-core-batch_first", lambda: lc.RNNLM(nn.RNN(V, 3, batch_first=True), V), ValueError, r"\bcore\b.*batch_first"
    ),
    case("lm-vocab_size-0", lambda: lc.RNNLM(lc.RNNScratch(V, 3), 0), ValueError, r"\bvocab_size\b"),
    case("generate-empty-prefix", lambda: lc.generate(lm(), "", 5, VOCAB), ValueError, r"\bprefix\b"),
    case("generate-prefix-not-str", lambda: lc.generate(lm(), ["a"], 5, VOCAB), ValueError, r"\bprefix\b"),
    case("generate-unknown-char", lambda: lc.generate(lm(), "abé", 5, VOCAB), ValueError, r"\bprefix\b.*'é'"),
    case("generate-num_preds-0", lambda: lc.generate(lm(), "ab", 0, VOCAB), ValueError, r"\bnum_preds\b"),
    case(
        "generate-temperature-negative",
        lambda: lc.generate(lm(), "ab", 3, VOCAB, temperature=-1.0),
        ValueError,
        r"\btemperature\b.*-1",
    ),
    case(
        "generate-temperature-0",
        lambda: lc.generate(lm(), "ab", 3, VOCAB, temperature=0),
        ValueError,
        r"\btemperature\b",
    ),
    case(
        "rnn_step-nonlinearity", lambda: lc.rnn_step(*rnn_args(), "sigmoid"), ValueError, r"\bnonlinearity\b.*'sigmoid'"
    ),
    case("rnn_step-X_t-size", lambda: lc.rnn_step(*rnn_args(torch.zeros(2, 5))), ValueError, r"\bX_t\b.*expected 3"),
    case("rnn_step-X_t-1d", lambda: lc.rnn_step(*rnn_args(torch.zeros(3))), ValueError, r"\bX_t\b.*2 dimensions"),
    case(
        "rnn_step-H-batch-broadcast",
        lambda: lc.rnn_step(*rnn_args(H=torch.zeros(1, 4))),
        ValueError,
        r"\bH\b.*shape \(2, 4\)",
    ),
    case(
        "rnn_step-X_t-float64",
        lambda: lc.rnn_step(*rnn_args(torch.zeros(2, 3, dtype=torch.float64))),
        TypeError,
        r"\bX_t\b.*same dtype as W_xh",
    ),
    case(
        "bptt_tanh-W_hh-shape",
        lambda: lc.bptt_tanh(X3(), torch.zeros(2, 4), torch.zeros(2, 2, 4), torch.zeros(3, 3), torch.zeros(2, 2, 4)),
        ValueError,
        r"\bW_hh\b.*shape \(4, 4\)",
    ),
    case(
        "generate-temperature-inf",
        lambda: lc.generate(lm(), "ab", 3, VOCAB, temperature=INF),
        ValueError,
        r"\btemperature\b.*inf",
    ),
    case(
        "generate-temperature-nan",
        lambda: lc.generate(lm(), "ab", 3, VOCAB, temperature=NAN),
        ValueError,
        r"\btemperature\b.*nan",
    ),
    case("generate-prefix-None", lambda: lc.generate(lm(), None, 3, VOCAB), ValueError, r"\bprefix\b.*None"),
    case(
        "generate-vocab-size",
        lambda: lc.generate(lm(), "ab", 3, lc.Vocab(list("abcde"))),
        ValueError,
        r"\bvocab\b.*6 tokens.*vocab_size is 5",
    ),
    case("generate-vocab-None", lambda: lc.generate(lm(), "ab", 3, None), TypeError, r"\bvocab\b.*NoneType"),
    case("generate-seed-str", lambda: lc.generate(lm(), "ab", 3, VOCAB, seed="0"), TypeError, r"\bseed\b.*str"),
    case("generate-model-None", lambda: lc.generate(None, "ab", 3, VOCAB), TypeError, r"\bmodel\b.*NoneType"),
    case(
        "generate_causal-unknown",
        lambda: lc.generate_causal(lc.CharLSTM(V, 4, bidirectional=False), "az", 3, VOCAB),
        ValueError,
        r"\bprefix\b.*'z'",
    ),
    case(
        "charlstm-X-range",
        lambda: lc.CharLSTM(V, 4, bidirectional=True)(torch.tensor([[0, V]])),
        ValueError,
        r"\bX\b.*\[0, 5\)",
    ),
    case(
        "lm-X-device",
        lambda: lm()(torch.zeros(1, 2, dtype=torch.long, device="meta")),
        ValueError,
        r"\bX\b is on device meta, but the model's parameters are on cpu",
    ),
    case(
        "rnn-X-nan",
        lambda: scratch()(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere, got 12 NaN",
    ),
    case(
        "rnn-X-one-inf",
        lambda: scratch()(X3().index_fill(0, torch.tensor([1]), float("-inf"))),
        ValueError,
        r"\bX must be finite everywhere, got 0 NaN and 6 infinite",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
