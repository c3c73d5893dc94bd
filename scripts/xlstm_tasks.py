"""Chapter 14's synthetic tasks over seeds: parity (5 cores) and MQAR (4 cores, growing pairs).

Writes ``results/xlstm_tasks.json`` and ``.md`` with the settings, every run
(core, seed, hidden size, parameters, validation and test accuracy, seconds)
and the machine record. About 10 minutes on one thread of a 2-core CPU::

    OMP_NUM_THREADS=1 nice -n 15 python scripts/xlstm_tasks.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from statistics import mean

import torch

import lstm_companion as lc

PARITY_CORES = ["lstm", "slstm", "mlstm", "mingru", "mingru_neg"]
MQAR_CORES = ["lstm", "slstm", "mlstm", "mingru"]
MQAR_PAIRS = [4, 8, 16]
SEEDS = [0, 1, 2]


def markdown(table: dict) -> str:
    lines = ["# Chapter 14: parity and MQAR (scripts/xlstm_tasks.py)", ""]
    lines += ["## Parity: whole-string accuracy (mean over seeds, min-max)", ""]
    lengths = [str(n) for n in table["settings"]["parity"]["test_lengths"]]
    lines += ["| core | params | " + " | ".join(f"length {n}" for n in lengths) + " |"]
    lines += ["|---|---|" + "---|" * len(lengths)]
    for core in PARITY_CORES:
        runs = [r for r in table["parity"] if r["core"] == core]
        cells = []
        for n in lengths:
            accs = [r["test_acc"][n] for r in runs]
            cells.append(f"{mean(accs):.3f} ({min(accs):.3f}-{max(accs):.3f})")
        lines.append(f"| {core} | {runs[0]['params']} | " + " | ".join(cells) + " |")
    lines += ["", "## MQAR: accuracy over the queries (mean over seeds, min-max)", ""]
    lines += ["| core | params | " + " | ".join(f"{p} pairs" for p in MQAR_PAIRS) + " |"]
    lines += ["|---|---|" + "---|" * len(MQAR_PAIRS)]
    for core in MQAR_CORES:
        cells = []
        for p in MQAR_PAIRS:
            accs = [r["test_acc"] for r in table["mqar"] if r["core"] == core and r["num_pairs"] == p]
            cells.append(f"{mean(accs):.3f} ({min(accs):.3f}-{max(accs):.3f})")
        params = next(r["params"] for r in table["mqar"] if r["core"] == core)
        lines.append(f"| {core} | {params} | " + " | ".join(cells) + " |")
    lines += ["", f"Machine: {table['machine']}", f"Seconds: {table['seconds']:.0f}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "results" / "xlstm_tasks.json"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    parity = []
    for core in PARITY_CORES:
        for seed in SEEDS:
            parity.append(lc.run_parity(core, seed))
            print("parity", parity[-1], flush=True)
    mqar = []
    for core in MQAR_CORES:
        for pairs in MQAR_PAIRS:
            for seed in SEEDS:
                mqar.append(lc.run_mqar(core, seed, pairs))
                print("mqar", mqar[-1], flush=True)
    table = {
        "settings": {
            "parity": lc.PARITY_RECIPE.record(),
            "mqar": lc.MQAR_RECIPE.record(),
            "parity_cores": PARITY_CORES,
            "mqar_cores": MQAR_CORES,
            "mqar_pairs": MQAR_PAIRS,
            "seeds": SEEDS,
        },
        "parity": parity,
        "mqar": mqar,
        "companion_code_hash": lc.code_hash(),
        "machine": lc.machine_summary(),
        "seconds": time.perf_counter() - start,
    }
    lc.atomic_write_many(
        {
            args.out: lambda tmp: tmp.write_text(json.dumps(table, indent=1) + "\n"),
            args.out.with_suffix(".md"): lambda tmp: tmp.write_text(markdown(table)),
        }
    )
    print(markdown(table))


if __name__ == "__main__":
    main()
