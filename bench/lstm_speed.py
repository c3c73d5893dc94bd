"""Benchmark: the companion's LSTMs against nn.LSTM (chapter 10, "Making an LSTM fast").

Times, for every implementation in ``lstm_companion.LADDER`` and at
each shape, the forward pass (with autograd recording, as in training; like
PyTorch's ``benchmarks/fastrnns``) and a training step (forward and backward,
the loss being the sum of the outputs); measures the
peak memory of a training step; prints a table of milliseconds and ratios to
``nn.LSTM``, and a ``torch.profiler`` table of where the fastest companion
implementation, the C++ rung and ``nn.LSTM`` spend a training step.

Timings are interleaved: each round runs every implementation once, in an
order rotated by one per round, so all of them see the same machine load;
``--warmup`` rounds are not timed. Reported: the median and the quartiles.

Roofline: in the same run, before and after the timings (the faster of the two
counts), the machine's float32 matmul rate is measured for a
large square product (the peak) and for the LSTM's own two shapes (the input
projection for all steps, one step's recurrent product); with the FLOPs of a
training step's products (``lstm_companion.lstm_matmul_flops``) that gives the
least time a step can take (``lstm_companion.lstm_roofline_ms``), and each
implementation's "% of roofline": that bound over its median time.

Memory: the peak, during one training step, of the tensors allocated through
PyTorch's allocator, above what was allocated before the step (inputs and
weights). On the CPU it comes from ``torch.profiler``'s memory events
(tracemalloc does not see PyTorch's allocations); memory that libraries
allocate on their own (e.g. oneDNN's internal scratch space) is not counted.
On CUDA it is ``torch.cuda.max_memory_allocated``.

Examples::

    python bench/lstm_speed.py                                  # both shapes, on the CPU, printed
    python bench/lstm_speed.py --out results/lstm_speed_cpu.json  # ... and written (+ a .md table)
    python bench/lstm_speed.py --device cuda --out results/lstm_speed_cuda.json
    python bench/lstm_speed.py --shape tiny=5,2,3,4 --repeats 2 --warmup 1 --impls naive,bptt

The full CPU run (the defaults) should take about 5 minutes on 2 quiet cores,
most of it in the large shape and in ``torch.compile``'s compilation (once
per shape). Each implementation's first training step is run and timed
separately ("first call", compilation included) before the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# torch.compile's kernels go to a fresh cache folder for each run, so that the "first call" column of the
# compiled LSTM includes its compilation at both shapes, not a load from an earlier run's on-disk cache
# (set TORCHINDUCTOR_CACHE_DIR to keep one). Set before torch is imported, which reads it.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="lstm_speed_inductor_"))

import torch
from torch import nn

import lstm_companion as lc

SHAPES: dict[str, tuple[int, int, int, int]] = {
    # name: (num_steps T, batch_size B, num_inputs d, num_hiddens h)
    "fastrnns": (100, 64, 512, 512),  # the default of PyTorch's benchmarks/fastrnns
    "small": (100, 32, 64, 256),
}


def parse_shape(text: str) -> tuple[str, tuple[int, int, int, int]]:
    """``NAME=T,B,I,H`` (or a preset name) -> ``(name, (T, B, I, H))``."""
    if "=" not in text:
        if text not in SHAPES:
            raise argparse.ArgumentTypeError(f"shape must be one of {sorted(SHAPES)} or NAME=T,B,I,H, got {text!r}")
        return text, SHAPES[text]
    name, _, dims = text.partition("=")
    try:
        values = tuple(int(v) for v in dims.split(","))
    except ValueError:
        values = ()
    if not name or len(values) != 4 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"shape must be NAME=T,B,I,H with four positive ints, got {text!r}")
    return name, values  # type: ignore[return-value]


def describe_machine(device: torch.device) -> dict[str, Any]:
    """lc.machine_summary() and what this benchmark's table also needs (the keys chapter 10 reads included)."""
    info: dict[str, Any] = {
        **lc.machine_summary(),
        "device": device.type,
        # whether the "cpp" rung ran its C++ operators (False: its Python fallback, and a warning said why)
        "cpp_lstm": lc.cpp_lstm_available() if device.type == "cpu" else False,
        "cpu": lc.cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": lc.usable_cores(),
        "torch_threads": torch.get_num_threads(),
        "blas": "mkl" if torch.backends.mkl.is_available() else "other",
        "onednn": torch.backends.mkldnn.is_available(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
        info["tf32"] = False
    return info


def peak_train_memory_mib(model: nn.Module, X: torch.Tensor) -> float:
    """Peak extra memory (MiB) of one training step, above what was allocated before it."""
    if X.device.type == "cuda":
        torch.cuda.synchronize(X.device)
        torch.cuda.reset_peak_memory_stats(X.device)
        base = torch.cuda.memory_allocated(X.device)
        lc.forward_backward(model, X)
        torch.cuda.synchronize(X.device)
        return (torch.cuda.max_memory_allocated(X.device) - base) / 2**20
    for p in model.parameters():  # free last step's gradients before the baseline
        p.grad = None
    prof = lc.profile_step(model, X, profile_memory=True)
    events = sorted(
        (e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns()
    )
    current = peak = 0
    for e in events:  # allocations are positive, frees negative: the running sum is the live memory
        current += e.nbytes()
        peak = max(peak, current)
    return peak / 2**20


def profile_rows(model: nn.Module, X: torch.Tensor, row_limit: int) -> tuple[str, list[dict[str, Any]]]:
    """The profiler's table of one training step, and its top rows as dicts."""
    prof = lc.profile_step(model, X)
    averages = prof.key_averages()
    table = averages.table(sort_by="self_cpu_time_total", row_limit=row_limit)
    total = sum(e.self_cpu_time_total for e in averages) or 1.0
    top = sorted(averages, key=lambda e: e.self_cpu_time_total, reverse=True)[:row_limit]
    rows = [
        {
            "op": e.key,
            "calls": int(e.count),
            "self_cpu_ms": e.self_cpu_time_total / 1000,
            "self_cpu_share": e.self_cpu_time_total / total,
        }
        for e in top
    ]
    return table, rows


def roofline(dims: tuple[int, int, int, int], runs: list[dict[str, float]]) -> dict[str, Any]:
    """The least time a training step can take, from the fastest of several measurements of each rate.

    The rates are measured before and after the timings: a burst of other work during one measurement
    lowers that one, and taking the faster keeps the bound a lower bound.
    """
    T, B, d, h = dims
    rates = {name: max(run[name] for run in runs) for name in runs[0]}
    return {
        "matmul_shapes": {name: list(mkn) for name, mkn in lc.lstm_matmul_shapes(*dims).items()},
        "matmul_gflops": rates,
        "matmul_gflops_runs": runs,
        "flops": lc.lstm_matmul_flops(T, B, d, h),
        "bound_ms": lc.lstm_roofline_ms(T, B, d, h, rates),
    }


def bench_shape(
    name: str, dims: tuple[int, int, int, int], impls: list[str], args: argparse.Namespace, device: torch.device
) -> dict[str, Any]:
    T, B, d, h = dims
    rates_before = lc.lstm_matmul_rates(*dims, device=device, repeats=max(args.repeats, 5))
    torch.manual_seed(0)
    reference = nn.LSTM(d, h).to(device)
    X = torch.randn(T, B, d, device=device)  # (num_steps, batch_size, num_inputs)
    models = {impl: lc.make_lstm(impl, reference) for impl in impls}

    # First training step, untimed by the rounds: for script/compile it includes compilation.
    first_call_s = {}
    for impl, model in models.items():
        start = time.perf_counter()
        lc.forward_backward(model, X)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        first_call_s[impl] = time.perf_counter() - start

    # The same function: every implementation's outputs against nn.LSTM's.
    expected = reference(X)[0].detach()
    for impl, model in models.items():
        diff = float((model(X)[0].detach() - expected).abs().max())
        if diff > 1e-3:
            raise AssertionError(f"{impl} differs from nn.LSTM by {diff:.2e} at shape {name}")

    def forward(model: nn.Module) -> None:
        model(X)  # with autograd recording, as in a training step (PyTorch's fastrnns times it so too)

    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    log(f"[{name}] timing forward passes ({args.warmup} + {args.repeats} rounds)")
    fwd = lc.time_interleaved(
        {impl: (lambda m=m: forward(m)) for impl, m in models.items()},
        repeats=args.repeats,
        warmup=args.warmup,
        device=device,
    )
    log(f"[{name}] timing training steps ({args.warmup} + {args.repeats} rounds)")
    train = lc.time_interleaved(
        {impl: (lambda m=m: lc.forward_backward(m, X)) for impl, m in models.items()},
        repeats=args.repeats,
        warmup=args.warmup,
        device=device,
    )
    results: dict[str, Any] = {}
    for impl in impls:
        results[impl] = {
            "forward_ms": lc.summarize_times(fwd[impl]),
            "train_ms": lc.summarize_times(train[impl]),
            "forward_ms_all": [1000 * s for s in fwd[impl]],
            "train_ms_all": [1000 * s for s in train[impl]],
            "first_call_s": first_call_s[impl],
        }
    if "nn.LSTM" in results:
        ref_fwd = results["nn.LSTM"]["forward_ms"]["median"]
        ref_train = results["nn.LSTM"]["train_ms"]["median"]
        for impl in impls:
            results[impl]["forward_ratio"] = results[impl]["forward_ms"]["median"] / ref_fwd
            results[impl]["train_ratio"] = results[impl]["train_ms"]["median"] / ref_train
            # the ratio of the two medians is noisy; so is the median of the per-round ratios, but it cancels
            # load that changes between rounds (the implementations of a round ran back to back)
            results[impl]["train_ratio_paired"] = statistics.median(
                a / b for a, b in zip(train[impl], train["nn.LSTM"])
            )
    log(f"[{name}] measuring matmul rates for the roofline")
    limit = roofline(dims, [rates_before, lc.lstm_matmul_rates(*dims, device=device, repeats=max(args.repeats, 5))])
    for impl in impls:
        # the share of the least possible time: 100 % would be every product at its shape's measured rate
        results[impl]["train_roofline_share"] = limit["bound_ms"]["shapes"] / results[impl]["train_ms"]["median"]
        results[impl]["train_gflops"] = limit["flops"]["train"] / (results[impl]["train_ms"]["median"] * 1e6)
    if not args.no_memory:
        log(f"[{name}] measuring the peak memory of a training step")
        for impl, model in models.items():
            results[impl]["peak_train_mib"] = peak_train_memory_mib(model, X)

    entry: dict[str, Any] = {
        "name": name,
        "num_steps": T,
        "batch_size": B,
        "num_inputs": d,
        "num_hiddens": h,
        "results": results,
        "roofline": limit,
    }
    companions = [i for i in impls if i != "nn.LSTM"]
    if companions:
        fastest = min(companions, key=lambda i: results[i]["train_ms"]["median"])
        entry["fastest_companion"] = fastest
        if not args.no_profile:
            profiles = {}
            # the fastest companion LSTM, the C++ rung (the one written to run near the limit) and nn.LSTM
            extra = [i for i in ("cpp", "nn.LSTM") if i in impls]
            for impl in dict.fromkeys([fastest, *extra]):
                table, rows = profile_rows(models[impl], X, args.profile_rows)
                profiles[impl] = rows
                log(f"\n[{name}] where a training step of {impl} spends its time (torch.profiler):\n{table}")
            entry["profile"] = profiles
    return entry


def markdown_table(report: dict[str, Any]) -> str:
    """The results as Markdown: one table per shape."""
    m = report["machine"]
    where = m.get("gpu") or f"{m['cpu']}, {m['usable_cores']} usable cores"
    lines = [
        f"# LSTM speed ({m['device']})",
        "",
        f"Machine: {where}; torch {m['torch']} with {m['torch_threads']} CPU threads; "
        f"{report['settings']['repeats']} timed rounds after {report['settings']['warmup']} warm-up rounds; "
        f"written {report['created']}.",
        "",
    ]
    if "cpp" in report["settings"]["impls"]:
        ran = "its C++ operators" if m.get("cpp_lstm") else "its Python fallback (the C++ build was not available)"
        lines += [f"The cpp rung ran {ran}.", ""]
    if report.get("note"):
        lines += [f"Note: {report['note']}", ""]
    for shape in report["shapes"]:
        res = shape["results"]
        lines += [
            f"## {shape['name']}: T={shape['num_steps']}, B={shape['batch_size']}, "
            f"d={shape['num_inputs']}, h={shape['num_hiddens']}",
            "",
        ]
        limit = shape.get("roofline")
        if limit:
            g, b = limit["matmul_gflops"], limit["bound_ms"]
            lines += [
                f"Roofline: matmuls run at {g['peak']:.0f} GFLOP/s (2048 × 2048), {g['projection']:.0f} "
                f"(input projection) and {g['step']:.0f} (one step's recurrent product); a training step's "
                f"products are {limit['flops']['train'] / 1e9:.1f} GFLOP, so it takes at least "
                f"{b['shapes']:.1f} ms at those shapes' rates ({b['peak']:.1f} ms if all ran at the peak). "
                "% of roofline = that bound / the step's median time.",
                "",
            ]
        lines += [
            "| implementation | forward ms (median [q25, q75]) | × nn.LSTM | train step ms (median [q25, q75]) "
            "| × nn.LSTM | % of roofline | peak train memory (MiB) | first call (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for impl, r in res.items():
            f, t = r["forward_ms"], r["train_ms"]
            mem = f"{r['peak_train_mib']:.1f}" if "peak_train_mib" in r else "–"
            share = f"{100 * r['train_roofline_share']:.0f} %" if "train_roofline_share" in r else "–"
            lines.append(
                f"| {impl} | {f['median']:.1f} [{f['q25']:.1f}, {f['q75']:.1f}] | {r.get('forward_ratio', float('nan')):.2f} "
                f"| {t['median']:.1f} [{t['q25']:.1f}, {t['q75']:.1f}] | {r.get('train_ratio', float('nan')):.2f} "
                f"| {share} | {mem} | {r['first_call_s']:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda (nn.LSTM then runs cuDNN); default cpu")
    parser.add_argument(
        "--shape",
        action="append",
        type=parse_shape,
        metavar="NAME=T,B,I,H",
        help=f"a shape to run (repeatable); presets {sorted(SHAPES)}; default: all presets",
    )
    parser.add_argument(
        "--impls",
        default=",".join(lc.LADDER),
        help=f"comma-separated implementations; default all: {','.join(lc.LADDER)}",
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed rounds per shape (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds after the first call (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's default)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiler tables")
    parser.add_argument("--profile-rows", type=int, default=8, help="rows of each profiler table (default 8)")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the results as JSON here, and a .md table beside it"
    )
    parser.add_argument("--note", default="", help="a note stored in the JSON file (e.g. 'provisional')")
    parser.add_argument("--quiet", action="store_true", help="no progress messages or profiler tables on stderr")
    args = parser.parse_args(argv)

    if args.repeats < 1 or args.warmup < 0 or args.profile_rows < 1:
        parser.error("--repeats and --profile-rows must be >= 1, --warmup >= 0")
    try:
        device = torch.device(args.device)
    except RuntimeError:
        parser.error(f"--device must be cpu or cuda, got {args.device!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            parser.error("--device cuda was asked for, but CUDA is not available on this machine")
        # Compare like with like in float32: no reduced-precision TF32 products, neither in cuDNN nor in matmuls.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    elif device.type != "cpu":
        parser.error(f"--device must be cpu or cuda, got {args.device!r}")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        torch.set_num_threads(args.threads)
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    unknown = [i for i in impls if i not in lc.LADDER]
    if unknown or not impls:
        parser.error(f"--impls must name some of {','.join(lc.LADDER)}, got {args.impls!r}")
    shapes = args.shape or list(SHAPES.items())

    warnings.filterwarnings("ignore", message=".*CUDA.*")  # torch.compile on a CPU-only machine
    report: dict[str, Any] = {
        "note": args.note,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe_machine(device),
        "settings": {
            "repeats": args.repeats,
            "warmup": args.warmup,
            "impls": impls,
            "command": " ".join(["python", "bench/lstm_speed.py", *(argv if argv is not None else sys.argv[1:])]),
        },
        "shapes": [],
    }
    start = time.perf_counter()
    for name, dims in shapes:
        report["shapes"].append(bench_shape(name, dims, impls, args, device))
    report["seconds"] = time.perf_counter() - start

    table = markdown_table(report)
    print(table)
    if args.out is not None:
        text = json.dumps(report, indent=1) + "\n"
        json.loads(text)  # verify before it replaces anything
        # both written before either is renamed into place: an interrupted run never leaves half a table
        lc.atomic_write_many(
            {
                args.out: lambda tmp: tmp.write_text(text),
                args.out.with_suffix(".md"): lambda tmp: tmp.write_text(table + "\n"),
            }
        )
        print(f"wrote {args.out} and {args.out.with_suffix('.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
