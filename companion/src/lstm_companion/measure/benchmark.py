"""Timing and profiling the LSTM implementations, and the ladder of speed-ups (chapter 10).

Chapter 10 writes the same LSTM several ways
(:mod:`lstm_companion.models.fast_lstm`) and measures each one:

- :func:`train_step`: one forward and backward pass (the loss is the sum of
  the outputs), the unit that is timed and profiled;
- :func:`time_interleaved`: round-robin timing, every case once per round in
  an order rotated each round, so that all of them see the same machine load;
  :func:`summarize_times`: median, quartiles, min and max, in milliseconds;
- :func:`profile_step`, :func:`op_counts` and :func:`profile_table`: where
  the time goes, from ``torch.profiler``: how many operators an
  implementation launches, and which of them take the time;
- :func:`plot_speed_ladder`: each implementation's training step relative to
  ``nn.LSTM``'s, for one shape of the benchmark's results, which
  :func:`find_speed_results` finds (``results/lstm_speed_cpu.json``).

``bench/lstm_speed.py``, the benchmark whose results are committed, uses the
same functions.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._checks import check_positive_int, check_record_keys, check_tensor
from ..data.download import find_results
from ..models.fast_lstm import LADDER

__all__ = [
    "train_step",
    "time_interleaved",
    "summarize_times",
    "profile_step",
    "op_counts",
    "profile_table",
    "plot_speed_ladder",
    "find_speed_results",
]


def train_step(model: nn.Module, X: torch.Tensor) -> None:
    """One forward and backward pass of ``model`` on ``X`` (the loss is the sum of the outputs); clears the gradients."""
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
        if not callable(case):
            raise TypeError(f"cases[{name!r}] must be callable with no arguments, got {type(case).__name__}")
    dev = torch.device(device)
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
        if not (isinstance(s, (int, float)) or hasattr(s, "__float__")) or not 0 <= float(s) < float("inf"):
            raise ValueError(f"seconds[{i}] must be a finite number of seconds >= 0, got {s!r}")
    ms = sorted(1000 * s for s in seconds)
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
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if X.device.type == "cuda" else [])
    with _native_stderr_silenced(), profile(activities=activities, profile_memory=profile_memory) as prof:
        if train:
            train_step(model, X)
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


def find_speed_results(name: str = "lstm_speed_cpu.json", start: str | Path | None = None) -> Path:
    """The benchmark's results file ``results/<name>`` (chapter 10); see :func:`lstm_companion.find_results`."""
    return find_results(name, start)
