"""A C++ rung of the speed ladder: the LSTM layer as a PyTorch custom operator (chapter 10).

The forward pass and the hand-written backpropagation through time of
:class:`~lstm_companion.LSTMFunction`, written in C++
(``lstm_cpu.cpp``, beside this module, shipped with the package) and registered with
``torch.library`` as the operators ``torch.ops.lstm_companion.lstm_forward``
and ``lstm_backward``; their fake (meta) implementations and the autograd
formula that joins them are registered here, so that
``torch.library.opcheck``, ``torch.compile`` and autograd all see one
ordinary operator.

- forward: the input projection of every step in one product,
  ``(T B, d) @ (d, 4h) + b``; then per step one recurrent product added in
  place, and the four gate nonlinearities with the state update fused in one
  loop over the batch rows (OpenMP-parallel on Linux), keeping the gate
  activations and cell states for the backward pass;
- backward: the sweep from the last step to the first gives the
  pre-activations' gradients ``dZ`` of every step; then ``dX``, ``dW_x``,
  ``dW_h`` are one product each over all ``T B`` rows and ``db`` one sum.

The C++ source is compiled on first use (seconds to a minute, with the
system's C++ compiler and ninja, by ``torch.utils.cpp_extension.load``) into the
companion's cache folder (:func:`~lstm_companion.cache_dir`, under
``cpp_extensions/``), in a folder named after a hash of the source, the torch
version and the compiler flags (:func:`cpp_build_name`): a change of any of
them rebuilds, and every later process loads the built library in well under
a second. :func:`build_cpp_lstm` builds and loads, raising the compiler's
error; :data:`CPP_BUILD` records whether this process has loaded the
operators or why it could not.

What it does not do, and what happens then:

- only float32 and float64 on the CPU, one layer, one direction; the
  functional :func:`cpp_lstm` raises a clear error for anything else, and
  :class:`CppLSTM` runs its Python fallback (the loop of
  :class:`~lstm_companion.FusedLSTM`, :func:`~lstm_companion.fused_lstm`,
  same results) instead;
- no C++ compiler (or ninja), a failed build, or ``LSTM_COMPANION_NO_CPP=1``
  (:data:`NO_CPP_ENV`) in the environment: both fall back to the Python
  fused loop, with a one-time ``RuntimeWarning`` that says why and what to
  install; :func:`cpp_lstm_available` tells beforehand;
- no CUDA kernel, and no double backward (the backward pass is itself not
  differentiable).

Neighbours, in the package :mod:`lstm_companion.models.fast_lstm`: the same
two passes in Python in :mod:`~lstm_companion.models.fast_lstm.function`, the
fallback loop in :mod:`~lstm_companion.models.fast_lstm.python_rungs`, the
ladder (:func:`~lstm_companion.make_lstm`) in the package itself. One module
past the usual 400 lines: the build, the operators' registration and their
two callers (:func:`cpp_lstm`, :class:`CppLSTM`) share the one build state.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ..._checks import check_tensor
from ...runtime import atomic_write, cache_dir
from .base import FastLSTMBase
from .python_rungs import fused_lstm

__all__ = [
    "NO_CPP_ENV",
    "CPP_DTYPES",
    "CppBuildState",
    "CPP_BUILD",
    "cpp_build_name",
    "build_cpp_lstm",
    "cpp_lstm_available",
    "cpp_lstm_source",
    "cpp_lstm",
    "CppLSTM",
]


NO_CPP_ENV = "LSTM_COMPANION_NO_CPP"  # set to 1 to never compile, always run the Python fallback

#: The dtypes the C++ kernels support (on the CPU).
CPP_DTYPES = (torch.float32, torch.float64)

_NAMESPACE = "lstm_companion"
_SOURCE = "lstm_cpu.cpp"  # beside this module (in lstm_companion.models.fast_lstm), shipped as package data
_INSTALL_HINT = (
    "install a C++ compiler (Linux: g++, e.g. `apt install g++`; macOS: `xcode-select --install`) "
    "and ninja (`pip install ninja`)"
)


def _compiler_flags() -> tuple[list[str], list[str]]:
    """``(extra_cflags, extra_ldflags)``: optimised, with OpenMP where the compiler is GCC-like (Linux).

    ``-fno-trapping-math`` (no change to any result) lets the compiler
    vectorise the loops that clamp with comparisons.
    """
    if sys.platform == "win32":
        return ["/O2"], []
    if sys.platform.startswith("linux"):
        return ["-O3", "-fno-trapping-math", "-fopenmp"], ["-fopenmp"]
    return ["-O3", "-fno-trapping-math"], []  # Apple's clang has no -fopenmp: the loops run on one thread


@dataclass
class CppBuildState:
    """Whether a process has loaded the C++ operators, or why it could not (chapter 10).

    ``loaded`` is true once they are built and loaded; ``error`` is the
    reason the build or load failed (kept, so that a failure is tried once
    per process); ``warned`` holds the reasons the fallback has already
    warned about (each warns once).
    """

    loaded: bool = False
    error: str | None = None
    warned: set[str] = field(default_factory=set)


#: This process's :class:`CppBuildState` (a test replaces it with a fresh one to try the build again).
CPP_BUILD = CppBuildState()
_REGISTERED = False  # the fake implementations and the autograd formula, registered once per process


def _source_text() -> str:
    return resources.files(__package__).joinpath(_SOURCE).read_text(encoding="utf-8")


def cpp_lstm_source(function: str | None = None) -> str:
    """The C++ source of the operators (chapter 10): the whole file, or one function with its comments.

    ``function`` names a function defined at the top level of
    ``lstm_cpu.cpp``: ``"forward_rows"`` and ``"backward_rows"``
    (one step's pointwise work, forward and backward) or ``"lstm_forward"``
    and ``"lstm_backward"`` (the operators: the products and the loop over
    time); the text returned runs from the comment above its definition to
    its closing brace.
    """
    source = _source_text()
    if function is None:
        return source
    if not isinstance(function, str) or not function.isidentifier():  # a name, not a pattern
        raise ValueError(
            f"function must name a function defined in {_SOURCE} (for example 'forward_rows'), got {function!r}"
        )
    lines = source.splitlines()
    pattern = re.compile(rf"^\S.*\b{re.escape(function)}\(")
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if pattern.match(line) and not line.startswith("//") and not line.rstrip().endswith(";")
        ),
        None,
    )
    if start is None:
        raise ValueError(
            f"function must name a function defined in {_SOURCE} (for example 'forward_rows', "
            f"'backward_rows', 'lstm_forward', 'lstm_backward'), got {function!r}"
        )
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    while start > 0 and (lines[start - 1].startswith("//") or lines[start - 1].startswith("template")):
        start -= 1  # the comment above it, and its template line
    return "\n".join(lines[start : end + 1]) + "\n"


def cpp_build_name(source: str | None = None) -> str:
    """The C++ extension's name, also its folder under ``cache_dir() / "cpp_extensions"`` (chapter 10).

    A hash of the C++ source (``source``, by default the shipped
    :func:`cpp_lstm_source`), torch's version, the compiler flags, Python
    and the platform: a change of any of them names another folder, a rebuild.
    """
    if source is None:
        source = _source_text()
    elif not isinstance(source, str):
        raise TypeError(f"source must be the C++ source text (a str) or None, got {type(source).__name__}")
    cflags, ldflags = _compiler_flags()
    key = "\n".join(
        [source, torch.__version__, " ".join(cflags), " ".join(ldflags), sys.implementation.cache_tag, sys.platform]
    )
    return f"lstm_companion_cpu_{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def build_cpp_lstm() -> None:
    """Build (or find already built) and load the C++ operators; raise with the reason when that fails (chapter 10).

    :func:`cpp_lstm_available` calls it once per process and keeps the
    error instead; call it directly to see the compiler's whole message.
    """
    logger = logging.getLogger("torch.utils.cpp_extension")
    level = logger.level
    logger.setLevel(logging.ERROR)  # its import logs a warning when no CUDA toolkit is found: we build no CUDA
    try:
        from torch.utils import cpp_extension
    finally:
        logger.setLevel(level)

    cxx = os.environ.get("CXX", "cl" if sys.platform == "win32" else "c++")
    if shutil.which(cxx) is None:
        raise RuntimeError(f"no C++ compiler: {cxx!r} was not found on PATH (the CXX variable names another)")
    if not cpp_extension.is_ninja_available():
        raise RuntimeError("ninja, which torch.utils.cpp_extension builds with, was not found")
    source = _source_text()
    name = cpp_build_name(source)
    build = cache_dir() / "cpp_extensions" / name
    src = build / _SOURCE
    if not src.is_file() or src.read_text(encoding="utf-8") != source:
        atomic_write(src, lambda tmp: Path(tmp).write_text(source, encoding="utf-8"))
    cflags, ldflags = _compiler_flags()
    cpp_extension.load(
        name=name,
        sources=[str(src)],
        extra_cflags=cflags,
        extra_ldflags=ldflags,
        build_directory=str(build),
        with_cuda=False,
        is_python_module=False,  # a plain library: loading it runs its TORCH_LIBRARY registration
        verbose=False,
    )


def _register() -> None:
    """The operators' fake implementations (shapes only) and the autograd formula, once per process."""
    global _REGISTERED
    if _REGISTERED:
        return

    def fake_forward(
        X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor, W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        T, B, _ = X.shape
        h = W_h.shape[0]
        # Hs, H_n, C_n, gates, cells, tanh_cells
        return (
            X.new_empty(T, B, h),
            X.new_empty(B, h),
            X.new_empty(B, h),
            X.new_empty(T, B, 4 * h),
            X.new_empty(T, B, h),
            X.new_empty(T, B, h),
        )

    def fake_backward(
        dHs: torch.Tensor,
        dH_n: torch.Tensor,
        dC_n: torch.Tensor,
        X: torch.Tensor,
        H0: torch.Tensor,
        C0: torch.Tensor,
        W_x: torch.Tensor,
        W_h: torch.Tensor,
        Hs: torch.Tensor,
        gates: torch.Tensor,
        cells: torch.Tensor,
        tanh_cells: torch.Tensor,
        output_mask: list[bool],
    ) -> tuple[torch.Tensor, ...]:
        shapes = [X.shape, H0.shape, C0.shape, W_x.shape, W_h.shape, (W_h.shape[1],)]
        return tuple(X.new_empty(shape if need else (0,)) for shape, need in zip(shapes, output_mask))

    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Any, ...]) -> None:
        X, H0, C0, W_x, W_h, _ = inputs
        Hs, _, _, gates, cells, tanh_cells = output
        ctx.save_for_backward(X, H0, C0, W_x, W_h, Hs, gates, cells, tanh_cells)
        ctx.mark_non_differentiable(gates, cells, tanh_cells)
        # Outputs that received no gradient stay None: without this, autograd would first fill zero tensors
        # for gates, cells and tanh_cells (6 T B h numbers: about 30 ms of a training step at the fastrnns
        # size, by the profiler) that the backward pass never reads. backward() handles None for the rest.
        ctx.set_materialize_grads(False)

    def backward(
        ctx: Any, dHs: torch.Tensor | None, dH_n: torch.Tensor | None, dC_n: torch.Tensor | None, *_: Any
    ) -> tuple[torch.Tensor | None, ...]:
        X, H0, C0, W_x, W_h, Hs, gates, cells, tanh_cells = ctx.saved_tensors
        mask = [bool(n) for n in ctx.needs_input_grad]
        dHs = torch.zeros_like(Hs) if dHs is None else dHs
        dH_n = torch.zeros_like(H0) if dH_n is None else dH_n
        dC_n = torch.zeros_like(C0) if dC_n is None else dC_n
        grads = torch.ops.lstm_companion.lstm_backward(
            dHs, dH_n, dC_n, X, H0, C0, W_x, W_h, Hs, gates, cells, tanh_cells, mask
        )
        return tuple(g if need else None for g, need in zip(grads, mask))

    torch.library.register_fake(f"{_NAMESPACE}::lstm_forward")(fake_forward)
    torch.library.register_fake(f"{_NAMESPACE}::lstm_backward")(fake_backward)
    torch.library.register_autograd(f"{_NAMESPACE}::lstm_forward", backward, setup_context=setup_context)
    _REGISTERED = True


def _disabled() -> bool:
    return os.environ.get(NO_CPP_ENV, "").strip() not in ("", "0")


def cpp_lstm_available() -> bool:
    """Whether the C++ operators can run in this process: compiles them on the first call (chapter 10).

    False when ``LSTM_COMPANION_NO_CPP`` is set or the build failed (the
    reason is in the fallback's warning); a failed build is not retried in
    the same process.
    """
    if _disabled():
        return False
    if not CPP_BUILD.loaded and CPP_BUILD.error is None:
        try:
            build_cpp_lstm()
            _register()
            CPP_BUILD.loaded = True
        except Exception as err:  # a missing compiler, a failed build or load: all mean "use the fallback"
            message = " ".join(str(err).split())
            CPP_BUILD.error = f"{type(err).__name__}: {message[:1500]}"
    return CPP_BUILD.loaded


# this package (lstm_companion) and torch: a warning skips their frames
_INTERNAL_DIRS = (str(Path(__file__).resolve().parents[2]), str(Path(torch.__file__).resolve().parent))


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package and torch."""
    frame, level = sys._getframe(1), 1  # the function that calls warnings.warn is its level 1
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_INTERNAL_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def _use_cpp() -> bool:
    """:func:`cpp_lstm_available`, warning once per reason when it is not."""
    if cpp_lstm_available():
        return True
    reason = f"{NO_CPP_ENV} is set" if _disabled() else f"building it failed ({CPP_BUILD.error})"
    if reason not in CPP_BUILD.warned:
        CPP_BUILD.warned.add(reason)
        advice = f"unset {NO_CPP_ENV}" if _disabled() else _INSTALL_HINT
        warnings.warn(
            f"lstm_companion: the C++ LSTM is not used because {reason}; running the Python fused loop "
            f"(FusedLSTM's: the same results, slower) instead. To use it, {advice}.",
            RuntimeWarning,
            stacklevel=_caller_stacklevel(),
        )
    return False


def _check_functional(
    X: object, H0: object, C0: object, W_x: object, W_h: object, b: object
) -> tuple[torch.Tensor, ...]:
    """Check :func:`cpp_lstm`'s arguments (shapes, one supported dtype, the CPU); return them as tensors."""
    X = check_tensor("X", X, ndim=3, floating=True)
    if X.dtype not in CPP_DTYPES:
        raise TypeError(
            f"cpp_lstm supports X of dtype float32 or float64, got {X.dtype}; convert it with X.float() "
            "(or use lc.BPTTLSTM, which runs in any dtype)"
        )
    if X.device.type != "cpu":
        raise ValueError(
            f"cpp_lstm runs on the CPU only, got X on {X.device}; move the tensors with .cpu() "
            "(or use lc.BPTTLSTM or nn.LSTM on that device)"
        )
    T, B, d = X.shape
    W_h = check_tensor("W_h", W_h, ndim=2, floating=True)
    h = W_h.shape[0]
    tensors = [X]
    for name, t, shape in [
        ("H0", H0, (B, h)),
        ("C0", C0, (B, h)),
        ("W_x", W_x, (d, 4 * h)),
        ("W_h", W_h, (h, 4 * h)),
        ("b", b, (4 * h,)),
    ]:
        t = check_tensor(name, t, shape=shape)
        if t.dtype != X.dtype:
            raise TypeError(f"{name} must have X's dtype {X.dtype}, got {t.dtype}; convert it with {name}.to(X.dtype)")
        if t.device.type != "cpu":
            raise ValueError(f"cpp_lstm runs on the CPU only, got {name} on {t.device}; move it with {name}.cpu()")
        tensors.append(t)
    return tuple(tensors)


def cpp_lstm(
    X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor, W_x: torch.Tensor, W_h: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One LSTM layer by the C++ operators: ``(outputs, H_n, C_n)``, differentiable (chapter 10).

    The functional form of :class:`CppLSTM`, with the arguments of
    :class:`~lstm_companion.LSTMFunction`: ``X`` ``(T, B, d)``, 2-D states
    ``H0``, ``C0`` ``(B, h)``, ``W_x`` ``(d, 4h)``, ``W_h`` ``(h, 4h)``,
    ``b`` ``(4h,)`` (``nn.LSTM``'s ``weight_ih_l0.T``, ``weight_hh_l0.T`` and
    the sum of its biases); returns ``(T, B, h)`` outputs and ``(B, h)``
    final states. float32 or float64 CPU tensors only (anything else raises);
    without a C++ build it warns once and runs the Python fused loop.
    """
    X, H0, C0, W_x, W_h, b = _check_functional(X, H0, C0, W_x, W_h, b)
    if not _use_cpp():
        return fused_lstm(X, H0, C0, W_x, W_h, b)
    Hs, H_n, C_n, *_ = torch.ops.lstm_companion.lstm_forward(X, H0, C0, W_x, W_h, b)
    return Hs, H_n, C_n


class CppLSTM(FastLSTMBase):
    """The LSTM layer in C++, forward and backward, as a PyTorch custom operator (chapter 10).

    ``CppLSTM(num_inputs, num_hiddens)`` has the parameters, interface and
    conversions of the other fast LSTMs (:class:`~lstm_companion.FastLSTMBase`:
    ``forward(X, (H0, C0))`` like ``nn.LSTM``, ``from_torch``, ``to_torch``),
    and runs :func:`cpp_lstm`: the premultiplied loop with fused gates and the
    hand-written backward pass, compiled on first use. For what the C++
    operators do not support (a dtype other than float32 and float64, a GPU)
    and when they cannot be built (no compiler, ``LSTM_COMPANION_NO_CPP=1``;
    a one-time warning says so) it runs the Python loop of
    :class:`~lstm_companion.FusedLSTM` (:func:`~lstm_companion.fused_lstm`)
    instead, with the same results.
    """

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if X.device.type == "cpu" and X.dtype in CPP_DTYPES and _use_cpp():
            Hs, H_n, C_n, *_ = torch.ops.lstm_companion.lstm_forward(X, H0, C0, self.W_x, self.W_h, self.b)
            return Hs, H_n, C_n
        return fused_lstm(X, H0, C0, self.W_x, self.W_h, self.b)
