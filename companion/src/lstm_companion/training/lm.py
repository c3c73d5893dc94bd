"""training/lm: moved from recipes, train."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from .._checks import check_positive_float, check_positive_int, check_tensor
from ..data.batching import seq_data_iter_random, seq_data_iter_sequential
from ..models.state import State, detach_state
from ..runtime import get_device, model_device
from .loop import History, _exp, clip_gradients, grad_norm

__all__ = ["epochs_before_drop", "train_lm_with_lr_drop", "TrainConfig", "evaluate_perplexity", "train_lm"]


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
    config: TrainConfig,
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
        train_ppl=first.train_ppl + second.train_ppl,
        val_ppl=first.val_ppl + second.val_ppl,
        best_epoch=first.best_epoch,
        diverged=second.diverged,
        seconds=first.seconds + second.seconds,
    )
    if second.val_ppl and second.best_val_ppl < first.best_val_ppl and math.isfinite(second.best_val_ppl):
        joined.best_epoch = n_first + second.best_epoch  # train_lm restored this epoch's weights
    else:
        model.load_state_dict(best_first)  # the drop did not help: back to the first run's best
    return joined, n_first


@dataclass
class TrainConfig:
    """Settings of :func:`train_lm`; every field has a default a CPU can afford."""

    num_epochs: int = 10  # passes over the training corpus
    batch_size: int = 32  # parallel streams (sequential) or subsequences (random)
    num_steps: int = 32  # BPTT truncation length: tokens per minibatch row
    lr: float = 1.0  # learning rate
    optimizer: str = "sgd"  # "sgd" or "adam"
    clip: float | None = 1.0  # max global gradient norm; None disables clipping
    sequential: bool = True  # sequential streams with state carried over (else random offsets)
    seed: int = 0  # seeds batching order and initial offsets
    patience: int | None = None  # stop after this many epochs without a better held-out perplexity
    restore_best: bool = True  # end with the weights of the best held-out epoch
    stop_on_nonfinite: bool = True  # stop when the loss becomes inf/nan (and mark diverged)

    def check(self) -> None:
        check_positive_int("num_epochs", self.num_epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("num_steps", self.num_steps)
        check_positive_float("lr", self.lr)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        if self.patience is not None:
            check_positive_int("patience", self.patience)


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
    state: State = None
    total, count = 0.0, 0
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps, offset=0):
        logits, state = model(X.to(dev), state)
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.to(dev).reshape(-1), reduction="sum"))
        count += Y.numel()
    model.train(was_training)
    return _exp(total / count)


def train_lm(
    model: nn.Module,
    train_corpus: torch.Tensor,
    val_corpus: torch.Tensor | None,
    config: TrainConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a next-token model with truncated BPTT and clipping (chapters 1 and 2).

    ``model(X, state)`` maps token indices ``(batch_size, num_steps)`` to
    logits ``(batch_size, num_steps, vocab_size)`` and a state, like
    :class:`~lstm_companion.RNNLM`. Returns a :class:`History`; the model
    is left on ``device`` (and, with ``restore_best``, holds the weights of
    its best held-out epoch).
    """
    config.check()
    dev = get_device(device)
    model.to(dev)
    gen = torch.Generator().manual_seed(config.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(params, lr=config.lr)
    else:
        opt = torch.optim.Adam(params, lr=config.lr)
    hist = History()
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs = 0
    start = time.perf_counter()
    bar = tqdm(range(config.num_epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        if config.sequential:
            batches = seq_data_iter_sequential(train_corpus, config.batch_size, config.num_steps, generator=gen)
        else:
            batches = seq_data_iter_random(train_corpus, config.batch_size, config.num_steps, generator=gen)
        state: State = None
        epoch_loss, epoch_tokens = 0.0, 0
        for X, Y in batches:
            X, Y = X.to(dev), Y.to(dev)
            state = detach_state(state) if config.sequential else None  # truncated BPTT
            logits, state = model(X, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = clip_gradients(params, config.clip) if config.clip is not None else grad_norm(params)
            opt.step()
            value = loss.item()
            hist.step_loss.append(value)
            hist.step_grad_norm.append(norm)
            if not math.isfinite(value) and config.stop_on_nonfinite:
                hist.diverged = True
                break
            epoch_loss += value * Y.numel()
            epoch_tokens += Y.numel()
        if hist.diverged:
            break
        hist.train_ppl.append(_exp(epoch_loss / max(epoch_tokens, 1)))
        if val_corpus is not None:
            ppl = evaluate_perplexity(model, val_corpus, device=dev)
            hist.val_ppl.append(ppl)
            if hist.best_epoch < 0 or ppl < hist.val_ppl[hist.best_epoch]:
                hist.best_epoch = epoch
                bad_epochs = 0
                if config.restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
            bar.set_postfix(train_ppl=f"{hist.train_ppl[-1]:.2f}", val_ppl=f"{ppl:.2f}")
            if config.patience is not None and bad_epochs >= config.patience:
                break
        else:
            bar.set_postfix(train_ppl=f"{hist.train_ppl[-1]:.2f}")
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    return hist
