"""Every training path of the companion, run small: losses, gradient norms and final weights, to compare two trees.

A refactor of the training layer must not change a number. This script runs
each path once, small and seeded, on one thread: the six ``fit`` wrappers
(``train_lm``, ``train_on_task``, ``train_padded``, ``train_tagger``,
``train_seq2seq``, ``train_forecaster``), ``train_classifier`` on a slice of
the polarity data, and chapter 12's DDP program with one and two processes,
each also killed after step 6 and resumed from its checkpoint. It writes every
step's loss and gradient norm and the sha256 of the final weights:

    python scripts/training_paths.py --out /tmp/before.json          # on the old tree
    python scripts/training_paths.py --out /tmp/after.json --compare /tmp/before.json

``--compare`` prints, per path, whether the losses, gradient norms and weights
are bit-identical, and the largest loss difference otherwise; it exits 1 if
any differ. Bit-identity holds on one machine (same CPU, torch and threads),
not across machines. About a minute on one core.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

import lstm_companion as lc

DDP_ARGS = ["--steps", "12", "--max-tokens", "30000", "--threads", "1", "--dropout", "0.2"]


def record(model: nn.Module, hist: lc.History) -> dict[str, Any]:
    return {
        "loss": hist.step_loss,
        "grad_norm": hist.step_grad_norm,
        "val": hist.val_score,
        "sha256": lc.state_dict_sha256(model.state_dict()),
    }


def fit_paths() -> dict[str, dict[str, Any]]:
    out = {}
    torch.manual_seed(0)
    corpus = torch.randint(0, 12, (2000,))
    model: nn.Module = lc.RNNLM(lc.LSTMScratch(12, 16), 12)
    config = lc.FitConfig(num_epochs=2, batch_size=4, num_steps=10, lr=0.5, optimizer="sgd")
    out["train_lm"] = record(model, lc.train_lm(model, corpus, corpus[:400], config, device="cpu", progress=False))

    X, y = lc.adding_problem(96, 10, seed=0)
    torch.manual_seed(0)
    model = lc.LastStateModel(lc.FusedLSTM(2, 16), 1)
    task = lc.FitConfig(num_updates=20, batch_size=32, lr=0.01, optimizer="adam")
    out["train_on_task"] = record(model, lc.train_on_task(model, X, y, task, device="cpu", progress=False))

    seqs, labels = lc.sign_of_sum_task(256, 2, 8, seed=0)
    padded, lengths = lc.pad_batch(seqs)
    torch.manual_seed(0)
    model = lc.PaddedSequenceModel(nn.LSTM(1, 16), 2)
    task = lc.FitConfig(num_updates=20, batch_size=64, lr=1e-2, optimizer="adam", seed=0)
    hist = lc.train_padded(model, padded, lengths, labels, task, device="cpu", progress=False)
    out["train_padded"] = record(model, hist)

    torch.manual_seed(0)
    X, Y = lc.lookahead_task(500, 8, vocab_size=4, offset=1, seed=0)
    model = lc.Tagger(nn.LSTM(4, 16, bidirectional=True), 4, 5)
    tagger = lc.FitConfig(num_updates=20, batch_size=64, lr=2e-2)
    out["train_tagger"] = record(model, lc.train_tagger(model, X, Y, tagger, device="cpu", progress=False))

    words = ("abc", "def", "ghi", "jkl")
    text = "\n".join(f"{a} {b} {c} {d}\t{a} {b} {c} {d}" for a, b, c, d in itertools.product(*words))
    data = lc.load_translation(lc.TranslationConfig(max_words=4, min_freq=1, num_test=6), text=text)
    torch.manual_seed(0)
    model = lc.build_seq2seq(lc.Seq2SeqConfig(16, 32, 1, 0.0, "luong", "dot"), len(data.src_vocab), len(data.tgt_vocab))
    s2s = lc.FitConfig(num_epochs=2, batch_size=25, lr=2e-2, dropout_seed=0)
    out["train_seq2seq"] = record(model, lc.train_seq2seq(model, data, s2s, progress=False))  # type: ignore[arg-type]

    series = torch.sin(torch.arange(400, dtype=torch.float64) * 2 * math.pi / 12)
    train = lc.forecast_windows(series, list(range(24, 300, 2)), history=24, horizon=4, scale=0.7)
    val = lc.forecast_windows(series, list(range(300, 390, 6)), history=24, horizon=4, scale=0.7)
    torch.manual_seed(0)
    model = lc.LSTMForecaster(1, 8, 4)
    forecast = lc.FitConfig(num_epochs=2, lr=1e-2, batch_size=16)
    out["train_forecaster"] = record(model, lc.train_forecaster(model, train, val, forecast))  # type: ignore[arg-type]

    polarity = lc.load_polarity()

    def cut(split: lc.PolaritySplit, k: int) -> lc.PolaritySplit:
        return lc.PolaritySplit(split.texts[:k], split.tokens[:k], split.lengths[:k], split.labels[:k])

    torch.manual_seed(0)
    model = lc.SentimentClassifier(len(polarity.vocab), 16, 8, bidirectional=True, pooling="max", dropout=0.2)
    sentiment = lc.FitConfig(num_epochs=2, batch_size=64, lr=1e-2, optimizer="adamw", clip=5.0, seed=1, dropout_seed=1)
    hist = lc.train_classifier(
        model, cut(polarity.train, 300), cut(polarity.val, 75), sentiment, device="cpu", progress=False
    )
    out["train_classifier"] = record(model, hist)
    return out


def ddp_paths(folder: Path, clip: float) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def run(tag: str, procs: int, extra: list[str]) -> dict[str, Any]:
        args = [
            *DDP_ARGS,
            "--clip",
            str(clip),
            "--batch-size",
            str(16 // procs),
            "--out",
            str(folder / f"{tag}.json"),
            *extra,
        ]
        cmd = lc.launch_command(lc.DDP_TRAIN_MODULE, args, nproc_per_node=procs, module=True)
        subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        path = folder / f"{tag}.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    out = {}
    for procs in (1, 2):
        done = run(f"whole{procs}", procs, ["--eval-tokens", "2000"])
        out[f"ddp_{procs}proc"] = {"loss": done["losses"], "val": done["val_ppl"], "sha256": done["weights_sha256"]}
        ckpt = ["--checkpoint", str(folder / f"run{procs}.pt"), "--checkpoint-every", "4"]
        run(f"killed{procs}", procs, [*ckpt, "--kill-at-step", "6"])
        resumed = run(f"killed{procs}", procs, [*ckpt, "--resume", "--eval-tokens", "2000"])
        out[f"ddp_{procs}proc_killed_resumed"] = {
            "loss": resumed["losses"],
            "val": resumed["val_ppl"],
            "sha256": resumed["weights_sha256"],
            "resumed_from_step": resumed["resumed_from_step"],
        }
    return out


def compare(now: dict[str, Any], before: dict[str, Any]) -> bool:
    same_all = True
    for name in sorted(set(now) | set(before)):
        a, b = now.get(name), before.get(name)
        if a is None or b is None:
            print(f"{name}: only in {'the new' if b is None else 'the old'} run")
            same_all = False
            continue
        keys = [k for k in ("loss", "grad_norm", "val", "sha256") if k in a or k in b]
        same = all(a.get(k) == b.get(k) for k in keys)
        worst = max((abs(x - y) for x, y in zip(a["loss"], b["loss"])), default=0.0)
        print(f"{name}: {'bit-identical' if same else f'differs (largest loss difference {worst:.3g})'}")
        same_all &= same
    return same_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON of every path's losses and weights")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier --out to compare with")
    parser.add_argument(
        "--ddp-clip", type=float, default=0.25, help="the DDP program's --clip (1e9: a clip that never acts)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        result = {**fit_paths(), **ddp_paths(Path(folder), args.ddp_clip)}
    result["machine"] = lc.machine_summary()
    lc.atomic_write(args.out, lambda tmp: tmp.write_text(json.dumps(result, indent=1) + "\n"))
    if args.compare is not None:
        before = json.loads(args.compare.read_text())
        before.pop("machine", None)
        result.pop("machine")
        sys.exit(0 if compare(result, before) else 1)


if __name__ == "__main__":
    main()
