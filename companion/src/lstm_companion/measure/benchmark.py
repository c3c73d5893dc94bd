"""Timing and profiling the LSTM implementations, and the ladder of speed-ups (chapters 10 and 12).

Chapter 10 writes the same LSTM several ways
(:mod:`lstm_companion.models.fast_lstm`) and measures each one:

- :func:`forward_backward`: one forward and backward pass (the loss is the sum of
  the outputs), the unit that is timed and profiled;
- :func:`time_interleaved`: round-robin timing, every case once per round in
  an order rotated each round, so that all of them see the same machine load;
  :func:`summarize_times`: median, quartiles, min and max, in milliseconds;
- :func:`profile_step`, :func:`op_counts` and :func:`profile_table`: where
  the time goes, from ``torch.profiler``: how many operators an
  implementation launches, and which of them take the time;
- :func:`matmul_dtypes`: which matrix-product operators a call dispatches, and
  in which dtypes (what autocast really did, chapter 12);
- :func:`compare_ratio`: the verdict a measured ratio gives, as words for the
  text ("faster", "about as fast", "slower"): timings depend on the machine
  and its load, so the chapters glue the verdict instead of asserting it;
- :func:`plot_speed_ladder`: each implementation's training step relative to
  ``nn.LSTM``'s, for one shape of the benchmark's results, which
  :func:`~lstm_companion.find_results` finds (``results/lstm_speed_cpu.json``), with the
  roofline as a line when the results hold one.

The physical limit these timings are compared with, the FLOPs of an LSTM's
matrix products and the least time they can take on this machine (a
roofline), is in :mod:`lstm_companion.measure.roofline`; the LSTM
implementations themselves are in :mod:`lstm_companion.models.fast_lstm`.
``bench/lstm_speed.py``, the benchmark whose results are committed, uses the
functions of both modules.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .._checks import check_bool, check_device, check_positive_int, check_record_keys, check_tensor
from ..models.fast_lstm import LADDER

__all__ = [
    "forward_backward",
    "time_interleaved",
    "summarize_times",
    "profile_step",
    "op_counts",
    "profile_table",
    "plot_speed_ladder",
    "compare_ratio",
    "matmul_dtypes",
]


def forward_backward(model: nn.Module, X: torch.Tensor) -> None:
    """One forward and backward pass of ``model`` on ``X`` (the loss is the sum of the outputs); clears the gradients."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for p in model.parameters():
        p.grad = None
    outputs, _ = model(X)
    outputs.sum().backward()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_interleaved(
    cases: Mapping[str, Callable[[], object]],
    *,
    repeats: int,
    warmup: int = 1,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> dict[str, list[float]]:
    """Time every case ``repeats`` times, round robin, after ``warmup`` untimed rounds (chapter 10).

    Each round runs every case once, in an order rotated by one each round, so
    that all cases see the same machine load and none is always first. Returns
    the seconds of each timed run, ``{name: [seconds, ...]}``. On CUDA the
    device is synchronised around each run.
    """
    check_positive_int("repeats", repeats)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if not isinstance(cases, Mapping) or not cases:
        raise ValueError(f"cases must hold at least one case (a mapping of name to callable), got {cases!r}")
    for name, case in cases.items():
        if not isinstance(name, str):
            raise TypeError(f"cases must be keyed by str names, got the key {name!r}")
        if not callable(case):
            raise TypeError(f"cases[{name!r}] must be callable with no arguments, got {type(case).__name__}")
    dev = check_device("device", device)
    names = list(cases)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    rounds: Any = range(warmup + repeats)
    if progress:
        from tqdm.auto import tqdm

        rounds = tqdm(rounds, desc="timing rounds", leave=False)
    for r in rounds:
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            _sync(dev)
            start = time.perf_counter()
            cases[name]()
            _sync(dev)
            if r >= warmup:
                seconds[name].append(time.perf_counter() - start)
    return seconds


def summarize_times(seconds: Sequence[float]) -> dict[str, float]:
    """Median, quartiles, min and max of some timings, in milliseconds."""
    if isinstance(seconds, str) or not hasattr(seconds, "__len__") or len(seconds) == 0:
        raise ValueError(f"seconds must hold at least one timing (a list of seconds), got {seconds!r}")
    for i, s in enumerate(seconds):
        if isinstance(s, bool) or not (isinstance(s, (int, float)) or hasattr(s, "__float__")):
            raise TypeError(f"seconds[{i}] must be a number of seconds, got {type(s).__name__} {s!r}")
        if not 0 <= float(s) < float("inf"):
            raise ValueError(f"seconds[{i}] must be a finite number of seconds >= 0, got {s!r}")
    ms = sorted(1000 * float(s) for s in seconds)
    if len(ms) >= 2:
        q1, _, q3 = statistics.quantiles(ms, n=4, method="inclusive")
    else:
        q1 = q3 = ms[0]
    return {"median": statistics.median(ms), "q25": q1, "q75": q3, "min": ms[0], "max": ms[-1], "n": len(ms)}


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send the C++ side's stderr (file descriptor 2) to /dev/null for a while.

    The profiler's C++ library logs a line when it starts and stops (and, on a
    machine without a GPU, that it found none); those lines would otherwise
    land in the chapter's outputs. Python's own warnings are unaffected in
    Jupyter, which does not write them to descriptor 2.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (e.g. some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def profile_step(model: nn.Module, X: torch.Tensor, *, train: bool = True, profile_memory: bool = False) -> Any:
    """Run one training step (or, with ``train=False``, one forward pass without autograd) under
    ``torch.profiler`` and return the profiler (chapter 10).

    Records the CPU side (and CUDA kernels when ``X`` is on a GPU); with
    ``profile_memory=True`` also every allocation and free.
    """
    from torch.profiler import ProfilerActivity, profile

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_tensor("X", X)
    check_bool("train", train)
    check_bool("profile_memory", profile_memory)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if X.device.type == "cuda" else [])
    with _native_stderr_silenced(), profile(activities=activities, profile_memory=profile_memory) as prof:
        if train:
            forward_backward(model, X)
        else:
            with torch.no_grad():
                model(X)
        _sync(X.device)
    return prof


def op_counts(model: nn.Module, X: torch.Tensor, *, train: bool = True) -> dict[str, int]:
    """How many times each PyTorch operator runs in one training step, or forward pass (chapter 10).

    Counts from ``torch.profiler``, e.g. ``{"aten::mm": 800, ...}``: how many
    separate operations, each with its own dispatch and memory round trip, the
    implementation asks for. Operators called inside other operators (such as
    ``aten::slice`` inside ``aten::chunk``) are counted too.
    """
    prof = profile_step(model, X, train=train)
    return {e.key: int(e.count) for e in prof.key_averages()}


def profile_table(model: nn.Module, X: torch.Tensor, *, train: bool = True, row_limit: int = 10) -> str:
    """``torch.profiler``'s table of the operators that took the most time in one training step (chapter 10)."""
    check_positive_int("row_limit", row_limit)
    prof = profile_step(model, X, train=train)
    table: str = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=row_limit)
    return table


def plot_speed_ladder(results: Mapping[str, Any], *, ax: Any = None, title: str | None = None) -> Any:
    """The ladder of speed-ups: each implementation's training step relative to ``nn.LSTM`` (chapter 10).

    ``results`` is one shape's entry of ``bench/lstm_speed.py``'s JSON file:
    ``{"name": ..., "num_steps": ..., ..., "results": {impl: {"train_ms": {"median", "q25", "q75"}, ...}}}``.
    Bars show the median time of a forward and backward pass divided by
    ``nn.LSTM``'s, with whiskers from the quartiles; the dashed line is 1.
    """
    import matplotlib.pyplot as plt

    check_record_keys(
        results,
        ("results", "num_steps", "batch_size", "num_inputs", "num_hiddens"),
        where="results",
        what="benchmark shape entry",
    )
    rows = results["results"]
    if not isinstance(rows, Mapping) or "nn.LSTM" not in rows:
        raise ValueError(
            f"results['results'] must contain 'nn.LSTM', got {sorted(rows) if isinstance(rows, Mapping) else rows!r}"
        )
    for impl, row in rows.items():
        check_record_keys(row, ("train_ms",), where=f"results['results'][{impl!r}]", what="benchmark row")
        check_record_keys(
            row["train_ms"],
            ("median", "q25", "q75"),
            where=f"results['results'][{impl!r}]['train_ms']",
            what="timing summary",
        )
    names = [n for n in LADDER if n in rows] + [n for n in rows if n not in LADDER]
    ref = rows["nn.LSTM"]["train_ms"]["median"]
    med = [rows[n]["train_ms"]["median"] / ref for n in names]
    lo = [m - rows[n]["train_ms"]["q25"] / ref for m, n in zip(med, names)]
    hi = [rows[n]["train_ms"]["q75"] / ref - m for m, n in zip(med, names)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    colors = ["tab:gray" if n == "nn.LSTM" else "tab:blue" for n in names]
    y = list(range(len(names)))[::-1]
    ax.barh(y, med, xerr=[lo, hi], color=colors, capsize=3)
    ax.axvline(1.0, color="black", ls="--", lw=1)
    roofline = results.get("roofline")
    if isinstance(roofline, Mapping) and "bound_ms" in roofline:
        bound = roofline["bound_ms"]["shapes"] / ref  # the least time, relative to nn.LSTM's
        ax.axvline(bound, color="tab:red", ls=":", lw=1.5, label="matmul roofline")
        ax.legend(loc="lower right")
    for yy, m, e in zip(y, med, hi):
        ax.text(m + e, yy, f"  {m:.2f}×", va="center", ha="left")  # right of the whisker
    ax.set_yticks(y, names)
    ax.set_xlabel("training step time / nn.LSTM's")
    shape = (
        f"T={results['num_steps']}, B={results['batch_size']}, d={results['num_inputs']}, h={results['num_hiddens']}"
    )
    ax.set_title(title if title is not None else shape)
    ax.set_xlim(0, max(m + e for m, e in zip(med, hi)) * 1.25)
    return ax


def compare_ratio(ratio: float, above: str, below: str, within: str, *, tie: float = 0.1) -> str:
    """The words that a measured ratio supports: ``above`` if ``ratio > 1 + tie``, ``below`` if
    ``ratio < 1 / (1 + tie)``, else ``within`` (chapters 4, 5, 7, 10 and 12).

    A timing ratio depends on the processor, the sizes and what else the
    machine is doing, so a chapter does not assert which way it goes: it
    glues this verdict and the text follows the measurement. ``tie`` is the
    relative band read as "no real difference" (10 % by default).
    """
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not math.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a finite number > 0, got {ratio!r}")
    for name, text in (("above", above), ("below", below), ("within", within)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    if not isinstance(tie, (int, float)) or isinstance(tie, bool) or not (0 <= tie < 1):
        raise ValueError(f"tie must be a number in [0, 1), got {tie!r}")
    if ratio > 1 + tie:
        return above
    if ratio < 1 / (1 + tie):
        return below
    return within


# the ATen operators that compute matrix products (and oneDNN's whole LSTM layer)
_PRODUCT_OPS = ("mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "mkldnn_rnn_layer", "_thnn_fused_lstm_cell")


def matmul_dtypes(fn: Callable[[], object]) -> dict[tuple[str, str], int]:
    """Run ``fn()`` and count the matrix-product operators it dispatched, by (operator, input dtype) (chapter 12).

    A ``TorchDispatchMode`` sees every ATen operator after autocast has cast
    its inputs, so the dtypes are the ones the product was computed in:
    ``{("mm", "torch.bfloat16"): 12, ...}``. Operators counted:
    ``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``matmul``, ``linear`` and
    oneDNN's ``mkldnn_rnn_layer``.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    if not callable(fn):
        raise TypeError(f"fn must be callable with no arguments, got {type(fn).__name__}")
    counts: dict[tuple[str, str], int] = {}

    class _Log(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            name = func.overloadpacket.__name__
            if name in _PRODUCT_OPS:
                first = next((a for a in args if isinstance(a, torch.Tensor)), None)
                key = (name, str(first.dtype) if first is not None else "none")
                counts[key] = counts.get(key, 0) + 1
            return func(*args, **(kwargs or {}))

    with _Log():  # type: ignore[no-untyped-call]
        fn()
    return counts
