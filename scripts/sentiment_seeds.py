"""Chapter 6: sentence polarity with a bag-of-bigrams baseline, an LSTM and a BiLSTM, over several seeds.

Seed ``s`` fixes the train/validation/test split (``load_polarity(seed=s)``),
the models' initial weights, the minibatch order and dropout. For each seed
the script fits the logistic-regression baseline (``C`` chosen on validation)
and trains the LSTM and the BiLSTM with ``lc.SENTIMENT_RECIPE``
(early stopping on validation accuracy), then writes every test accuracy to
``results/sentiment.json``, which chapter 6 shows and checks against its own
live run of seed 0. It trains on one CPU thread, without the checkpoint cache.

    .venv/bin/python scripts/sentiment_seeds.py            # seeds 0 1 2 3 4 (about 10 CPU minutes)
    .venv/bin/python scripts/sentiment_seeds.py --seeds 0 1 2 --out /tmp/sentiment.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

import lstm_companion as lc

OUT = Path(__file__).resolve().parents[1] / "results" / "sentiment.json"


def run_one(job: tuple[int, str]) -> dict[str, Any]:
    """Train or fit one model on one seed's split; return its record."""
    seed, name = job
    torch.set_num_threads(1)
    data = lc.load_polarity(seed=seed, min_freq=lc.SENTIMENT_RECIPE.min_freq)
    t0 = time.perf_counter()
    if name == "bag-of-bigrams LR":
        base = lc.bag_of_ngrams_baseline(data, ngram_range=(1, 2))
        return {
            "seed": seed,
            "model": name,
            "test_acc": base.test_acc,
            "val_acc": base.val_acc,
            "C": base.C,
            "seconds": time.perf_counter() - t0,
        }
    lc.seed_everything(seed)
    model = lc.make_classifier(len(data.vocab), bidirectional=name == "BiLSTM")
    hist = lc.train_classifier(
        model, data.train, data.val, lc.SENTIMENT_RECIPE.fit_for(seed), device="cpu", progress=False
    )
    return {
        "seed": seed,
        "model": name,
        "test_acc": lc.sentiment_accuracy(model, data.test),
        "val_acc": hist.best_val_acc,
        "best_epoch": hist.best_epoch,
        "epochs_run": len(hist.val_acc),
        "num_params": sum(p.numel() for p in model.parameters()),
        "seconds": hist.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--jobs", type=int, default=1, help="processes in parallel, each on one thread")
    parser.add_argument("--note", default="", help="a remark on the machine, stored in the JSON")
    args = parser.parse_args()
    settings = lc.SENTIMENT_RECIPE.record()
    runs = []
    start = time.perf_counter()
    jobs = [(seed, name) for seed in args.seeds for name in ("bag-of-bigrams LR", "LSTM", "BiLSTM")]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for run in pool.map(run_one, jobs):
            print(run, flush=True)
            runs.append(run)
    summary = {}
    for name in ("bag-of-bigrams LR", "LSTM", "BiLSTM"):
        accs = [r["test_acc"] for r in runs if r["model"] == name]
        summary[name] = lc.summarise_seeds(accs)
    result = {
        "description": "Chapter 6: test accuracy on the sentence polarity data (Pang and Lee, 2005), "
        "80/10/10 split fixed by the seed; see scripts/sentiment_seeds.py",
        "settings": settings,
        "split": {"val_fraction": 0.1, "test_fraction": 0.1},
        "baseline": {"ngram_range": [1, 2], "Cs": [0.03, 0.1, 0.3, 1.0, 3.0], "features": "binary"},
        "seeds": args.seeds,
        "runs": runs,
        "summary": summary,
        "machine": {
            **lc.machine_summary(),
            "cpu_count": os.cpu_count(),
            "torch_threads_per_job": 1,
            "jobs": args.jobs,
            "note": args.note,
        },
        "total_seconds": time.perf_counter() - start,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    lc.atomic_write(args.out, lambda tmp: tmp.write_text(json.dumps(result, indent=2) + "\n"))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
