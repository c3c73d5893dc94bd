"""Train the chapter 7 English→French translation model and write it to results/translation/.

    python scripts/train_translation.py --decoder luong --name attention --max-minutes 60

Trains a :class:`lstm_companion.Seq2Seq` on the Tatoeba pairs chosen
by :class:`lstm_companion.TranslationConfig`, and after every
epoch saves the float16 weights (``NAME.pt``), measures held-out corpus
BLEU-4 by greedy decoding *from the saved weights* reloaded in float32 (so the
chapter, which reloads them, gets the same number) and writes ``NAME.json``
with the settings, BLEU, sha256 of the weights, history and machine. The best
epoch (by held-out BLEU) is what stays under ``NAME``; the latest one is kept
under ``NAME_last`` while training and removed at the end.

Chapter 7 loads the result with ``lc.load_pretrained("results/translation", NAME)``.
Set ``LSTM_COMPANION_DATA`` to a folder holding ``fra-eng.zip`` to avoid a download.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch

import lstm_companion as lc
from lstm_companion import History, TranslationConfig, load_translation, seed_everything


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", default="attention", help="file stem under --out (default: attention)")
    p.add_argument("--out", default="results/translation", help="output folder")
    p.add_argument("--decoder", default="luong", choices=["plain", "luong", "bahdanau"])
    p.add_argument("--attention", default="general", choices=["additive", "general", "dot"])
    p.add_argument("--max-words", type=int, default=6)
    p.add_argument("--min-freq", type=int, default=3)
    p.add_argument("--num-test", type=int, default=2000)
    p.add_argument("--embed-size", type=int, default=128)
    p.add_argument("--num-hiddens", type=int, default=256)
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=None, help="stop training after this much wall-clock time")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads (1: on a busy machine more threads spin rather than work)",
    )
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    data_cfg = TranslationConfig(
        max_words=args.max_words, min_freq=args.min_freq, num_test=args.num_test, seed=args.seed
    )
    data = load_translation(data_cfg)
    model_cfg = lc.Seq2SeqConfig(
        args.embed_size, args.num_hiddens, args.num_layers, args.dropout, args.decoder, args.attention
    )
    train_cfg = lc.Seq2SeqTrainConfig(args.epochs, args.batch_size, args.lr, 1.0, args.seed)
    model = lc.build_seq2seq(model_cfg, len(data.src_vocab), len(data.tgt_vocab))
    out = Path(args.out)
    print(
        f"{data.num_train} training pairs, {len(data.test_src)} held-out sentences, "
        f"vocab {len(data.src_vocab)} -> {len(data.tgt_vocab)}",
        flush=True,
    )
    best = {"bleu": -1.0}

    def record(epoch: int, history: History) -> dict:
        return {
            "data": data_cfg.to_dict(),
            "model": model_cfg.to_dict(),
            "train": train_cfg.to_dict(),
            "max_minutes": args.max_minutes,
            "epochs_done": epoch + 1,
            "num_train_pairs": data.num_train,
            "num_test_sentences": len(data.test_src),
            "src_vocab_size": len(data.src_vocab),
            "tgt_vocab_size": len(data.tgt_vocab),
            "train_ppl": history.train_ppl,
            "num_updates": len(history.step_loss),
            "train_seconds": round(history.seconds, 1),
            "machine": {
                "platform": platform.platform(),
                "processor": platform.processor() or platform.machine(),
                "cpu_count": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "note": "CPU shared with other jobs (load ~5-10 on 2 cores) while training",
            },
            "bleu_note": "corpus BLEU-4, greedy decoding, all French translations of a held-out English sentence as references",
        }

    def on_epoch(epoch: int, history: History) -> None:
        rec = record(epoch, history)
        lc.save_pretrained(model, out, f"{args.name}_last", rec)
        reloaded, _, _ = lc.load_pretrained(out, f"{args.name}_last", data=data)
        bleu, hyps = lc.evaluate_bleu(reloaded, data)
        rec["bleu"] = bleu
        lc.save_pretrained(model, out, f"{args.name}_last", rec)
        print(
            f"epoch {epoch + 1}: train ppl {history.train_ppl[-1]:.2f}, held-out BLEU {bleu:.4f}, "
            f"{history.seconds / 60:.1f} min; e.g. {data.test_src[0]} -> {hyps[0]}",
            flush=True,
        )
        if bleu > best["bleu"]:
            best["bleu"] = bleu
            lc.save_pretrained(model, out, args.name, rec)
        model.train()

    start = time.perf_counter()
    lc.train_seq2seq(
        model,
        data,
        train_cfg,
        progress=False,
        max_seconds=None if args.max_minutes is None else 60 * args.max_minutes,
        on_epoch=on_epoch,
    )
    for suffix in (".pt", ".json"):
        (out / f"{args.name}_last{suffix}").unlink(missing_ok=True)
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min; best held-out BLEU {best['bleu']:.4f}", flush=True)


if __name__ == "__main__":
    main()
