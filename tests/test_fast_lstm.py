"""Tests of ``lstm_companion.models.fast_lstm`` and ``bench/lstm_speed.py`` (chapter 10).

Every implementation equals ``nn.LSTM``: outputs, final states and all
gradients in float32, and ``gradcheck`` in float64.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
from bad_input import X3, bad_input_test, case, st

matplotlib.use("Agg")

import pytest
import torch
from torch import nn
from torch.func import functional_call

import lstm_companion as lc
from lstm_companion import (
    BPTTLSTM,
    FusedLSTM,
    LSTMFunction,
    PremultipliedLSTM,
    ScriptedLSTM,
    make_lstm,
    torch_layout_grads,
)

ROOT = Path(__file__).resolve().parents[1]
# torch.compile takes tens of seconds to compile on a CPU: tested once, in its own (slow) test.
QUICK = [name for name in lc.IMPLEMENTATIONS if name != "compile"]
FAST_CLASSES = [FusedLSTM, PremultipliedLSTM, BPTTLSTM, ScriptedLSTM]


def _reference(d: int = 5, h: int = 7, seed: int = 0) -> nn.LSTM:
    torch.manual_seed(seed)
    return nn.LSTM(d, h)


def _run_and_backward(
    model: nn.Module, X: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None, w: torch.Tensor
):
    X = X.clone().requires_grad_()
    state = None if state is None else tuple(s.clone().requires_grad_() for s in state)
    out, (h_n, c_n) = model(X, state)
    # one loss touching every output and both final states
    ((out * w).sum() + h_n.pow(2).sum() + c_n.sin().sum()).backward()
    grads = {"X": X.grad}
    if state is not None:
        grads["H0"], grads["C0"] = state[0].grad, state[1].grad
    grads.update(torch_layout_grads(model))
    return out, h_n, c_n, grads


def _check_equal(name: str, with_state: bool, T: int = 6, B: int = 3, d: int = 5, h: int = 7) -> None:
    ref = _reference(d, h)
    mine = make_lstm(name, ref)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g)
    state = (torch.randn(1, B, h, generator=g), torch.randn(1, B, h, generator=g)) if with_state else None
    w = torch.randn(T, B, h, generator=g)
    out_r, h_r, c_r, grads_r = _run_and_backward(ref, X, state, w)
    out_m, h_m, c_m, grads_m = _run_and_backward(mine, X, state, w)
    assert out_m.shape == (T, B, h) and h_m.shape == c_m.shape == (1, B, h)
    torch.testing.assert_close(out_m, out_r, atol=1e-5, rtol=0)
    torch.testing.assert_close(h_m, h_r, atol=1e-5, rtol=0)
    torch.testing.assert_close(c_m, c_r, atol=1e-5, rtol=0)
    assert grads_m.keys() == grads_r.keys()
    for key in grads_r:
        torch.testing.assert_close(grads_m[key], grads_r[key], atol=1e-4, rtol=1e-4, msg=f"{name}: grad {key}")


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name", QUICK)
def test_equals_nn_lstm_outputs_and_gradients(name: str, with_state: bool) -> None:
    _check_equal(name, with_state)


def test_single_step_and_batch_of_one() -> None:
    for name in QUICK:
        _check_equal(name, True, T=1, B=1)


@pytest.mark.slow
def test_compiled_equals_nn_lstm() -> None:
    _check_equal("compile", True)


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda c: c.__name__)
def test_gradcheck_float64(cls: type) -> None:
    torch.manual_seed(0)
    model = cls(3, 4, dtype=torch.float64)
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    X = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    H0 = torch.randn(1, 2, 4, dtype=torch.float64, requires_grad=True)
    C0 = torch.randn(1, 2, 4, dtype=torch.float64, requires_grad=True)

    def f(X, H0, C0, *ps):
        out, (h_n, c_n) = functional_call(model, dict(zip(names, ps)), (X, (H0, C0)))
        return out, h_n, c_n

    assert torch.autograd.gradcheck(f, (X, H0, C0, *params))


def test_lstm_function_gradcheck_and_needs_input_grad() -> None:
    torch.manual_seed(0)
    dd = dict(dtype=torch.float64)
    X, H0, C0 = torch.randn(5, 2, 3, **dd), torch.randn(2, 4, **dd), torch.randn(2, 4, **dd)
    W_x, W_h, b = torch.randn(3, 16, **dd), torch.randn(4, 16, **dd), torch.randn(16, **dd)
    args = [t.clone().requires_grad_() for t in (X, H0, C0, W_x, W_h, b)]
    assert torch.autograd.gradcheck(LSTMFunction.apply, tuple(args))
    # only W_h needs a gradient: the backward pass skips the others, and W_h's equals autograd's
    W_h_mine, W_h_ref = W_h.clone().requires_grad_(), W_h.clone().requires_grad_()
    out, h_n, c_n = LSTMFunction.apply(X, H0, C0, W_x, W_h_mine, b)
    (out.sum() + c_n.sum()).backward()
    out_r, _, c_r = PremultipliedLSTM.run(_WithWeights(W_x, W_h_ref, b), X, H0, C0)  # type: ignore[arg-type]
    (out_r.sum() + c_r.sum()).backward()
    torch.testing.assert_close(W_h_mine.grad, W_h_ref.grad)


class _WithWeights:
    """Stand-in ``self`` for calling ``PremultipliedLSTM.run`` on given weights."""

    def __init__(self, W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor) -> None:
        self.W_x, self.W_h, self.b = W_x, W_h, b


def test_round_trip_to_torch_and_back() -> None:
    torch.manual_seed(0)
    for cls in FAST_CLASSES:
        model = cls(5, 7)
        back = cls.from_torch(model.to_torch())
        assert all(torch.equal(p, q) for p, q in zip(model.parameters(), back.parameters()))
        X = torch.randn(4, 2, 5)
        torch.testing.assert_close(model(X)[0], model.to_torch()(X)[0], atol=1e-5, rtol=0)


def test_make_lstm_copies_nn_lstm() -> None:
    ref = _reference()
    copy = make_lstm("nn.LSTM", ref)
    assert copy is not ref
    assert all(torch.equal(p, q) for p, q in zip(copy.parameters(), ref.parameters()))
    assert set(lc.LADDER) == {*lc.IMPLEMENTATIONS, "nn.LSTM"}


def test_op_counts_show_the_ladder() -> None:
    T = 7
    ref = _reference()
    X = torch.randn(T, 3, 5)
    counts = {name: lc.op_counts(make_lstm(name, ref), X, train=False) for name in ("naive", "fused", "premultiplied")}
    products = {name: c.get("aten::mm", 0) + c.get("aten::addmm", 0) for name, c in counts.items()}
    assert products == {"naive": 8 * T, "fused": T, "premultiplied": T + 1}
    train = lc.op_counts(make_lstm("nn.LSTM", ref), X, train=True)
    assert train.get("aten::mm", 0) + train.get("aten::addmm", 0) == 0  # one fused kernel, no loop of products


def test_time_interleaved_and_summaries() -> None:
    calls: list[str] = []
    seconds = lc.time_interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmup=1)
    assert {k: len(v) for k, v in seconds.items()} == {"a": 3, "b": 3}
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]  # the order rotates every round
    s = lc.summarize_times([0.001, 0.002, 0.003, 0.004, 0.005])
    assert s["median"] == pytest.approx(3.0) and s["min"] == pytest.approx(1.0) and s["max"] == pytest.approx(5.0)
    assert s["q25"] == pytest.approx(2.0) and s["q75"] == pytest.approx(4.0) and s["n"] == 5


def test_profile_table_names_the_products() -> None:
    ref = _reference()
    table = lc.profile_table(make_lstm("premultiplied", ref), torch.randn(3, 2, 5), row_limit=30)
    assert "aten::addmm" in table


def test_plot_speed_ladder() -> None:
    import matplotlib.pyplot as plt

    def r(ms: float) -> dict:
        return {"train_ms": {"median": ms, "q25": 0.9 * ms, "q75": 1.1 * ms}}

    shape = {
        "name": "x",
        "num_steps": 10,
        "batch_size": 2,
        "num_inputs": 3,
        "num_hiddens": 4,
        "results": {"naive": r(30.0), "bptt": r(12.0), "nn.LSTM": r(10.0)},
    }
    ax = lc.plot_speed_ladder(shape)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["naive", "bptt", "nn.LSTM"]
    plt.close("all")
    with pytest.raises(ValueError, match="nn.LSTM"):
        lc.plot_speed_ladder({**shape, "results": {"naive": r(1.0)}})


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", [FusedLSTM, PremultipliedLSTM, BPTTLSTM, lc.ScriptedLSTM, lc.CppLSTM])
def test_bad_inputs_raise_clear_errors(cls: type[lc.FastLSTMBase]) -> None:
    """Every fast LSTM shares FastLSTMBase's checks (the C++ rung's included: one test, every class)."""
    model = cls(5, 7)
    with pytest.raises(ValueError, match=r"X must have 3 dimensions"):
        model(torch.randn(4, 5))
    with pytest.raises(ValueError, match=r"X must have shape \(\*, \*, 5\)"):
        model(torch.randn(4, 2, 6))
    with pytest.raises(TypeError, match="X must have the parameters' dtype"):
        model(torch.randn(4, 2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="X must be a floating-point tensor"):
        model(torch.zeros(4, 2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"X is on device meta"):
        model(torch.empty(4, 2, 5, device="meta"))
    with pytest.raises(TypeError, match="state must be a tuple"):
        model(torch.randn(4, 2, 5), torch.zeros(1, 2, 7))
    with pytest.raises(ValueError, match=r"state\[0\] \(H0\) must have shape \(1, 2, 7\)"):
        model(torch.randn(4, 2, 5), (torch.zeros(2, 2, 7), torch.zeros(1, 2, 7)))
    with pytest.raises(ValueError, match="X must not be empty"):
        model(torch.randn(0, 2, 5))
    with pytest.raises(TypeError, match="num_hiddens must be an int"):
        cls(5, 7.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_inputs must be an int > 0"):
        cls(0, 7)
    with pytest.raises(TypeError, match="lstm must be a torch.nn.LSTM, got GRU"):
        cls.from_torch(nn.GRU(3, 4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_layers=1.*got num_layers=2"):
        cls.from_torch(nn.LSTM(3, 4, num_layers=2))


# ---------------------------------------------------------------- the benchmark script


def _run_bench(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lstm_speed.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_bench_script_tiny(tmp_path: Path) -> None:
    out = tmp_path / "res" / "speed.json"
    proc = _run_bench(
        "--shape",
        "tiny=4,2,3,4",
        "--repeats",
        "2",
        "--warmup",
        "1",
        "--threads",
        "1",
        "--impls",
        "naive,premultiplied,bptt,nn.LSTM",
        "--out",
        str(out),
        "--note",
        "test run",
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["note"] == "test run"
    assert {"cpu", "usable_cores", "torch", "torch_threads"} <= report["machine"].keys()
    assert report["machine"]["torch_threads"] == 1
    (shape,) = report["shapes"]
    assert (shape["num_steps"], shape["batch_size"], shape["num_inputs"], shape["num_hiddens"]) == (4, 2, 3, 4)
    assert list(shape["results"]) == ["naive", "premultiplied", "bptt", "nn.LSTM"]
    for r in shape["results"].values():
        assert r["forward_ms"]["n"] == r["train_ms"]["n"] == 2
        assert r["train_ms"]["median"] > 0 and r["peak_train_mib"] >= 0
    assert shape["results"]["nn.LSTM"]["train_ratio"] == pytest.approx(1.0)
    assert shape["fastest_companion"] in ("naive", "premultiplied", "bptt")
    assert shape["fastest_companion"] in shape["profile"]
    limit = shape["roofline"]
    assert set(limit["matmul_gflops"]) == {"peak", "projection", "step"}
    assert limit["flops"] == lc.lstm_matmul_flops(4, 2, 3, 4)
    assert 0 < limit["bound_ms"]["peak"] and 0 < limit["bound_ms"]["shapes"]
    for r in shape["results"].values():
        assert r["train_roofline_share"] == pytest.approx(limit["bound_ms"]["shapes"] / r["train_ms"]["median"])
    md = out.with_suffix(".md").read_text()
    assert "| bptt |" in md and "T=4, B=2, d=3, h=4" in md and "% of roofline" in md and "Roofline:" in md


def _bench_module():
    spec = importlib.util.spec_from_file_location("lstm_speed", ROOT / "bench" / "lstm_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--shape", "tiny=4,2,3"], "NAME=T,B,I,H"),
        (["--shape", "huge"], "shape must be one of"),
        (["--impls", "naive,turbo"], "--impls must name"),
        (["--repeats", "0"], "--repeats and --profile-rows must be >= 1"),
        (["--device", "tpu"], "--device must be cpu or cuda"),
        *([] if torch.cuda.is_available() else [(["--device", "cuda"], "CUDA is not available")]),
    ],
)
def test_bench_script_rejects_bad_options(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    bench = _bench_module()
    with pytest.raises(SystemExit) as exc:
        bench.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- the roofline


def test_lstm_matmul_flops_match_what_the_products_do() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    T, B, d, h = 6, 3, 5, 4
    f = lc.lstm_matmul_flops(T, B, d, h)
    assert f["forward"] == f["input_projection"] + f["recurrence"] == 2 * T * B * 4 * h * (d + h)
    torch.manual_seed(0)
    model = lc.make_lstm("naive", nn.LSTM(d, h))
    X = torch.randn(T, B, d)
    with FlopCounterMode(display=False) as counter:
        model(X)
    assert counter.get_total_flops() == f["forward"]
    with FlopCounterMode(display=False) as counter:
        lc.forward_backward(model, X)
    # the first step's previous state (zeros) needs no gradient: one step's product fewer
    assert counter.get_total_flops() == f["train"] - f["recurrence"] // T


def test_lstm_matmul_shapes_and_rates() -> None:
    shapes = lc.lstm_matmul_shapes(100, 32, 64, 256)
    assert shapes == {"peak": (2048, 2048, 2048), "projection": (3200, 64, 1024), "step": (32, 256, 1024)}
    rates = lc.lstm_matmul_rates(3, 2, 4, 5, repeats=2)
    assert set(rates) == set(shapes) and all(r > 0 for r in rates.values())
    with pytest.raises(ValueError, match="num_hiddens"):
        lc.lstm_matmul_shapes(3, 2, 4, 0)


def test_lstm_roofline_ms() -> None:
    f = lc.lstm_matmul_flops(100, 32, 64, 256)
    bound = lc.lstm_roofline_ms(100, 32, 64, 256, {"peak": 100.0, "projection": 100.0, "step": 100.0})
    assert bound["peak"] == pytest.approx(f["train"] / 1e8) and bound["shapes"] == pytest.approx(bound["peak"])
    slow_steps = lc.lstm_roofline_ms(100, 32, 64, 256, {"peak": 100.0, "projection": 100.0, "step": 10.0})
    assert slow_steps["shapes"] > bound["shapes"] and slow_steps["peak"] == bound["peak"]
    with pytest.raises(ValueError, match="step"):
        lc.lstm_roofline_ms(100, 32, 64, 256, {"peak": 1.0, "projection": 1.0})
    with pytest.raises(ValueError, match=r"rates\['peak'\] must be a positive"):
        lc.lstm_roofline_ms(100, 32, 64, 256, {"peak": 0.0, "projection": 1.0, "step": 1.0})
    with pytest.raises(ValueError, match="num_hiddens"):
        lc.lstm_matmul_flops(1, 1, 1, 0)
    assert lc.matmul_gflops(32, 32, 32, repeats=2) > 0


# ---- bad input


RUNGS = {cls.__name__: cls for cls in FAST_CLASSES}


BAD_INPUT = [
    case(
        "fused-X-float64",
        lambda: lc.FusedLSTM(3, 4)(X3(dtype=torch.float64)),
        TypeError,
        r"\bX\b.*dtype.*float64",
    ),
    case(
        "bptt-state-shape",
        lambda: lc.BPTTLSTM(3, 4)(X3(), st()),
        ValueError,
        r"state\[0\] \(H0\).*3 dimensions",
    ),
    case("make_lstm-name", lambda: lc.make_lstm("fastest", nn.LSTM(3, 4)), ValueError, r"\bname\b.*'fastest'"),
    *[
        c
        for name, cls in RUNGS.items()
        for c in (
            case(
                f"{name}-num_inputs-0", lambda cls=cls: cls(0, 4), ValueError, r"num_inputs must be an int > 0, got 0"
            ),
            case(
                f"{name}-num_hiddens-float", lambda cls=cls: cls(3, 4.0), TypeError, r"num_hiddens must be an int > 0"
            ),
            case(
                f"{name}-X-None",
                lambda cls=cls: cls(3, 4)(None),
                TypeError,
                r"\bX must be a torch\.Tensor, got NoneType",
            ),
            case(
                f"{name}-X-2d", lambda cls=cls: cls(3, 4)(torch.zeros(2, 3)), ValueError, r"\bX must have 3 dimensions"
            ),
            case(
                f"{name}-X-size",
                lambda cls=cls: cls(3, 4)(X3(d=5)),
                ValueError,
                r"\bX must have shape \(\*, \*, 3\).*dimension 2 is 5",
            ),
            case(f"{name}-X-long", lambda cls=cls: cls(3, 4)(X3().long()), TypeError, r"\bX must be a floating-point"),
            case(f"{name}-X-empty", lambda cls=cls: cls(3, 4)(X3(T=0)), ValueError, r"\bX must not be empty"),
            case(
                f"{name}-X-device",
                lambda cls=cls: cls(3, 4)(torch.zeros(2, 2, 3, device="meta")),
                ValueError,
                r"\bX is on device meta, but the model's parameters are on cpu",
            ),
            case(
                f"{name}-state-list",
                lambda cls=cls: cls(3, 4)(X3(), [torch.zeros(1, 2, 4)] * 2),
                TypeError,
                r"state must be a tuple \(H0, C0\) of two tensors, got list",
            ),
            case(
                f"{name}-state-float64",
                lambda cls=cls: cls(3, 4)(X3(), (torch.zeros(1, 2, 4, dtype=torch.float64),) * 2),
                TypeError,
                r"state\[0\] \(H0\) must have dtype torch\.float32, got torch\.float64",
            ),
        )
    ],
    case(
        "make_lstm-name-None", lambda: lc.make_lstm(None, nn.LSTM(3, 4)), ValueError, r"name must be one of \('naive'"
    ),
    case(
        "make_lstm-lstm-gru",
        lambda: lc.make_lstm("fused", nn.GRU(3, 4)),
        TypeError,
        r"lstm must be a torch\.nn\.LSTM, got GRU",
    ),
    case(
        "make_lstm-lstm-None",
        lambda: lc.make_lstm("fused", None),
        TypeError,
        r"lstm must be a torch\.nn\.LSTM, got NoneType",
    ),
    case(
        "make_lstm-two-layers",
        lambda: lc.make_lstm("fused", nn.LSTM(3, 4, num_layers=2)),
        ValueError,
        r"lstm must have num_layers=1.*got num_layers=2",
    ),
    case(
        "make_lstm-batch_first",
        lambda: lc.make_lstm("bptt", nn.LSTM(3, 4, batch_first=True)),
        ValueError,
        r"lstm must have .*batch_first=False.*got .*batch_first=True",
    ),
    case(
        "make_lstm-bidirectional",
        lambda: lc.make_lstm("premultiplied", nn.LSTM(3, 4, bidirectional=True)),
        ValueError,
        r"lstm must have .*got .*bidirectional=True",
    ),
    case(
        "make_lstm-no-bias",
        lambda: lc.make_lstm("script", nn.LSTM(3, 4, bias=False)),
        ValueError,
        r"lstm must have .*got .*bias=False",
    ),
    case(
        "make_lstm-proj_size",
        lambda: lc.make_lstm("naive", nn.LSTM(3, 4, proj_size=2)),
        ValueError,
        r"lstm must have .*got .*proj_size=2",
    ),
    case(
        "make_lstm-cpp-two-layers",
        lambda: lc.make_lstm("cpp", nn.LSTM(3, 4, num_layers=2)),
        ValueError,
        r"lstm must have num_layers=1.*got num_layers=2",
    ),
    case(
        "fast_lstm-from_torch-lstm",
        lambda: BPTTLSTM.from_torch(nn.GRU(3, 4)),
        TypeError,
        r"lstm must be a torch.nn.LSTM, got GRU",
    ),
    case(
        "fast_lstm-from_torch-lstm-2",
        lambda: BPTTLSTM.from_torch(nn.LSTM(3, 4, num_layers=2)),
        ValueError,
        r"num_layers=1.*got num_layers=2",
    ),
    case(
        "fast_lstm-make_lstm-lstm",
        lambda: make_lstm("fused", nn.LSTM(3, 4, bidirectional=True)),
        ValueError,
        r"bidirectional=True",
    ),
    case("fast_lstm-make_lstm-name", lambda: make_lstm("fastest", nn.LSTM(3, 4)), ValueError, r"name must be one of"),
    case(
        "fast_lstm-torch_layout_grads-FusedLSTM_W_x",
        lambda: torch_layout_grads(FusedLSTM(3, 4)),
        ValueError,
        r"has no gradient",
    ),
    case(
        "fast_lstm-torch_layout_grads-model",
        lambda: torch_layout_grads(nn.Linear(3, 4)),
        TypeError,
        r"model must be an nn.LSTM",
    ),
    case(
        "fast_lstm-time_interleaved-repeats",
        lambda: lc.time_interleaved({"a": lambda: None}, repeats=0),
        ValueError,
        r"repeats must be an int > 0",
    ),
    case(
        "fast_lstm-time_interleaved-warmup",
        lambda: lc.time_interleaved({"a": lambda: None}, repeats=1, warmup=-1),
        ValueError,
        r"warmup must be an int >= 0",
    ),
    case(
        "fast_lstm-time_interleaved-cases", lambda: lc.time_interleaved({}, repeats=1), ValueError, r"cases must hold"
    ),
    case("fast_lstm-summarize_times-seconds", lambda: lc.summarize_times([]), ValueError, r"seconds must hold"),
    case(
        "FusedLSTM-dtype-long",
        lambda: lc.FusedLSTM(3, 4, dtype=torch.long),
        TypeError,
        r"\bdtype must be a floating torch\.dtype",
    ),
    case("FusedLSTM-dtype-str", lambda: lc.FusedLSTM(3, 4, dtype="float32"), TypeError, r"\bdtype must be a floating"),
    case("FusedLSTM-device-gpu", lambda: lc.FusedLSTM(3, 4, device="gpu"), ValueError, r"\bdevice must name a device"),
    case(
        "LSTMScratch-dtype-int",
        lambda: lc.LSTMScratch(3, 4, dtype=torch.int32),
        TypeError,
        r"\bdtype must be a floating",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
