"""Train the chapter 7 English→French translation model and write it to results/translation/.

    python scripts/train_translation.py --decoder luong --name attention --max-minutes 60

Trains a :class:`lstm_companion.Seq2Seq` on the Tatoeba pairs chosen
by :class:`lstm_companion.TranslationConfig`, and after every
epoch saves the float16 weights (``NAME.pt``), measures corpus BLEU-4 on the
*development* sentences by greedy decoding *from the saved weights* reloaded
in float32, and writes ``NAME.json`` with the settings, the development BLEU,
sha256 of the weights, history and machine. The best epoch by development
BLEU is what stays under ``NAME``; the latest one is kept under ``NAME_last``
while training and removed at the end. Training stops after ``--patience``
epochs without a better development BLEU, or after ``--max-minutes``.

Only then, once, the kept model translates the *test* sentences: their
BLEU-4 (the book's own, :func:`lstm_companion.corpus_bleu`) and sacreBLEU
(:func:`lstm_companion.sacre_bleu`, with its signature) go into the record.
The test sentences play no part in training or in choosing the epoch.

Chapter 7 loads the result with ``lc.load_pretrained("results/translation", NAME)``.
Set ``LSTM_COMPANION_DATA`` to a folder holding ``fra-eng.zip`` to avoid a download.
"""

from __future__ import annotations

import argparse
import os
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
    p.add_argument("--num-test", type=int, default=2000, help="test sentences: scored once, at the end")
    p.add_argument("--num-dev", type=int, default=1000, help="development sentences: choose the epoch")
    p.add_argument("--patience", type=int, default=2, help="stop after this many epochs without a better dev BLEU")
    p.add_argument("--embed-size", type=int, default=128)
    p.add_argument("--num-hiddens", type=int, default=256)
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop after this much time in updates (development scoring and checkpoints not counted)",
    )
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
        max_words=args.max_words, min_freq=args.min_freq, num_test=args.num_test, seed=args.seed, num_dev=args.num_dev
    )
    data = load_translation(data_cfg)
    model_cfg = lc.Seq2SeqConfig(
        args.embed_size, args.num_hiddens, args.num_layers, args.dropout, args.decoder, args.attention
    )
    train_cfg = lc.FitConfig(
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        clip=1.0,
        max_seconds=None if args.max_minutes is None else 60 * args.max_minutes,
        seed=args.seed,
        dropout_seed=args.seed,
    )
    model = lc.build_seq2seq(model_cfg, len(data.src_vocab), len(data.tgt_vocab))
    out = Path(args.out)
    print(
        f"{data.num_train} training pairs, {len(data.dev_src)} development and {len(data.test_src)} test sentences, "
        f"vocab {len(data.src_vocab)} -> {len(data.tgt_vocab)}",
        flush=True,
    )
    best: dict = {"dev_bleu": -1.0, "epoch": -1}
    dev_curve: list[float] = []

    def record(epoch: int, history: History) -> dict:
        return {
            "data": data_cfg.to_dict(),
            "model": model_cfg.to_dict(),
            "train": train_cfg.to_dict(),
            "max_minutes": args.max_minutes,
            # the record of this epoch: in the file the kept (best) epoch's;
            # the epochs trained are len(dev_bleu_by_epoch), see "stopped"
            "epochs_done": epoch + 1,
            "num_train_pairs": data.num_train,
            "num_test_sentences": len(data.test_src),
            "num_dev_sentences": len(data.dev_src),
            "src_vocab_size": len(data.src_vocab),
            "tgt_vocab_size": len(data.tgt_vocab),
            "train_ppl": history.train_ppl,
            "num_updates": len(history.step_loss),
            "train_seconds": round(history.seconds, 1),
            "machine": {**lc.machine_summary(), "cpu_count": os.cpu_count()},
            "bleu_note": (
                "corpus BLEU-4 (the book's corpus_bleu), greedy decoding, all French translations of an "
                "English sentence as references; dev_bleu chose the epoch, test_bleu was measured once"
            ),
        }

    def on_epoch(epoch: int, history: History) -> bool:
        rec = record(epoch, history)
        lc.save_pretrained(model, out, f"{args.name}_last", rec)
        reloaded, _, _ = lc.load_pretrained(out, f"{args.name}_last", data=data)
        bleu, hyps = lc.evaluate_bleu(reloaded, data, split="dev")
        dev_curve.append(bleu)
        rec["dev_bleu"], rec["dev_bleu_by_epoch"] = bleu, list(dev_curve)
        lc.save_pretrained(model, out, f"{args.name}_last", rec)
        print(
            f"epoch {epoch + 1}: train ppl {history.train_ppl[-1]:.2f}, dev BLEU {bleu:.4f}, "
            f"{history.seconds / 60:.1f} min; e.g. {data.dev_src[0]} -> {hyps[0]}",
            flush=True,
        )
        if bleu > best["dev_bleu"]:
            best.update(dev_bleu=bleu, epoch=epoch)
            lc.save_pretrained(model, out, args.name, rec)
        model.train()
        return epoch - best["epoch"] >= args.patience  # True: stop training

    start = time.perf_counter()
    lc.train_seq2seq(
        model,
        data,
        train_cfg,
        progress=False,
        on_epoch=on_epoch,
    )
    for suffix in (".pt", ".json"):
        (out / f"{args.name}_last{suffix}").unlink(missing_ok=True)
    # The test sentences, once, with the kept epoch's weights as the chapter will load them.
    kept, _, rec = lc.load_pretrained(out, args.name, data=data)
    rec["dev_bleu_by_epoch"] = list(dev_curve)
    rec["stopped"] = (
        f"after epoch {len(dev_curve)}: the development BLEU had not improved for {args.patience} epochs"
        if len(dev_curve) - 1 - best["epoch"] >= args.patience
        else f"after epoch {len(dev_curve)} (--epochs or --max-minutes reached)"
    )
    rec["test_bleu"], hyps = lc.evaluate_bleu(kept, data, split="test")
    rec["test_sacrebleu"], rec["sacrebleu_signature"] = lc.sacre_bleu(hyps, data.test_refs)
    lc.save_pretrained(kept, out, args.name, rec)
    print(
        f"done in {(time.perf_counter() - start) / 60:.1f} min; kept epoch {best['epoch'] + 1} "
        f"(dev BLEU {best['dev_bleu']:.4f}); test BLEU {rec['test_bleu']:.4f}, "
        f"sacreBLEU {rec['test_sacrebleu']:.4f} ({rec['sacrebleu_signature']})",
        flush=True,
    )


if __name__ == "__main__":
    main()
