"""Chapter 14: the scratch sLSTM and mLSTM (models/slstm.py, models/mlstm.py), the three mLSTM forms, bad input, the tasks
(TokenTagger, models/task_models.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from bad_input import bad_input_test, case

import lstm_companion as lc

D64 = torch.float64


def _qkv(B=2, NH=2, T=12, D=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, NH, T, D, generator=g, dtype=D64) for _ in range(3))
    i = 3 * torch.randn(B, NH, T, generator=g, dtype=D64)
    f = 3 * torch.randn(B, NH, T, generator=g, dtype=D64)
    return q, k, v, i, f


@pytest.mark.parametrize("forget", ["sigmoid", "exp"])
def test_mlstm_three_forms_equal(forget):
    q, k, v, i, f = _qkv()
    if forget == "exp":
        f = -f.abs() / 3  # an exponential forget gate kept below 1
    r = lc.mlstm_recurrent(q, k, v, i, f, eps=0.0, forget=forget)
    p = lc.mlstm_parallel(q, k, v, i, f, eps=0.0, forget=forget)
    c = lc.mlstm_chunkwise(q, k, v, i, f, chunk_size=4, eps=0.0, forget=forget)
    assert r.shape == (2, 2, 12, 4)
    torch.testing.assert_close(p, r, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(c, r, rtol=1e-10, atol=1e-10)


def test_mlstm_forms_gradients_equal():
    args = [t.requires_grad_() for t in _qkv(T=8)]
    grads = []
    for fn in (lc.mlstm_recurrent, lc.mlstm_parallel, lambda *a, **k: lc.mlstm_chunkwise(*a, chunk_size=4, **k)):
        out = fn(*args, eps=0.0)
        grads.append(torch.autograd.grad(out.square().sum(), args))
    for g in grads[1:]:
        for a, b in zip(g, grads[0]):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("form", ["recurrent", "parallel", "chunkwise"])
def test_mlstm_gradcheck(form):
    args = tuple(t.requires_grad_() for t in _qkv(B=1, NH=1, T=4, D=2))
    fn = {
        "recurrent": lc.mlstm_recurrent,
        "parallel": lc.mlstm_parallel,
        "chunkwise": lambda *a: lc.mlstm_chunkwise(*a, chunk_size=2),
    }[form]
    assert torch.autograd.gradcheck(fn, args)


def test_mlstm_layer_forms_equal_and_gradcheck():
    torch.manual_seed(0)
    layer = lc.MLSTMScratch(3, 8, 2, chunk_size=4).double()
    x = torch.randn(2, 10, 3, dtype=D64)  # 10 is not a multiple of 4: the chunkwise form pads
    outs = [layer(x, form=f) for f in lc.MLSTM_FORMS]
    for o in outs[1:]:
        torch.testing.assert_close(o, outs[0], rtol=1e-6, atol=1e-8)
    xs = torch.randn(1, 3, 3, dtype=D64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: layer(t, form="recurrent"), (xs,))


@pytest.mark.slow
@pytest.mark.parametrize("forget", ["sigmoid", "exp"])
def test_slstm_gradcheck_and_state(forget):
    torch.manual_seed(0)
    layer = lc.SLSTMScratch(3, 4, 2, forget=forget).double()
    x = torch.randn(2, 3, 3, dtype=D64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: layer(t)[0], (x,))
    params = tuple(layer.parameters())
    assert torch.autograd.gradcheck(lambda W, R, b: lc.slstm_scan(x.detach() @ W.T, R, b, forget=forget)[0], params)
    # running in two halves with the state carried equals one run
    x = torch.randn(2, 6, 3, dtype=D64)
    y, _ = layer(x)
    y1, s = layer(x[:, :3])
    y2, _ = layer(x[:, 3:], s)
    torch.testing.assert_close(torch.cat([y1, y2], 1), y)


def test_slstm_stabiliser():
    torch.manual_seed(0)
    layer = lc.SLSTMScratch(2, 4, 1)
    x = 200 * torch.randn(1, 50, 2)
    with torch.no_grad():
        raw, _ = layer(x, stabilise=False)
        stab, _ = layer(x)
        ref, _ = layer.double()(x.double())
    assert not bool(torch.isfinite(raw).all())
    torch.testing.assert_close(stab.double(), ref, rtol=1e-4, atol=1e-5)


def test_matched_hidden_near_budget():
    for core in lc.TAGGER_CORES:
        h = lc.matched_hidden(core, 1200, 2, 2, embed_size=8)
        n = lc.tagger_num_params(core, 2, 2, h, embed_size=8)
        assert abs(n - 1200) < 0.1 * 1200, (core, h, n)


def test_tasks_data():
    X, Y = lc.parity_task(4, 7, seed=1)
    assert torch.equal(Y, X.cumsum(1) % 2)
    assert torch.equal(X, lc.parity_task(4, 7, seed=1)[0])
    X, Y = lc.mqar_task(3, 4, num_keys=8, num_values=8, seed=0)
    assert X.shape == Y.shape == (3, 12)
    for row_x, row_y in zip(X, Y):
        pairs = dict(zip(row_x[:8:2].tolist(), row_x[1:8:2].tolist()))
        assert len(pairs) == 4
        assert all(pairs[k] == v for k, v in zip(row_x[8:].tolist(), row_y[8:].tolist()))
        assert (row_y[:8] == -100).all()
    with pytest.raises(ValueError, match="num_pairs must be at most"):
        lc.mqar_task(2, 9, num_keys=8)


@pytest.mark.slow
def test_run_parity_tiny():
    base = lc.PARITY_RECIPE
    recipe = replace(base, fit=replace(base.fit, num_epochs=1), batches_per_epoch=2, num_test=8, test_lengths=(8,))
    r = lc.run_parity("mingru", 0, recipe)
    assert set(r["test_acc"]) == {"8"} and 0.0 <= r["test_acc"]["8"] <= 1.0
    with pytest.raises(ValueError, match="core must be one of"):
        lc.run_parity("gru", 0)
    with pytest.raises(TypeError, match="recipe must be a ParityRecipe or None, got dict"):
        lc.run_parity("mingru", 0, {"num_epochs": 1})  # type: ignore[arg-type]
    assert lc.PARITY_RECIPE.record()["test_lengths"] == [40, 256]  # JSON's form


def test_tagger_shift_reads_the_previous_token():
    torch.manual_seed(0)
    tagger = lc.TokenTagger("mingru", 5, 3, 4, embed_size=2, shift=1)
    assert tagger.core.input_size == 4
    a = tagger(torch.tensor([[1, 2, 3]]))
    b = tagger(torch.tensor([[4, 2, 3]]))
    # step 1 sees token 0 through the shift, so it changes; step 0 of a causal model cannot see later tokens
    assert not torch.allclose(a[:, 1], b[:, 1])
    c = tagger(torch.tensor([[1, 2, 4]]))
    torch.testing.assert_close(a[:, :2], c[:, :2])
    with pytest.raises(ValueError, match="shift must be 0 or 1"):
        lc.TokenTagger("lstm", 2, 2, 4, shift=2)
    h = lc.matched_hidden("mlstm", 12000, 64, 64, embed_size=32, shift=1)
    assert abs(lc.tagger_num_params("mlstm", 64, 64, h, embed_size=32, shift=1) - 12000) < 1200


def test_every_core_has_a_label() -> None:
    assert set(lc.CORE_LABELS) == set(lc.TAGGER_CORES)
    assert len(set(lc.CORE_LABELS.values())) == len(lc.CORE_LABELS)


# ---- bad input


def with_qkv(call):
    """A callable that calls ``call(q, k, v, i, f)`` on the inputs of ``_qkv(T=6)``."""
    return lambda: call(*_qkv(T=6))


BAD_INPUT = [
    case(
        "recipes-ParityRecipe-test_lengths-float",
        lambda: replace(lc.PARITY_RECIPE, test_lengths=(40.5, 256)),
        TypeError,
        r"ParityRecipe\.test_lengths\[0\] must be an int",
    ),
    case(
        "recipes-ParityRecipe-batches_per_epoch-0",
        lambda: replace(lc.PARITY_RECIPE, batches_per_epoch=0),
        ValueError,
        r"ParityRecipe\.batches_per_epoch must be an int > 0, got 0",
    ),
    case(
        "recipes-ParityRecipe-test_lengths-list",
        lambda: replace(lc.PARITY_RECIPE, test_lengths=[40]),
        TypeError,
        r"ParityRecipe\.test_lengths must be a non-empty tuple, got list",
    ),
    case(
        "recipes-ParityRecipe-fit-dict",
        lambda: replace(lc.PARITY_RECIPE, fit={"lr": 0.1}),
        TypeError,
        r"ParityRecipe\.fit must be a FitConfig, got dict",
    ),
    case(
        "recipes-MQARRecipe-shift-negative",
        lambda: replace(lc.MQAR_RECIPE, shift=-1),
        ValueError,
        r"MQARRecipe\.shift must be an int >= 0, got -1",
    ),
    case(
        "recipes-run_mqar-recipe-parity",
        lambda: lc.run_mqar("lstm", 0, 4, lc.PARITY_RECIPE),  # type: ignore[arg-type]
        TypeError,
        r"recipe must be a MQARRecipe or None, got ParityRecipe",
    ),
    case("slstm-x-size", lambda: lc.SLSTMScratch(3, 4, 2)(torch.randn(2, 5, 4)), ValueError, r"\bx must have shape"),
    case(
        "slstm-x-nan",
        lambda: lc.SLSTMScratch(3, 4, 2)(torch.full((1, 2, 3), math.nan)),
        ValueError,
        r"\bx must be finite",
    ),
    case("slstm-forget", lambda: lc.SLSTMScratch(3, 4, 2, forget="tanh"), ValueError, r"forget must be one of"),
    case(
        "mlstm-form",
        lambda: lc.MLSTMScratch(3, 4, 2)(torch.randn(1, 2, 3), form="fast"),
        ValueError,
        r"form must be one of",
    ),
    case(
        "mlstm-x-inf",
        lambda: lc.MLSTMScratch(3, 4, 2)(torch.tensor([[[1.0, math.inf, 0.0]]])),
        ValueError,
        r"\bx must be finite",
    ),
    case(
        "mlstm_parallel-k-size",
        with_qkv(lambda q, k, v, i, f: lc.mlstm_parallel(q, k[:, :, :5], v, i, f)),
        ValueError,
        r"\bk must have shape",
    ),
    case(
        "mlstm_recurrent-i_pre-rank",
        with_qkv(lambda q, k, v, i, f: lc.mlstm_recurrent(q, k, v, i[..., None], f)),
        ValueError,
        r"i_pre must have 3 dimensions",
    ),
    case(
        "mlstm_chunkwise-chunk_size",
        with_qkv(lambda q, k, v, i, f: lc.mlstm_chunkwise(q, k, v, i, f, chunk_size=4)),
        ValueError,
        r"chunk_size must divide",
    ),
    case(
        "slstm_scan-x_pre-size",
        lambda: lc.slstm_scan(torch.randn(1, 2, 5), torch.randn(1, 8, 2), torch.zeros(8)),
        ValueError,
        r"x_pre must have",
    ),
    case("token_tagger-core", lambda: lc.TokenTagger("gru", 2, 2, 4), ValueError, r"core must be one of"),
    case(
        "token_tagger-tokens-range",
        lambda: lc.TokenTagger("lstm", 2, 2, 4)(torch.tensor([[0, 2]])),
        ValueError,
        r"tokens must lie in",
    ),
    case(
        "xlstm-SLSTMScratch-num_heads",
        lambda: lc.SLSTMScratch(3, 10, 3),
        ValueError,
        r"num_heads must divide hidden_size",
    ),
    case(
        "xlstm-MLSTMScratch-num_heads",
        lambda: lc.MLSTMScratch(3, 10, 4),
        ValueError,
        r"num_heads must divide hidden_size",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
