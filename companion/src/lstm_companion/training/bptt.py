"""Training language models on :func:`~lstm_companion.fit`: truncated BPTT, perplexity, the learning-rate drop.

Chapters 1, 2, 6 and 8 train language models with :func:`train_lm`; chapters
3, 4 and 9 use the cached models of :mod:`lstm_companion.recipes.char_lm`,
trained here too.

:func:`train_lm` reads a language model's batching from its
:class:`~lstm_companion.FitConfig` (``batch_size`` streams, ``num_steps``
tokens of truncation, ``sequential`` or random batching, ``seed`` for the
order) and runs the book's one training loop
(:mod:`lstm_companion.training.loop`). With sequential batching the corpus is
read as parallel streams and the state is carried from one minibatch to the
next, detached at each boundary (truncated backpropagation through time); the
gradient's global norm is clipped, and the held-out perplexity scores each
epoch. :func:`evaluate_perplexity` reads a corpus the same way and returns
``exp`` of the mean negative log-likelihood; :func:`evaluate_stream_perplexity`
reads a token stream as rows of one process's batch, windows of ``bptt``
tokens (a shorter last one included), optionally under chapter 12's bfloat16
autocast (chapters 11 and 12).

:func:`train_lm_with_lr_drop` runs :func:`train_lm` twice, the second time at
a smaller learning rate from the best weights of the first ("reduce on
plateau", once); :func:`epochs_before_drop` replays where the first run
stopped, also for a history loaded from the cache (chapter 4).

The minibatches come from :mod:`lstm_companion.data.batching`, the models
from :mod:`lstm_companion.models.lm`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import replace

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_float, check_positive_int, check_tensor, exp_or_inf
from ..data.batching import seq_data_iter_random, seq_data_iter_sequential, shard_stream
from ..models.state import RecurrentState
from ..runtime import get_device, model_device
from .config import FitConfig, check_fit_config
from .distributed import carry_state, lm_autocast, unwrap_model
from .loop import History, fit

__all__ = [
    "epochs_before_drop",
    "train_lm_with_lr_drop",
    "evaluate_perplexity",
    "evaluate_stream_perplexity",
    "train_lm",
]


def epochs_before_drop(val_ppl: list[float], num_epochs: int, patience: int) -> int:
    """Where :func:`train_lm_with_lr_drop`'s first run stopped, replayed from the held-out perplexities.

    ``train_lm`` stops after ``patience`` epochs in a row without a new best
    (or after ``num_epochs``); replaying that rule on the joined history gives
    the length of the first run, also for a history loaded from the cache.
    """
    best, bad = math.inf, 0
    for epoch, ppl in enumerate(val_ppl[:num_epochs]):
        if ppl < best:
            best, bad = ppl, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch + 1
    return min(len(val_ppl), num_epochs)


def train_lm_with_lr_drop(
    model: nn.Module,
    train_corpus: torch.Tensor,
    val_corpus: torch.Tensor,
    config: FitConfig,
    *,
    lr_drop: float,
    lr_drop_epochs: int,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[History, int]:
    """Chapter 1's :func:`~lstm_companion.train_lm`, then again at ``lr * lr_drop`` (chapter 4).

    The first run stops early (``config.patience``) and restores its best
    weights; the second starts from them with the learning rate multiplied
    by ``lr_drop`` and runs at most ``lr_drop_epochs`` epochs. Returns the two
    histories joined into one (epochs numbered across both runs) and the
    number of epochs of the first run. The model ends with the weights of
    the best held-out epoch of either run.
    """
    check_positive_float("lr_drop", lr_drop)
    check_positive_int("lr_drop_epochs", lr_drop_epochs)
    if isinstance(config, FitConfig) and (config.num_updates is not None or config.max_seconds is not None):
        raise ValueError(
            "config.num_updates and config.max_seconds must be None: the two runs count epochs "
            f"(num_epochs, then lr_drop_epochs), got {config.num_updates} and {config.max_seconds}"
        )
    first = train_lm(model, train_corpus, val_corpus, config, device=device, progress=progress)
    if first.diverged or not first.val_ppl:
        return first, len(first.val_ppl)
    best_first = copy.deepcopy(model.state_dict())
    second_config = replace(config, lr=config.lr * lr_drop, num_epochs=lr_drop_epochs, restore_best=True)
    second = train_lm(model, train_corpus, val_corpus, second_config, device=device, progress=progress)
    n_first = len(first.val_ppl)
    joined = History(
        step_loss=first.step_loss + second.step_loss,
        step_grad_norm=first.step_grad_norm + second.step_grad_norm,
        train_loss=first.train_loss + second.train_loss,
        val_score=first.val_score + second.val_score,
        metric=first.metric,
        best_epoch=first.best_epoch,
        diverged=second.diverged,
        diverged_step=second.diverged_step + len(first.step_loss) if second.diverged else -1,
        seconds=first.seconds + second.seconds,
        train_seconds=first.train_seconds + second.train_seconds,
    )
    if second.val_ppl and second.best_val_ppl < first.best_val_ppl and math.isfinite(second.best_val_ppl):
        joined.best_epoch = n_first + second.best_epoch  # train_lm restored this epoch's weights
    else:
        model.load_state_dict(best_first)  # the drop did not help: back to the first run's best
    return joined, n_first


@torch.no_grad()
def evaluate_perplexity(
    model: nn.Module,
    corpus: torch.Tensor,
    *,
    batch_size: int = 32,
    num_steps: int = 64,
    device: str | torch.device | None = None,
) -> float:
    """Perplexity ``exp(mean negative log-likelihood)`` of ``model`` on ``corpus`` (chapter 1).

    The corpus is read sequentially from its start with the state carried
    across minibatches, as at training time.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    dev = model_device(model) if device is None else get_device(device)
    batch_size = max(1, min(batch_size, (len(corpus) - 1) // num_steps))
    was_training = model.training
    model.eval()
    state: RecurrentState = None
    total, count = 0.0, 0
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps, offset=0):
        logits, state = model(X.to(dev), state)
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.to(dev).reshape(-1), reduction="sum"))
        count += Y.numel()
    model.train(was_training)
    return exp_or_inf(total / count)


def train_lm(
    model: nn.Module,
    train_corpus: torch.Tensor,
    val_corpus: torch.Tensor | None,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a next-token model with truncated BPTT and clipping (chapters 1 and 2), through :func:`fit`.

    ``model(X, state)`` maps token indices ``(batch_size, num_steps)`` to
    logits ``(batch_size, num_steps, vocab_size)`` and a state, like
    :class:`~lstm_companion.RNNLM`. With ``config.sequential`` the corpus is
    read as ``batch_size`` parallel streams and the state is carried from one
    minibatch to the next (detached: truncated BPTT); otherwise every
    minibatch starts from a zero state at a random offset. The validation
    score is the perplexity on ``val_corpus`` (lower is better). Returns a
    :class:`History`; the model is left on ``device`` (and, with
    ``restore_best``, holds the weights of its best validation epoch).
    """
    config = check_fit_config(config)
    check_tensor("train_corpus", train_corpus, ndim=1, floating=False)
    if val_corpus is not None:
        check_tensor("val_corpus", val_corpus, ndim=1, floating=False)
    dev = get_device(device)
    gen = config.batch_generator()
    iterate = seq_data_iter_sequential if config.sequential else seq_data_iter_random

    def batches(epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iterate(train_corpus, config.batch_size, config.num_steps, generator=gen)

    def loss_fn(
        model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], state: RecurrentState
    ) -> tuple[torch.Tensor, int, RecurrentState]:
        X, Y = batch[0].to(dev), batch[1].to(dev)
        logits, state = model(X, state)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1)), Y.numel(), state

    def validate(model: nn.Module) -> float:
        assert val_corpus is not None
        return evaluate_perplexity(model, val_corpus, device=dev)

    return fit(
        model,
        batches,
        loss_fn,
        config,
        validate=None if val_corpus is None else validate,
        metric="perplexity",
        carry_state=config.sequential,
        device=dev,
        progress=progress,
    )


@torch.no_grad()
def evaluate_stream_perplexity(
    model: nn.Module,
    stream: torch.Tensor,
    *,
    batch_size: int = 10,
    bptt: int = 35,
    autocast_dtype: torch.dtype | None = None,
) -> float:
    """Perplexity of a language model on a token stream, the state carried across windows (chapter 12).

    The stream is batched as :func:`shard_stream` does for one process; the
    mean is over tokens (a shorter last window counts for its length).
    Evaluates the unwrapped model in ``eval`` mode, under bfloat16 autocast
    if asked, and puts the model back in the mode it was in.
    """
    inner = unwrap_model(model)
    check_positive_int("bptt", bptt)
    data = shard_stream(stream, batch_size)
    device = next(inner.parameters()).device
    data = data.to(device)
    was_training = inner.training
    inner.eval()
    total, count, state = 0.0, 0, None
    try:
        for i in range(0, data.shape[1] - 1, bptt):
            seq = min(bptt, data.shape[1] - 1 - i)
            x, y = data[:, i : i + seq], data[:, i + 1 : i + 1 + seq]
            with lm_autocast(device, autocast_dtype):
                logits, state = inner(x, state)
            state = carry_state(state, inner)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
            total += float(loss)
            count += y.numel()
    finally:
        inner.train(was_training)
    return math.exp(total / count)
