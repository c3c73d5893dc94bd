"""Chapter 14's character language model table: five cores at matched parameters and matched seconds.

For every core of ``lc.LM_CORES`` (LSTM, sLSTM, mLSTM, minGRU and a small
causal Transformer, each near ``LM_RECIPE.budget`` parameters): train
with seed 0 at each learning rate of ``LM_RECIPE.lrs`` for
``max_seconds`` seconds of updates, choose the rate with the best validation
perplexity, score that model on the test text once, then train and test
seeds 1 and 2 at the chosen rate. Writes ``results/xlstm_lm.json`` and
``.md``: the settings, every run (validation perplexity after every epoch,
tokens seen, tokens per second; test perplexity for the chosen runs only),
the chosen rates and the machine record. About 30 minutes on one thread of a
2-core CPU::

    OMP_NUM_THREADS=1 python scripts/xlstm_lm.py

Run it on a quiet machine: the table's tokens per second are its timings.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from statistics import mean

import torch

import lstm_companion as lc

SEEDS = [0, 1, 2]


def markdown(table: dict) -> str:
    s = table["settings"]
    lines = ["# Chapter 14: character language models (scripts/xlstm_lm.py)", ""]
    lines += [
        f"{s['fit']['max_seconds']:.0f} s of updates each on one thread; learning rate chosen on validation (seed 0); "
        "test perplexity of the chosen runs, mean over seeds (min-max).",
        "",
        "| core | params | lr | val ppl | test ppl | tokens/s | tokens seen |",
        "|---|---|---|---|---|---|---|",
    ]
    for core in s["cores"]:
        runs = [r for r in table["runs"] if r["core"] == core and "test_ppl" in r]
        test = [r["test_ppl"] for r in runs]
        lines.append(
            f"| {core} | {runs[0]['params']} | {table['chosen'][core]:g} | "
            f"{mean(r['best_val_ppl'] for r in runs):.3f} | {mean(test):.3f} ({min(test):.3f}-{max(test):.3f}) | "
            f"{mean(r['tokens_per_second'] for r in runs):,.0f} | {mean(r['tokens'] for r in runs):,.0f} |"
        )
    lines += ["", f"Machine: {table['machine']}", f"Seconds: {table['seconds']:.0f}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "results" / "xlstm_lm.json"
    )
    parser.add_argument("--max-seconds", type=float, default=None, help="override LM_RECIPE.fit.max_seconds (tests)")
    parser.add_argument("--cores", nargs="+", default=list(lc.LM_CORES), choices=lc.LM_CORES)
    args = parser.parse_args(argv)
    os.environ[lc.FIXED_THREADS_ENV] = "1"  # the recorded thread count is the one every run used
    torch.set_num_threads(1)
    recipe = lc.LM_RECIPE
    if args.max_seconds is not None:
        recipe = replace(recipe, fit=replace(recipe.fit, max_seconds=args.max_seconds))
    start = time.perf_counter()
    runs, chosen = [], {}
    for core in args.cores:
        trials = [lc.train_char_lm(core, SEEDS[0], lr, recipe) for lr in recipe.lrs]
        best_model, best = min(trials, key=lambda t: t[1]["best_val_ppl"])
        chosen[core] = best["lr"]
        for _, rec in trials:
            rec["chosen"] = rec is best
        best["test_ppl"] = lc.char_lm_test_perplexity(best_model, recipe)  # the chosen run, tested once
        runs += [rec for _, rec in trials]
        for seed in SEEDS[1:]:
            model, rec = lc.train_char_lm(core, seed, best["lr"], recipe)
            rec["chosen"] = True
            rec["test_ppl"] = lc.char_lm_test_perplexity(model, recipe)
            runs.append(rec)
        for rec in runs[-len(trials) - len(SEEDS) + 1 :]:
            print({k: v for k, v in rec.items() if k != "val_ppl"}, flush=True)
    table = {
        "settings": {**recipe.record(), "cores": args.cores, "seeds": SEEDS, "live_epochs": 2},
        "chosen": chosen,
        "runs": runs,
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
