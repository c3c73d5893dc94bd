"""Chapter 8's ablation sweep: eight recurrent cores x two tasks x three seeds.

Every run is :func:`lstm_companion.run_ablation` with the settings of
:data:`lstm_companion.ABLATION_RECIPES`; the results, the settings,
the machine and the companion's version go to ``results/ablations.json``
(and a flat ``results/ablations.csv``). Chapter 8 loads that table and reruns
a few of its runs live to check it.

    python scripts/ablations.py                        # everything (about 15 minutes on one core beside other jobs)
    python scripts/ablations.py --tasks char_lm --out /tmp/lm.json   # one task, to a partial file
    python scripts/ablations.py --merge /tmp/lm.json /tmp/adding.json  # join partial files into results/

Runs on the CPU with one thread, as chapter 8 does, so that the notebook's
live reruns repeat the table's numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import lstm_companion
import lstm_companion as lc
from lstm_companion import code_hash

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)


def header() -> dict[str, Any]:
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "companion_version": lstm_companion.__version__,
        "companion_code_hash": code_hash(),
        "machine": lc.machine_summary(),
        "seeds": list(SEEDS),
        "settings": lc.ablation_settings(),
        "ablations": lc.ABLATIONS,
        "measures": {
            "adding": "test mean squared error",
            "char_lm": "test perplexity (weights of the best validation epoch)",
        },
        "note": "seconds are wall-clock times on a machine shared with other jobs; compare them only loosely",
        "results": {},
        "provenance": {},  # per task: created, companion version and code hash, machine
    }


def provenance(table: dict[str, Any]) -> dict[str, Any]:
    """Where one task's results came from: a merged table can join runs of different code."""
    return {k: table[k] for k in ("created", "companion_version", "companion_code_hash", "machine")}


def sweep(tasks: list[str], ablations: list[str], out: Path) -> dict[str, Any]:
    table = header()
    total = len(tasks) * len(ablations) * len(SEEDS)
    done = 0
    for task in tasks:
        data = lc.ablation_data(task)
        table["results"][task] = {}
        for ablation in ablations:
            scores, seconds = [], []
            for seed in SEEDS:
                start = time.perf_counter()
                score, _ = lc.run_ablation(task, ablation, seed, data, device="cpu", progress=False)
                seconds.append(time.perf_counter() - start)
                scores.append(score)
                done += 1
                print(f"[{done}/{total}] {task} {ablation} seed {seed}: {score:.5g} ({seconds[-1]:.0f} s)", flush=True)
            table["results"][task][ablation] = {"scores": scores, "seconds": seconds, **lc.summarise_seeds(scores)}
            table["provenance"][task] = provenance(table)
            write(table, out)  # after every ablation, so an interrupted sweep keeps what it measured
    return table


def write(table: dict[str, Any], out: Path) -> None:
    rows = [
        (task, ab, seed, score)
        for task, res in table["results"].items()
        for ab, r in res.items()
        for seed, score in zip(table["seeds"], r["scores"])
    ]

    def write_csv(tmp: Path) -> None:
        with tmp.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["task", "ablation", "seed", "score"])
            writer.writerows(rows)

    lc.atomic_write_many(
        {out: lambda tmp: tmp.write_text(json.dumps(table, indent=1) + "\n"), out.with_suffix(".csv"): write_csv}
    )


def merge(paths: list[Path], out: Path) -> dict[str, Any]:
    parts = [json.loads(p.read_text()) for p in paths]
    for part in parts:  # a file written before per-task provenance: its header is every task's
        part.setdefault("provenance", {t: provenance(part) for t in part["results"]})
    table = parts[0]
    for part in parts[1:]:
        for key in ("ablations", "seeds"):
            if part[key] != table[key]:
                raise ValueError(f"{key} differs between the partial files; rerun them with the same code")
        for task in part["results"]:
            if part["settings"][task] != table["settings"][task]:
                raise ValueError(f"the settings of {task!r} differ between the partial files")
        table["results"].update(part["results"])
        table["provenance"].update(part["provenance"])
    table["results"] = {t: table["results"][t] for t in lc.ABLATION_TASKS if t in table["results"]}
    write(table, out)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(lc.ABLATION_TASKS), choices=lc.ABLATION_TASKS)
    parser.add_argument("--ablations", nargs="+", default=list(lc.ABLATIONS), choices=list(lc.ABLATIONS))
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "ablations.json")
    parser.add_argument("--merge", nargs="+", type=Path, help="join these partial files into --out and stop")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.merge:
        merge(args.merge, args.out)
    else:
        sweep(args.tasks, args.ablations, args.out)


if __name__ == "__main__":
    sys.exit(main())
