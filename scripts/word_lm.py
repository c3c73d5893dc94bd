"""Chapter 11's table: a word-level LSTM language model with each regulariser, three seeds, and the n-gram baselines.

Every run is :func:`lstm_companion.train_word_lm` on ``lc.load_word_corpus(**lc.WORD_LM_CORPUS)``
with ``lc.WORD_LM_TRAIN`` and one configuration of ``lc.WORD_LM_REGULARISERS``; the score is the
validation perplexity of the best epoch (whose weights the run keeps). The unigram and
interpolated Kneser-Ney baselines (orders 2 to 4) are scored on the same splits. The configuration
with the lowest mean validation perplexity is selected, and only its test perplexity is read by the
chapter. Test perplexities read the test split as one stream with the state carried
(``lc.evaluate_stream_perplexity(model, corpus.test, batch_size=1)``): every token after the first,
the same targets the n-gram baselines score. Everything goes to ``results/word_lm.json`` with the settings, machine, torch version,
seeds and wall times, and a Markdown table to ``results/word_lm.md``.

    python scripts/word_lm.py                                   # everything (about 12 minutes on 2 cores: `wall_seconds`)
    python scripts/word_lm.py --configs none all --out /tmp/a.json   # some rows, to a partial file
    python scripts/word_lm.py --merge /tmp/a.json /tmp/b.json   # join partial files into results/

Runs on the CPU with two threads, as the chapter does, so that its live rerun repeats a row.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import lstm_companion
import lstm_companion as lc

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)
KN_ORDERS = (2, 3, 4)
THREADS = 2


def baselines(corpus: lc.WordCorpus) -> dict[str, Any]:
    start = time.perf_counter()
    out: dict[str, Any] = {
        "unigram": {
            "val": lc.unigram_perplexity(corpus.train, corpus.val, corpus.vocab_size),
            "test": lc.unigram_perplexity(corpus.train, corpus.test, corpus.vocab_size),
        }
    }
    for order in KN_ORDERS:
        kn = lc.KneserNeyLM(order=order, discount=0.75).fit(corpus.train, corpus.vocab_size)
        out[f"kn{order}"] = {"val": kn.perplexity(corpus.val), "test": kn.perplexity(corpus.test)}
    best = min((f"kn{o}" for o in KN_ORDERS), key=lambda k: out[k]["val"])
    out["kn_selected"] = best  # chosen on validation
    out["seconds"] = time.perf_counter() - start
    return out


def header(corpus: lc.WordCorpus) -> dict[str, Any]:
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "companion_version": lstm_companion.__version__,
        "companion_code_hash": lc.code_hash(),
        "machine": lc.machine_summary(),
        "seeds": list(SEEDS),
        "corpus_args": lc.WORD_LM_CORPUS,
        "corpus": corpus.settings,
        "train": lc.WORD_LM_TRAIN.to_dict(),
        "configs": {name: cfg.to_dict() for name, cfg in lc.WORD_LM_REGULARISERS.items()},
        "measure": (
            "selection: the mean over seeds of the validation perplexity of each run's best epoch (its weights are "
            "kept) chooses the configuration. test_ppl: every token of the test split after the first, read as one "
            "stream with the state carried (the targets the n-gram baselines score); recorded for every run, read "
            "only for the selected configuration"
        ),
        "note": "seconds are wall-clock times on a machine shared with other jobs; compare them only loosely",
        "results": {},
    }


def sweep(configs: list[str], out: Path) -> dict[str, Any]:
    corpus = lc.load_word_corpus(**lc.WORD_LM_CORPUS)
    table = header(corpus)
    table["baselines"] = baselines(corpus)
    print(f"baselines: {json.dumps(table['baselines'])}", flush=True)
    total, done = len(configs) * len(SEEDS), 0
    for name in configs:
        cfg = lc.WORD_LM_REGULARISERS[name]
        runs: dict[str, list[Any]] = {
            "val_ppl": [],
            "test_ppl": [],
            "best_epoch": [],
            "seconds": [],
            "threads": [],
            "curves": [],
        }
        for seed in SEEDS:
            start = time.perf_counter()
            model, hist = lc.train_word_lm(corpus, cfg, lc.WORD_LM_TRAIN, seed=seed, device="cpu")
            seconds = time.perf_counter() - start
            runs["val_ppl"].append(hist.best_val_ppl)
            runs["test_ppl"].append(lc.evaluate_stream_perplexity(model, corpus.test, batch_size=1))
            runs["best_epoch"].append(hist.best_epoch)
            runs["threads"].append(torch.get_num_threads())  # the count this run kept (never capped: main sets it)
            if runs["threads"][-1] != THREADS:
                raise RuntimeError(f"{name} seed {seed} ran with {runs['threads'][-1]} threads, not {THREADS}")
            runs["seconds"].append(seconds)
            runs["curves"].append({"train_ppl": hist.train_ppl, "val_ppl": hist.val_ppl})
            done += 1
            print(f"[{done}/{total}] {name} seed {seed}: val {hist.best_val_ppl:.2f} ({seconds:.0f} s)", flush=True)
        params = sum(p.numel() for p in cfg.build(corpus.vocab_size).parameters())
        table["results"][name] = {**runs, "parameters": params, **lc.summarise_seeds(runs["val_ppl"])}
        # after every configuration, beside the table, so an interrupted sweep keeps what it measured
        write(table, out.with_suffix(".partial.json"))
    write(table, out)
    for partial in (out.with_suffix(".partial.json"), out.with_suffix(".partial.md")):
        partial.unlink(missing_ok=True)
    return table


def select(table: dict[str, Any]) -> None:
    """The configuration with the lowest mean validation perplexity, and its test perplexity."""
    res = table["results"]
    best = min(res, key=lambda k: res[k]["mean"])
    table["selected"] = {
        "config": best,
        "by": "mean validation perplexity",
        **lc.summarise_seeds(res[best]["test_ppl"]),
    }
    table["wall_seconds"] = sum(sum(r["seconds"]) for r in res.values()) + table["baselines"]["seconds"]


def markdown(table: dict[str, Any]) -> str:
    b = table["baselines"]
    lines = [
        "| model | parameters | validation perplexity (mean ± std over seeds) | min – max | best epoch |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| unigram | | {b['unigram']['val']:.1f} | | |",
    ]
    lines += [f"| Kneser-Ney, order {o} | | {b[f'kn{o}']['val']:.1f} | | |" for o in KN_ORDERS]
    for name, r in table["results"].items():
        lines.append(
            f"| LSTM, {name} | {r['parameters']:,} | {r['mean']:.1f} ± {r['std']:.1f} | "
            f"{r['min']:.1f} – {r['max']:.1f} | {', '.join(str(e + 1) for e in r['best_epoch'])} |"
        )
    if "selected" in table:
        s, kn = table["selected"], b["kn_selected"]
        lines += [
            "",
            f"Selected on validation: LSTM, {s['config']}: test perplexity {s['mean']:.1f} ± {s['std']:.1f} "
            f"({len(table['seeds'])} seeds); {kn} (selected on validation): test perplexity {b[kn]['test']:.1f}.",
        ]
    return "\n".join(lines) + "\n"


def write(table: dict[str, Any], out: Path) -> None:
    if table["results"]:
        select(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    texts = {out: json.dumps(table, indent=1) + "\n", out.with_suffix(".md"): markdown(table)}
    lc.atomic_write_many({path: lambda tmp, text=text: tmp.write_text(text) for path, text in texts.items()})


def _without_seconds(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "seconds"} if isinstance(value, dict) else value


def merge(paths: list[Path], out: Path) -> dict[str, Any]:
    parts = [json.loads(p.read_text()) for p in paths]
    table = parts[0]
    table["parts"] = []
    for part in parts:
        for key in ("seeds", "corpus", "train", "configs", "baselines", "measure"):
            if _without_seconds(part[key]) != _without_seconds(table[key]):
                raise ValueError(f"{key} differs between the partial files; rerun them with the same settings")
        table["results"].update(part["results"])
        # the code may differ between parts (edits that change no number); each part says which it ran
        table["parts"].append(
            {k: part[k] for k in ("created", "companion_code_hash", "machine")} | {"configs": list(part["results"])}
        )
    table["results"] = {k: table["results"][k] for k in lc.WORD_LM_REGULARISERS if k in table["results"]}
    # the header speaks for every part: one code hash and machine where they agree, else a pointer to the parts
    for key in ("companion_code_hash", "machine"):
        values = [p[key] for p in table["parts"]]
        table[key] = values[0] if all(v == values[0] for v in values) else None  # None: see parts
    write(table, out)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = list(lc.WORD_LM_REGULARISERS)
    parser.add_argument("--configs", nargs="+", default=names, choices=names, metavar="NAME", help=f"from {names}")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "word_lm.json")
    parser.add_argument("--merge", nargs="+", type=Path, help="join these partial files into --out and stop")
    args = parser.parse_args(argv)
    os.environ[lc.FIXED_THREADS_ENV] = "1"  # get_device must not lower the count recorded in the header
    torch.set_num_threads(THREADS)
    if args.merge:
        merge(args.merge, args.out)
    else:
        sweep(args.configs, args.out)


if __name__ == "__main__":
    sys.exit(main())
