"""Chapter 14: the linear recurrence h_t = a_t h_{t-1} + b_t by loop, log-space scan and Blelloch scan, against T.

Forward and backward of each method at batch 8, width 64, for T = 64 ... 8192,
the median of a few interleaved repeats; writes ``results/scan_speed_cpu.json``
and ``.md`` with the machine record. About two minutes on one thread::

    OMP_NUM_THREADS=1 nice -n 15 python bench/scan_speed.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import torch

import lstm_companion as lc

LENGTHS = [64, 256, 1024, 4096, 8192]
BATCH, WIDTH, REPEATS = 8, 64, 3


def one(method: str, a: torch.Tensor, b: torch.Tensor) -> float:
    a = a.detach().requires_grad_()
    b = b.detach().requires_grad_()
    t = time.perf_counter()
    lc.linear_scan(a, b, method=method).sum().backward()
    return time.perf_counter() - t


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = []
    for T in LENGTHS:
        a = torch.rand(BATCH, T, WIDTH) * 0.5 + 0.5
        b = torch.randn(BATCH, T, WIDTH)
        times: dict[str, list[float]] = {m: [] for m in lc.SCAN_METHODS}
        for m in lc.SCAN_METHODS:
            one(m, a, b)  # warm-up
        for _ in range(REPEATS):
            for m in lc.SCAN_METHODS:
                times[m].append(one(m, a, b))
        row = {"T": T, **{m: statistics.median(v) for m, v in times.items()}}
        rows.append(row)
        print(row, flush=True)
    out = Path(__file__).resolve().parent.parent / "results" / "scan_speed_cpu.json"
    table = {
        "settings": {
            "batch": BATCH,
            "width": WIDTH,
            "repeats": REPEATS,
            "lengths": LENGTHS,
            "what": "forward+backward",
        },
        "rows": rows,
        "machine": lc.machine_summary(),
    }
    md = [
        "# Linear scan forward+backward seconds (bench/scan_speed.py)",
        "",
        "| T | loop | log | blelloch |",
        "|---|---|---|---|",
    ]
    md += [f"| {r['T']} | {r['loop']:.4f} | {r['log']:.4f} | {r['blelloch']:.4f} |" for r in rows]
    md += ["", f"Machine: {table['machine']}", ""]
    lc.atomic_write_many(
        {
            out: lambda tmp: tmp.write_text(json.dumps(table, indent=1) + "\n"),
            out.with_suffix(".md"): lambda tmp: tmp.write_text("\n".join(md)),
        }
    )


if __name__ == "__main__":
    main()
