"""Tests of ``lstm_companion.models.fast_lstm.cpp``: the C++ rung of the speed ladder (chapter 10).

The C++ operators pass ``torch.library.opcheck``; ``CppLSTM`` equals
``nn.LSTM`` (outputs, final states and every gradient) and passes
``gradcheck`` in float64; without a C++ build it warns once and falls back to
the Python fused loop, still equal to ``nn.LSTM``; bad input raises clear
errors.

The C++ source is compiled once per test session (seconds to a minute) into a
session-wide temporary cache, and loaded into this process; every other test
reuses it. Where no C++ compiler or ninja is found, the tests that need the
build are skipped and the fallback tests still run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib
import torch
from bad_input import X3, bad_input_test, case
from torch import nn
from torch.func import functional_call

import lstm_companion as lc
from lstm_companion import CppLSTM, FusedLSTM, cpp_lstm, cpp_lstm_available, torch_layout_grads
from lstm_companion.models.fast_lstm import cpp as cpp_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's cache folder holding the compiled operators (already loaded into this process)."""
    cache = tmp_path_factory.mktemp("cpp_cache")
    if shutil.which(os.environ.get("CXX", "c++")) is None or shutil.which("ninja") is None:
        pytest.skip("no C++ compiler or ninja here: only the fallback is tested")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LSTM_COMPANION_CACHE", str(cache))
        mp.delenv(lc.NO_CPP_ENV, raising=False)
        available = cpp_lstm_available()
    assert available, f"a compiler and ninja are present, but the build failed: {cpp_module.CPP_BUILD.error}"
    return cache


@pytest.fixture
def built(build_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The C++ operators are loaded, and a fallback would fail the test instead of warning."""
    monkeypatch.delenv(lc.NO_CPP_ENV, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _reference(d: int = 5, h: int = 7, *, dtype: torch.dtype = torch.float32, seed: int = 0) -> nn.LSTM:
    torch.manual_seed(seed)
    return nn.LSTM(d, h, dtype=dtype)


def _run_and_backward(model: nn.Module, X: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], w: torch.Tensor):
    X = X.clone().requires_grad_()
    state = tuple(s.clone().requires_grad_() for s in state)
    out, (h_n, c_n) = model(X, state)
    ((out * w).sum() + h_n.pow(2).sum() + c_n.sin().sum()).backward()  # touches every output and both states
    grads = {"X": X.grad, "H0": state[0].grad, "C0": state[1].grad, **torch_layout_grads(model)}
    if isinstance(model, nn.LSTM):
        grads["bias_hh"] = model.bias_hh_l0.grad  # equal to bias_ih_l0's, which torch_layout_grads gives
    else:
        grads["bias_hh"] = model.b.grad  # the one fused bias stands for both
    return out, h_n, c_n, grads


def _assert_equals_nn_lstm(
    T: int = 6, B: int = 3, d: int = 5, h: int = 7, *, dtype: torch.dtype = torch.float32, atol: float = 1e-5
) -> None:
    ref = _reference(d, h, dtype=dtype)
    mine = CppLSTM.from_torch(ref)
    assert isinstance(mine, CppLSTM)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(T, B, d, generator=g, dtype=dtype)
    state = (torch.randn(1, B, h, generator=g, dtype=dtype), torch.randn(1, B, h, generator=g, dtype=dtype))
    w = torch.randn(T, B, h, generator=g, dtype=dtype)
    out_r, h_r, c_r, grads_r = _run_and_backward(ref, X, state, w)
    out_m, h_m, c_m, grads_m = _run_and_backward(mine, X, state, w)
    assert out_m.shape == (T, B, h) and h_m.shape == c_m.shape == (1, B, h)
    torch.testing.assert_close(out_m, out_r, atol=atol, rtol=0)
    torch.testing.assert_close(h_m, h_r, atol=atol, rtol=0)
    torch.testing.assert_close(c_m, c_r, atol=atol, rtol=0)
    assert grads_m.keys() == grads_r.keys() == {"X", "H0", "C0", "weight_ih_l0", "weight_hh_l0", "bias", "bias_hh"}
    for key in grads_r:
        torch.testing.assert_close(grads_m[key], grads_r[key], atol=10 * atol, rtol=10 * atol, msg=f"grad {key}")


def _op_args(T: int, B: int, d: int, h: int, dtype: torch.dtype, requires_grad: bool = True) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    shapes = [(T, B, d), (B, h), (B, h), (d, 4 * h), (h, 4 * h), (4 * h,)]
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_(requires_grad) for s in shapes]


# ---------------------------------------------------------------- the operators


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_opcheck(built: None, dtype: torch.dtype) -> None:
    op = torch.ops.lstm_companion.lstm_forward.default
    for T, B, d, h, requires_grad in [(4, 2, 3, 5, True), (1, 1, 2, 3, True), (3, 2, 3, 4, False)]:
        torch.library.opcheck(op, _op_args(T, B, d, h, dtype, requires_grad))
    args = [a.detach() for a in _op_args(3, 2, 3, 4, dtype)]
    Hs, H_n, C_n, gates, cells, tanh_cells = op(*args)
    dHs, dH_n, dC_n = torch.randn_like(Hs), torch.randn_like(H_n), torch.randn_like(C_n)
    X, H0, C0, W_x, W_h, _ = args
    for mask in ([True] * 6, [False, True, False, True, False, True]):
        backward_args = (dHs, dH_n, dC_n, X, H0, C0, W_x, W_h, Hs, gates, cells, tanh_cells, mask)
        torch.library.opcheck(torch.ops.lstm_companion.lstm_backward.default, backward_args)


def test_forward_saves_what_backward_needs(built: None) -> None:
    X, H0, C0, W_x, W_h, b = (a.detach() for a in _op_args(3, 2, 3, 4, torch.float64))
    Hs, H_n, C_n, gates, cells, tanh_cells = torch.ops.lstm_companion.lstm_forward(X, H0, C0, W_x, W_h, b)
    Z0 = X[0] @ W_x + H0 @ W_h + b  # the first step by hand
    i, f, g, o = Z0.chunk(4, dim=1)
    torch.testing.assert_close(gates[0], torch.cat([i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()], dim=1))
    torch.testing.assert_close(cells[0], f.sigmoid() * C0 + i.sigmoid() * g.tanh())
    torch.testing.assert_close(tanh_cells, cells.tanh())
    torch.testing.assert_close(Hs, gates[..., 12:] * tanh_cells)
    assert torch.equal(H_n, Hs[-1]) and torch.equal(C_n, cells[-1])
    assert H_n.data_ptr() != Hs[-1].data_ptr()  # outputs never alias each other


# ---------------------------------------------------------------- equal to nn.LSTM


@pytest.mark.parametrize("T, B", [(6, 3), (1, 1), (17, 5)])
def test_equals_nn_lstm_outputs_and_all_gradients(built: None, T: int, B: int) -> None:
    _assert_equals_nn_lstm(T, B)


def test_equals_nn_lstm_in_float64(built: None) -> None:
    _assert_equals_nn_lstm(9, 4, 6, 33, dtype=torch.float64, atol=1e-12)  # h = 33: not a multiple of the vector width


def test_larger_state_float32(built: None) -> None:
    _assert_equals_nn_lstm(20, 16, 24, 256, atol=2e-5)  # several parallel chunks of rows


def test_gradcheck_float64(built: None) -> None:
    args = tuple(_op_args(4, 2, 3, 4, torch.float64))
    assert torch.autograd.gradcheck(cpp_lstm, args)
    torch.manual_seed(0)
    model = CppLSTM(3, 4, dtype=torch.float64)
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    X = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    H0, C0 = (torch.randn(1, 2, 4, dtype=torch.float64, requires_grad=True) for _ in range(2))

    def f(X, H0, C0, *ps):
        out, (h_n, c_n) = functional_call(model, dict(zip(names, ps)), (X, (H0, C0)))
        return out, h_n, c_n

    assert torch.autograd.gradcheck(f, (X, H0, C0, *params))


def test_only_the_needed_gradients(built: None) -> None:
    X, H0, C0, W_x, W_h, b = (a.detach() for a in _op_args(5, 2, 3, 4, torch.float64))
    W_h_mine, W_h_ref = W_h.clone().requires_grad_(), W_h.clone().requires_grad_()
    out, _, c_n = cpp_lstm(X, H0, C0, W_x, W_h_mine, b)
    (out.sum() + c_n.sum()).backward()
    out_r, _, c_r = lc.LSTMFunction.apply(X, H0, C0, W_x, W_h_ref, b)
    (out_r.sum() + c_r.sum()).backward()
    torch.testing.assert_close(W_h_mine.grad, W_h_ref.grad)


def test_nan_propagates_like_nn_lstm(built: None) -> None:
    ref = _reference()
    X = torch.randn(4, 2, 5)
    X[1, 0, 2] = float("nan")
    out_r, (h_r, c_r) = ref(X)
    out_m, (h_m, c_m) = CppLSTM.from_torch(ref)(X)
    assert torch.equal(out_m.isnan(), out_r.isnan()) and out_m.isnan().any()
    torch.testing.assert_close(out_m, out_r, atol=1e-5, rtol=0, equal_nan=True)
    assert torch.equal(h_m.isnan(), h_r.isnan()) and torch.equal(c_m.isnan(), c_r.isnan())


def test_saturated_gates_stay_finite(built: None) -> None:
    ref = _reference()
    X = 1e4 * torch.randn(3, 2, 5)  # pre-activations far beyond where exp overflows
    out_r, _ = ref(X)
    out_m, _ = CppLSTM.from_torch(ref)(X)
    assert out_m.isfinite().all()
    torch.testing.assert_close(out_m, out_r, atol=1e-5, rtol=0)


def test_round_trip_to_torch_and_back() -> None:
    torch.manual_seed(0)
    model = CppLSTM(5, 7)
    back = CppLSTM.from_torch(model.to_torch())
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), back.parameters()))


# ---------------------------------------------------------------- the build


def test_build_is_cached_under_the_cache_folder(build_cache: Path) -> None:
    (folder,) = (build_cache / "cpp_extensions").iterdir()
    assert folder.name == lc.cpp_build_name()
    (library,) = folder.glob(f"{folder.name}.*")
    assert library.suffix in (".so", ".pyd", ".dylib")
    # a change of the source or of torch's version names another folder: a rebuild
    assert lc.cpp_build_name(lc.cpp_lstm_source() + "\n") != folder.name
    # a new process finds the library and loads it without compiling
    before = library.stat().st_mtime_ns
    env = {**os.environ, "LSTM_COMPANION_CACHE": str(build_cache)}
    env.pop(lc.NO_CPP_ENV, None)
    code = "import lstm_companion as lc; assert lc.cpp_lstm_available()"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert library.stat().st_mtime_ns == before


def test_source_ships_as_package_data() -> None:
    config = tomllib.loads((ROOT / "companion" / "pyproject.toml").read_text())
    assert "models/fast_lstm/*.cpp" in config["tool"]["setuptools"]["package-data"]["lstm_companion"]
    shipped = ROOT / "companion/src/lstm_companion/models/fast_lstm/lstm_cpu.cpp"
    assert lc.cpp_lstm_source() == shipped.read_text(encoding="utf-8")
    assert "TORCH_LIBRARY(lstm_companion" in lc.cpp_lstm_source()


def test_source_fits_the_page_and_its_functions_can_be_read() -> None:
    """Chapter 10 prints the operators' functions: every line fits 80 columns, each function is found whole."""
    source = lc.cpp_lstm_source()
    too_long = [n for n, line in enumerate(source.splitlines(), 1) if len(line) > 80]
    assert not too_long, f"lines over 80 characters (run clang-format): {too_long}"
    for name in ("forward_rows", "backward_rows", "lstm_forward", "lstm_backward"):
        text = lc.cpp_lstm_source(name)
        lines = text.splitlines()
        assert lines[0].startswith("//") and lines[-1] == "}", name  # its comment ... its closing brace
        assert f"{name}(" in text and text.count("{") == text.count("}"), name
        assert text in source
    # the definition, not a mention in the file's header comment
    assert "dW_h = at::mm(" in lc.cpp_lstm_source("lstm_backward")
    assert "TORCH_LIBRARY" not in lc.cpp_lstm_source("lstm_backward")
    for bad in ("no_such_function", "lstm forward", 3, None.__class__):
        with pytest.raises(ValueError, match="function must name a function defined in lstm_cpu.cpp"):
            lc.cpp_lstm_source(bad)  # type: ignore[arg-type]


def test_cpp_is_a_rung_of_the_ladder() -> None:
    assert lc.LADDER[-2:] == ("cpp", "nn.LSTM")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(3, 4)
    assert isinstance(lc.make_lstm("cpp", ref), CppLSTM)


# ---------------------------------------------------------------- the fallback


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has not tried to build yet (the real state comes back after the test)."""
    monkeypatch.setattr(cpp_module, "CPP_BUILD", lc.CppBuildState())


def _assert_fallback_equals_nn_lstm() -> None:
    ref = _reference()
    model = CppLSTM.from_torch(ref)
    X = torch.randn(5, 3, 5)
    torch.testing.assert_close(model(X)[0], ref(X)[0], atol=1e-5, rtol=0)
    args = [a.detach() for a in _op_args(4, 2, 3, 4, torch.float64)]
    torch.testing.assert_close(cpp_lstm(*args), lc.LSTMFunction.apply(*args))


def test_no_cpp_env_falls_back_with_one_warning(fresh_state: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lc.NO_CPP_ENV, "1")
    assert not cpp_lstm_available()
    with pytest.warns(RuntimeWarning, match=rf"not used because {lc.NO_CPP_ENV} is set.*unset {lc.NO_CPP_ENV}") as rec:
        CppLSTM(5, 7)(torch.randn(2, 1, 5))
    assert rec[0].filename == __file__  # the warning points at the caller, not into torch or the package
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call is silent
        _assert_fallback_equals_nn_lstm()
    assert cpp_module.CPP_BUILD.error is None and not cpp_module.CPP_BUILD.loaded  # nothing was built


def test_missing_compiler_falls_back_with_one_warning(fresh_state: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.NO_CPP_ENV, raising=False)
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    with pytest.warns(RuntimeWarning, match=r"no C\+\+ compiler.*no-such-compiler-xyz.*install a C\+\+ compiler"):
        _assert_fallback_equals_nn_lstm()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _assert_fallback_equals_nn_lstm()
        assert not cpp_lstm_available()  # not retried


def test_failed_build_falls_back(fresh_state: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.NO_CPP_ENV, raising=False)

    def fail() -> None:
        raise RuntimeError("Error building extension 'x': simulated")

    monkeypatch.setattr(cpp_module, "build_cpp_lstm", fail)
    with pytest.warns(RuntimeWarning, match=r"building it failed \(RuntimeError: .*simulated\).*ninja"):
        _assert_fallback_equals_nn_lstm()


def test_unsupported_dtype_runs_the_fused_loop(built: None) -> None:
    torch.manual_seed(0)
    model = CppLSTM(5, 7, dtype=torch.bfloat16)
    fused = FusedLSTM(5, 7, dtype=torch.bfloat16)
    fused.load_state_dict(model.state_dict())
    X = torch.randn(4, 2, 5, dtype=torch.bfloat16)
    out, (h_n, c_n) = model(X)  # no warning: the fallback is documented
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, fused(X)[0]) and torch.equal(c_n, fused(X)[1][1])
    meta = CppLSTM(5, 7, device="meta")  # another device: the fused loop too
    assert meta(torch.empty(4, 2, 5, device="meta"))[0].shape == (4, 2, 7)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, exc, pattern",
    [
        ({0: torch.zeros(3, 2, 3, dtype=torch.float16)}, TypeError, r"cpp_lstm supports X of dtype float32 or float64"),
        ({0: torch.zeros(3, 2, 3, dtype=torch.long)}, TypeError, r"X must be a floating-point tensor"),
        ({0: torch.zeros(3, 2)}, ValueError, r"X must have 3 dimensions"),
        ({0: torch.empty(3, 2, 3, device="meta")}, ValueError, r"cpp_lstm runs on the CPU only, got X on meta"),
        ({1: torch.zeros(2, 5)}, ValueError, r"H0 must have shape \(2, 4\)"),
        ({2: torch.zeros(2, 4, dtype=torch.float64)}, TypeError, r"C0 must have X's dtype torch.float32"),
        ({3: torch.zeros(3, 12)}, ValueError, r"W_x must have shape \(3, 16\)"),
        ({4: torch.zeros(4, 4)}, ValueError, r"W_h must have shape \(4, 16\)"),
        ({5: torch.zeros(16, device="meta")}, ValueError, r"got b on meta"),
        ({5: None}, TypeError, r"b must be a torch.Tensor, got NoneType"),
    ],
    ids=[
        "X-float16",
        "X-long",
        "X-2d",
        "X-device",
        "H0-shape",
        "C0-dtype",
        "W_x-shape",
        "W_h-shape",
        "b-device",
        "b-None",
    ],
)
def test_functional_bad_inputs_raise_clear_errors(change: dict, exc: type[Exception], pattern: str) -> None:
    args: list = [a.detach() for a in _op_args(3, 2, 3, 4, torch.float32)]
    for index, value in change.items():
        args[index] = value
    with pytest.raises(exc, match=pattern):
        cpp_lstm(*args)


def test_operator_checks_its_own_inputs(built: None) -> None:
    args = [a.detach() for a in _op_args(3, 2, 3, 4, torch.float32)]
    with pytest.raises(RuntimeError, match="only float32 and float64"):
        torch.ops.lstm_companion.lstm_forward(*(a.half() for a in args))
    with pytest.raises(RuntimeError, match=r"W_x must be \(3, 16\)"):
        torch.ops.lstm_companion.lstm_forward(*args[:3], args[3][:, :8], *args[4:])
    with pytest.raises(RuntimeError, match="all tensors must have X's dtype"):
        torch.ops.lstm_companion.lstm_forward(*args[:5], args[5].double())


# ---- bad input


BAD_INPUT = [
    case("cpp-num_inputs-0", lambda: CppLSTM(0, 4), ValueError, r"num_inputs must be an int > 0, got 0"),
    case("cpp-num_hiddens-bool", lambda: CppLSTM(3, True), TypeError, r"num_hiddens must be an int > 0, got bool"),
    case("cpp-X-None", lambda: CppLSTM(3, 4)(None), TypeError, r"\bX must be a torch\.Tensor, got NoneType"),
    case("cpp-X-size", lambda: CppLSTM(3, 4)(X3(d=5)), ValueError, r"\bX must have shape \(\*, \*, 3\)"),
    case("cpp-X-integer", lambda: CppLSTM(3, 4)(X3().long()), TypeError, r"\bX must be a floating-point"),
    case(
        "cpp-X-float64",
        lambda: CppLSTM(3, 4)(X3(dtype=torch.float64)),
        TypeError,
        r"\bX must have the parameters' dtype",
    ),
    case("cpp-X-empty", lambda: CppLSTM(3, 4)(X3(B=0)), ValueError, r"\bX must not be empty"),
    case(
        "cpp-state-shape",
        lambda: CppLSTM(3, 4)(X3(), (torch.zeros(2, 4), torch.zeros(2, 4))),
        ValueError,
        r"state\[0\] \(H0\) must have 3 dimensions \(1, 2, 4\)",
    ),
    case(
        "cpp-from_torch-two-layers",
        lambda: CppLSTM.from_torch(nn.LSTM(3, 4, num_layers=2)),
        ValueError,
        r"lstm must have num_layers=1",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
