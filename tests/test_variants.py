"""Tests of ``lstm_companion.variants``: LSTM variants and the ablation runner (chapter 8)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from bad_input import INF, X3, bad_input_test, case, write_and_read
from torch import nn

import lstm_companion as lc
from lstm_companion import ABLATIONS, RNNLM, VARIANT_BLOCKS, VARIANTS, LastStateModel, LSTMVariant, lstm_num_params

ATOL = 1e-5


@pytest.mark.parametrize("with_state", [False, True])
def test_vanilla_equals_nn_lstm_forward_and_backward(with_state):
    d, h, T, B = 5, 7, 6, 3
    torch.manual_seed(0)
    ref = nn.LSTM(d, h)
    mine = LSTMVariant.from_torch(ref)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g)
    state = (torch.randn(1, B, h, generator=g), torch.randn(1, B, h, generator=g)) if with_state else None
    X_ref, X_mine = X.clone().requires_grad_(), X.clone().requires_grad_()
    out_ref, (hn_ref, cn_ref) = ref(X_ref, state)
    out_mine, (hn_mine, cn_mine) = mine(X_mine, state)
    torch.testing.assert_close(out_mine, out_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(hn_mine, hn_ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(cn_mine, cn_ref, atol=ATOL, rtol=0)
    w = torch.randn(T, B, h, generator=g)
    ((out_ref * w).sum() + cn_ref.sin().sum()).backward()
    ((out_mine * w).sum() + cn_mine.sin().sum()).backward()
    tol = {"atol": 1e-4, "rtol": 1e-4}
    torch.testing.assert_close(mine.W_x.grad, ref.weight_ih_l0.grad.T, **tol)
    torch.testing.assert_close(mine.W_h.grad, ref.weight_hh_l0.grad.T, **tol)
    torch.testing.assert_close(mine.b.grad, ref.bias_ih_l0.grad, **tol)
    torch.testing.assert_close(X_mine.grad, X_ref.grad, **tol)
    torch.testing.assert_close(mine.to_torch()(X, state)[0], out_ref, atol=ATOL, rtol=0)


def _manual(mine: LSTMVariant, X: torch.Tensor) -> torch.Tensor:
    """The variant's equations written out one gate at a time, independently of its forward."""
    h = mine.num_hiddens
    H = C = torch.zeros(X.shape[1], h, dtype=X.dtype)
    outs = []
    for X_t in X:

        def pre(g):
            s = mine.block_slice(g)
            return X_t @ mine.W_x[:, s] + H @ mine.W_h[:, s] + mine.b[s]

        ones = torch.ones_like(H)
        F = torch.sigmoid(pre("f")) if "f" in mine.blocks else ones
        I = torch.sigmoid(pre("i")) if "i" in mine.blocks else (1 - F if mine.variant == "coupled" else ones)
        O = torch.sigmoid(pre("o")) if "o" in mine.blocks else ones
        C = F * C + I * torch.tanh(pre("c"))
        H = O * torch.tanh(C)
        outs.append(H)
    return torch.stack(outs)


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_follows_its_equations(variant):
    torch.manual_seed(0)
    mine = LSTMVariant(3, 5, variant=variant, dtype=torch.float64)
    X = torch.randn(6, 2, 3, dtype=torch.float64)
    out, (hn, cn) = mine(X)
    assert out.shape == (6, 2, 5) and hn.shape == cn.shape == (1, 2, 5)
    torch.testing.assert_close(out, _manual(mine, X), atol=1e-12, rtol=0)
    k = len(VARIANT_BLOCKS[variant])
    assert mine.num_params() == k * (5 * (3 + 5) + 5)
    if variant == "vanilla":
        assert mine.num_params() + 4 * 5 == lstm_num_params(3, 5)  # nn.LSTM keeps two biases
    else:
        assert k == 3


@pytest.mark.parametrize("variant", VARIANTS)
def test_gradcheck_float64(variant):
    torch.manual_seed(0)
    mine = LSTMVariant(3, 4, variant=variant, dtype=torch.float64)
    X = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in mine.named_parameters()]

    def f(X, *ps):
        out, (hn, cn) = torch.func.functional_call(mine, dict(zip(names, ps)), (X,))
        return out.sum(dim=(0, 1)) + cn.sum()

    assert torch.autograd.gradcheck(f, (X, *[p.detach().clone().requires_grad_() for p in mine.parameters()]))


def test_forget_bias_sets_b_f_only():
    torch.manual_seed(0)
    mine = LSTMVariant(3, 4, variant="coupled", forget_bias=1.0)
    assert torch.all(mine.b[mine.block_slice("f")] == 1.0)
    assert not torch.all(mine.b[mine.block_slice("c")] == 1.0)
    torch.manual_seed(0)
    plain = LSTMVariant(3, 4, variant="coupled")
    assert torch.equal(plain.W_x, mine.W_x)  # same seed, same weights: only b_f differs


def test_drops_into_rnnlm_and_last_state_model():
    lm = RNNLM(LSTMVariant(10, 8, variant="no_output"), 10)
    logits, state = lm(torch.randint(0, 10, (3, 6)))
    assert logits.shape == (3, 6, 10) and state[0].shape == (1, 3, 8)
    logits, _ = lm(torch.randint(0, 10, (3, 6)), state)
    assert LastStateModel(LSTMVariant(2, 8, variant="coupled"), 1)(torch.randn(4, 7, 2)).shape == (4, 1)


@pytest.mark.parametrize("ablation", list(ABLATIONS))
def test_make_core_gives_time_major_cores(ablation):
    core = lc.make_core(ablation, 2, 6)
    out, _ = core(torch.randn(5, 3, 2))
    assert out.shape == (5, 3, 6)


def test_run_ablation_repeats_and_caches(monkeypatch):
    tiny = lc.AddingAblation(
        num_steps=8, num_hiddens=4, num_train=128, num_test=64, fit=replace(lc.AddingAblation().fit, num_updates=3)
    )
    monkeypatch.setattr(lc.recipes.ablations, "ABLATION_RECIPES", {**lc.ABLATION_RECIPES, "adding": tiny})
    data = lc.ablation_data("adding")
    a, _ = lc.run_ablation("adding", "coupled", 1, data, progress=False)
    b, _ = lc.run_ablation("adding", "coupled", 1, data, progress=False, cache=True)
    c, _ = lc.run_ablation("adding", "coupled", 1, data, progress=False, cache=True)  # loaded
    assert a == b == c
    d, _ = lc.run_ablation("adding", "coupled", 2, data, progress=False)
    assert d != a


# ---- bad input


ABLATION_TABLE = {"settings": {}, "ablations": [], "seeds": [0], "results": {"adding": {"vanilla": {"scores": [1.0]}}}}


BAD_INPUT = [
    case(
        "recipes-AddingAblation-num_train-0",
        lambda: replace(lc.ABLATION_RECIPES["adding"], num_train=0),
        ValueError,
        r"AddingAblation\.num_train must be an int > 0, got 0",
    ),
    case(
        "recipes-CharLMAblation-fit-lr",
        lambda: replace(lc.ABLATION_RECIPES["char_lm"], fit=lc.FitConfig(lr=-1.0)),
        ValueError,
        r"\blr must be a number > 0, got -1\.0",
    ),
    case("variant-name", lambda: lc.LSTMVariant(3, 4, variant="peephole"), ValueError, r"\bvariant\b.*'peephole'"),
    case("variant-forget_bias-inf", lambda: lc.LSTMVariant(3, 4, forget_bias=INF), ValueError, r"\bforget_bias\b.*inf"),
    case(
        "variant-no_forget-bias",
        lambda: lc.LSTMVariant(3, 4, variant="no_forget", forget_bias=1.0),
        ValueError,
        r"\bforget_bias\b must be None",
    ),
    case("variant-X-integer", lambda: lc.LSTMVariant(3, 4)(X3().long()), TypeError, r"\bX\b.*floating"),
    case(
        "ablation_table-damaged",
        write_and_read(lc.load_ablation_table, '{"settings": '),
        ValueError,
        r"table\.json is not a valid JSON ablation table",
    ),
    case(
        "ablation_table-incomplete",
        write_and_read(lc.load_ablation_table, '{"settings": {}}'),
        ValueError,
        r"table\.json is not a complete ablation table.*'ablations'",
    ),
    case(
        "ablation_table-row-without-mean",
        write_and_read(lc.load_ablation_table, json.dumps(ABLATION_TABLE)),
        ValueError,
        r"table\.json \['results'\]\['adding'\]\['vanilla'\].*'mean'",
    ),
    case(
        "ablation_table-missing",
        lambda: lc.load_ablation_table("no/such/ablations.json"),
        FileNotFoundError,
        r"ablations\.json was not found",
    ),
    case("make_core-ablation", lambda: lc.make_core("nope", 2, 4), ValueError, r"\bablation\b.*'nope'"),
    case("make_core-num_hiddens-0", lambda: lc.make_core("gru", 2, 0), ValueError, r"\bnum_hiddens\b.*0"),
    case(
        "ablation_model-seed-str",
        lambda: lc.ablation_model("adding", "vanilla", "1", lc.AblationData("adding")),
        TypeError,
        r"\bseed\b.*str",
    ),
    case(
        "ablation_model-data-None",
        lambda: lc.ablation_model("adding", "vanilla", 1, None),
        TypeError,
        r"\bdata\b.*NoneType",
    ),
    case("ablation-task", lambda: lc.ablation_data("sorting"), ValueError, r"\btask\b.*'sorting'"),
    case(
        "variant-X-nan",
        lambda: lc.LSTMVariant(3, 4)(torch.full((2, 2, 3), float("nan"))),
        ValueError,
        r"\bX must be finite everywhere, got 12 NaN",
    ),
    case(
        "variant-coupled-X-inf",
        lambda: lc.LSTMVariant(3, 4, variant="coupled")(torch.full((2, 2, 3), float("inf"))),
        ValueError,
        r"\bX must be finite.*12 infinite",
    ),
    case(
        "variants-LSTMVariant-variant",
        lambda: LSTMVariant(3, 4, variant="peephole"),
        ValueError,
        r"variant must be one of",
    ),
    case(
        "variants-LSTMVariant-variant_no_forget",
        lambda: LSTMVariant(3, 4, variant="no_forget", forget_bias=1.0),
        ValueError,
        r"no forget gate, so forget_bias must be None",
    ),
    case(
        "variants-LSTMVariant-forget_bias",
        lambda: LSTMVariant(3, 4, forget_bias="1"),
        TypeError,
        r"forget_bias must be a finite number",
    ),
    case(
        "variants-LSTMVariant-forget_bias-2",
        lambda: LSTMVariant(3, 4, forget_bias=float("nan")),
        ValueError,
        r"forget_bias must be a finite number",
    ),
    case("variants-LSTMVariant-X", lambda: LSTMVariant(3, 4)(torch.randn(5, 2, 4)), ValueError, r"X must have shape"),
    case(
        "variants-LSTMVariant-state_0",
        lambda: LSTMVariant(3, 4)(torch.randn(5, 2, 3), (torch.zeros(2, 2, 4), torch.zeros(2, 2, 4))),
        ValueError,
        r"state\[0\] \(H0\) must have shape",
    ),
    case(
        "variants-LSTMVariant-block",
        lambda: LSTMVariant(3, 4, variant="no_input").block_slice("i"),
        ValueError,
        r"block must be one of",
    ),
    case(
        "variants-LSTMVariant-only",
        lambda: LSTMVariant(3, 4, variant="coupled").to_torch(),
        ValueError,
        r"only variant='vanilla' converts",
    ),
    case("variants-from_torch-lstm", lambda: LSTMVariant.from_torch(nn.LSTM(3, 4, 2)), ValueError, r"num_layers=1"),
    case("variants-make_core-ablation", lambda: lc.make_core("lstm", 2, 4), ValueError, r"ablation must be one of"),
    case("variants-ablation_data-task", lambda: lc.ablation_data("mnist"), ValueError, r"task must be one of"),
    case(
        "variants-run_ablation-seed",
        lambda: lc.run_ablation("adding", "vanilla", 1.5),
        TypeError,
        r"seed must be an int",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
