"""Chapter 12: train chapter 11's word language model on one or several processes (DDP), crash-safe.

A program, run as ``python -m lstm_companion.recipes.train_ddp`` (it ships in the
package, so chapter 12 runs outside a clone of the book too; the book's
``scripts/train_ddp.py`` runs the same ``main``); the package itself never
imports it.

Launched by ``torchrun`` (one process per rank, gloo on CPUs, NCCL with one GPU
per process) or by plain ``python`` (one process, no process group). Every
rank reads its own contiguous rows of the training stream
(``ShardedStreamSampler``) with ``--batch-size`` rows per rank, carries its
own hidden state, and DDP averages the gradients, so N processes with batch
``b`` take the steps one process takes with batch ``N * b``. With
``--checkpoint PATH`` the full training state (weights, optimiser, scheduler,
every rank's random generators, sampler position and hidden state) is written
atomically every ``--checkpoint-every`` steps and at the end; ``--resume``
continues from it, and the result is bit-identical to a run that never stopped.
Rank 0 writes ``--out`` (JSON): the losses, throughput, validation perplexity
and the sha256 of the final weights.

    torchrun --standalone --nproc-per-node 2 -m lstm_companion.recipes.train_ddp --steps 40 --batch-size 8 --out /tmp/ddp2.json
    python -m lstm_companion.recipes.train_ddp --steps 40 --batch-size 16 --out /tmp/ddp1.json
    python scripts/train_ddp.py --steps 40 --checkpoint /tmp/run.pt --checkpoint-every 10 --resume

Small runs (the defaults: a 2-layer LSTM of 64 units, 40 steps) take a few
seconds on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from lstm_companion.data.batching import ShardedStreamSampler
from lstm_companion.data.words import load_word_corpus
from lstm_companion.fingerprint import state_dict_sha256
from lstm_companion.machine import machine_summary
from lstm_companion.models.word_lm import WordLM
from lstm_companion.runtime import atomic_write, fit_threads, seed_everything
from lstm_companion.training.bptt import evaluate_stream_perplexity
from lstm_companion.training.checkpoint import load_training_state, save_training_state
from lstm_companion.training.config import FitConfig
from lstm_companion.training.distributed import (
    DistContext,
    carry_state,
    cleanup_distributed,
    init_distributed,
    lm_loss,
    mean_over_ranks,
    unwrap_model,
)
from lstm_companion.training.loop import History, fit, make_optimizer

# settings that shape the trajectory: a resumed run must use the same ones
TRAJECTORY = (
    "steps",
    "batch_size",
    "bptt",
    "lr",
    "momentum",
    "clip",
    "seed",
    "embed_size",
    "hidden_size",
    "num_layers",
    "dropout",
    "bf16",
    "max_tokens",
    "max_vocab",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=40, help="optimiser steps in all (default 40)")
    p.add_argument("--batch-size", type=int, default=8, help="rows per rank (default 8)")
    p.add_argument("--bptt", type=int, default=20, help="tokens per window (default 20)")
    p.add_argument("--lr", type=float, default=1.0, help="SGD learning rate, cosine-annealed to 0 (default 1.0)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--clip", type=float, default=0.25, help="gradient-norm clip (default 0.25)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--embed-size", type=int, default=32)
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.0, help="output dropout of the word LM (default 0)")
    p.add_argument("--max-tokens", type=int, default=0, help="use only the first N training tokens (0: all; default 0)")
    p.add_argument("--max-vocab", type=int, default=10_000, help="vocabulary size of the corpus (default 10000)")
    p.add_argument("--bf16", action="store_true", help="forward pass under bfloat16 autocast")
    p.add_argument(
        "--device",
        default="cpu",
        help="cpu (gloo), or cuda: one GPU per process, cuda:LOCAL_RANK (NCCL; untested here)",
    )
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per process (0: cores / processes)")
    p.add_argument("--checkpoint", type=Path, default=None, help="training-state file")
    p.add_argument("--checkpoint-every", type=int, default=0, help="save every N steps (0: only at the end)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint if it exists")
    p.add_argument("--eval-tokens", type=int, default=0, help="validation tokens for the final perplexity (0: none)")
    p.add_argument("--out", type=Path, default=None, help="JSON of metrics and the weights' sha256 (rank 0)")
    p.add_argument(
        "--kill-at-step",
        type=int,
        default=0,
        help="for the crash test: rank 0 sends itself SIGKILL right after this step (0: never)",
    )
    args = p.parse_args(argv)
    for name in ("steps", "batch_size", "bptt", "max_vocab"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be > 0, got {getattr(args, name)}")
    for name in ("threads", "checkpoint_every", "eval_tokens", "kill_at_step", "max_tokens"):
        if getattr(args, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    if args.resume and args.checkpoint is None:
        p.error("--resume needs --checkpoint PATH")
    if args.checkpoint_every and args.checkpoint is None:
        p.error("--checkpoint-every needs --checkpoint PATH")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    local_procs = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if args.threads:
        torch.set_num_threads(args.threads)
    # 0: this machine's usable cores shared among the processes torchrun started here
    threads = args.threads or fit_threads(local_procs)
    if args.device not in ("cpu", "cuda"):
        raise SystemExit(f"--device must be cpu or cuda, got {args.device!r}")
    ctx = init_distributed(device="cpu" if args.device == "cpu" else None)
    if args.device == "cuda" and ctx.device.type != "cuda":
        raise SystemExit("--device cuda was asked for but CUDA is not available")
    try:
        return train(args, ctx, threads)
    finally:
        cleanup_distributed()


def train(args: argparse.Namespace, ctx: DistContext, threads: int) -> dict[str, Any]:
    corpus = load_word_corpus(max_vocab=args.max_vocab)
    stream = (corpus.train[: args.max_tokens] if args.max_tokens else corpus.train).to(ctx.device)
    settings = {k: getattr(args, k) for k in TRAJECTORY}
    settings["world_size"] = ctx.world_size

    seed_everything(args.seed)  # the same initial weights on every rank
    net = WordLM(len(corpus.vocab), args.embed_size, args.hidden_size, args.num_layers, dropout=args.dropout)
    net = net.to(ctx.device)
    if ctx.world_size == 1:
        model: torch.nn.Module = net
    else:  # on a GPU, DDP is told which one this process owns
        model = DDP(net, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    seed_everything(args.seed + ctx.rank)  # each rank its own dropout masks
    config = FitConfig(
        num_epochs=1,  # one call of fit: args.steps windows of the sampler, however many passes they make
        lr=args.lr,
        optimizer="sgd",
        momentum=args.momentum,
        clip=args.clip,
        restore_best=False,
    )
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], config)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)
    sampler = ShardedStreamSampler(stream, args.batch_size, args.bptt, rank=ctx.rank, world_size=ctx.world_size)

    step, resumed_from = 0, None
    carried: dict[str, Any] = {"hidden": None, "tokens": 0}  # the state the next window starts from
    if args.resume and args.checkpoint.is_file():
        st = load_training_state(args.checkpoint, model=model, optimizer=opt, scheduler=sched, sampler=sampler)
        saved = st.extra.get("settings", {})
        if saved != settings:
            diff = {k: (saved.get(k), v) for k, v in settings.items() if saved.get(k) != v}
            raise SystemExit(f"{args.checkpoint} was saved with other settings (saved, now): {diff}")
        step, carried["hidden"], resumed_from = st.step, st.hidden, st.step
    autocast = torch.bfloat16 if args.bf16 else None

    def windows(epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        for _ in range(step, args.steps):
            yield sampler.next_batch()

    def window_loss(
        model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor, bool], _: Any
    ) -> tuple[torch.Tensor, int, None]:
        x, y, new_pass = batch  # a new pass over the stream starts from a zero state
        loss, state = lm_loss(model, x, y, None if new_pass else carried["hidden"], autocast_dtype=autocast)
        carried["hidden"], carried["tokens"] = carry_state(state, model), x.numel()
        return loss, x.numel(), None

    losses: list[float] = []
    warmup = 2  # steps left out of the throughput (first calls allocate and warm caches)
    tokens, t_start = 0, None

    def after_step(_: int, hist: History) -> bool:
        nonlocal step, tokens, t_start
        losses.append(mean_over_ranks(hist.step_loss[-1]))
        if t_start is not None:
            tokens += carried["tokens"] * ctx.world_size
        step += 1
        if args.checkpoint is not None and (
            step == args.steps or (args.checkpoint_every and step % args.checkpoint_every == 0)
        ):
            save_training_state(
                args.checkpoint,
                model=model,
                optimizer=opt,
                scheduler=sched,
                sampler=sampler,
                hidden=carried["hidden"],
                step=step,
                extra={"settings": settings},
            )
        if args.kill_at_step == step and ctx.is_main:
            os.kill(os.getpid(), signal.SIGKILL)
        if len(losses) == warmup:
            t_start = time.perf_counter()
        return False

    if step < args.steps:
        hist = fit(
            model,
            windows,
            window_loss,
            config,
            on_step=after_step,
            optimizer=opt,
            scheduler=sched,
            device=ctx.device,
            progress=False,
        )
        if hist.diverged:
            raise SystemExit(
                f"training diverged: the loss became {hist.step_loss[-1]} at step {step + 1} "
                "(lower --lr, or check --clip)"
            )
    seconds = time.perf_counter() - t_start if t_start is not None else None  # None: too few steps to time

    val_ppl = None
    if args.eval_tokens and ctx.is_main:
        val_ppl = evaluate_stream_perplexity(
            model, corpus.val[: args.eval_tokens], batch_size=10, bptt=args.bptt, autocast_dtype=autocast
        )
    record = {
        "settings": settings,
        "threads_per_process": threads,
        "resumed_from_step": resumed_from,
        "final_step": step,
        "losses": losses,
        "timed_steps": max(0, len(losses) - warmup),
        "timed_seconds": seconds,
        "tokens_per_second": tokens / seconds if tokens and seconds else None,
        "val_ppl": val_ppl,
        "weights_sha256": state_dict_sha256(unwrap_model(model).state_dict()),
        "torch": torch.__version__,
        "machine": {**machine_summary(), "cores": os.cpu_count()},
    }
    if args.out is not None and ctx.is_main:
        out: Path = args.out
        atomic_write(out, lambda tmp: tmp.write_text(json.dumps(record, indent=1) + "\n"))
    if ctx.world_size > 1:
        torch.distributed.barrier()
    return record


if __name__ == "__main__":
    main()
