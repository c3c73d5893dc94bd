"""Chapter 13: the LSTM forecasters over several seeds, on Taylor's demand and the airline passengers.

For each seed the script trains (through ``lc.cached_forecaster``, so the
chapter's seed-0 run can reuse the checkpoints) the plain LSTM, the LSTM
with attention and the Gaussian LSTM on ``taylor`` (a week of half-hours in,
the next day out), and the plain LSTM on ``airpassengers`` with the three
normalisations (``window``, ``global``, ``log_diff``), and records each
run's test scores (``lc.forecaster_scores``: MASE and sMAPE over the test
origins, MASE per origin, the Gaussian model's interval coverage, the
attention model's weight mass by lag) in ``results/forecasting.json``, with
a summary table in ``results/forecasting.md``. Chapter 13 shows the table
and checks its own live seed-0 run against the seeds' spread. One CPU
thread.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/forecasting.py              # seeds 0-4, about 5 CPU minutes
    OMP_NUM_THREADS=1 .venv/bin/python scripts/forecasting.py --seeds 0 1 2 --out /tmp/forecasting.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path
from typing import Any

import torch

import lstm_companion as lc

OUT = Path(__file__).resolve().parents[1] / "results" / "forecasting.json"

RUNS = [("taylor", "window", kind) for kind in ("lstm", "attention", "gaussian")] + [
    ("airpassengers", transform, "lstm") for transform in ("window", "global", "log_diff")
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    runs: list[dict[str, Any]] = []
    for name, transform, kind in RUNS:
        data = lc.forecast_data(name, transform)
        for seed in args.seeds:
            record = lc.forecaster_scores(data, kind, seed)
            runs.append(record)
            print(name, transform, kind, seed, f"MASE {record['mase']:.3f} sMAPE {record['smape']:.2f}", flush=True)
    summary: dict[str, dict[str, float]] = {}
    for name, transform, kind in RUNS:
        rows = [r for r in runs if (r["data"], r["transform"], r["kind"]) == (name, transform, kind)]
        for metric in ("mase", "smape"):
            values = [r[metric] for r in rows]
            summary[f"{name}/{transform}/{kind}/{metric}"] = lc.summarise_seeds(values)
    result = {
        "description": "Chapter 13: test MASE and sMAPE of the LSTM forecasters over seeds; see scripts/forecasting.py",
        "settings": {
            "taylor": lc.TAYLOR_SETUP.record(),
            "airpassengers": lc.AIR_SETUP.record(),
            "forecasters": lc.FORECASTERS,
        },
        "seeds": args.seeds,
        "runs": runs,
        "summary": summary,
        "machine": {**lc.machine_summary(), "torch_threads": 1},
        "total_seconds": time.perf_counter() - start,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    lines = [
        "# Chapter 13: LSTM forecasters over seeds (scripts/forecasting.py)",
        "",
        f"Seeds {args.seeds}; test origins only; MASE scaled by the in-sample seasonal naive error.",
        "",
        "| series | normalisation | model | MASE mean | MASE min | MASE max | sMAPE mean (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, transform, kind in RUNS:
        m = summary[f"{name}/{transform}/{kind}/mase"]
        s = summary[f"{name}/{transform}/{kind}/smape"]
        lines.append(
            f"| {name} | {transform} | {kind} | {m['mean']:.3f} | {m['min']:.3f} | {m['max']:.3f} | {s['mean']:.2f} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lc.atomic_write_many(
        {
            args.out: lambda tmp: tmp.write_text(json.dumps(result, indent=2) + "\n"),
            args.out.with_suffix(".md"): lambda tmp: tmp.write_text("\n".join(lines) + "\n"),
        }
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
