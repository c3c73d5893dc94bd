"""A character language model around any recurrent core, baselines and sampling (chapter 1).

``RNNLM`` feeds one-hot characters to a recurrent core (the scratch
:class:`~lstm_companion.rnn.RNNScratch` or PyTorch's ``nn.RNN``/``nn.LSTM``/
``nn.GRU``) and maps every hidden state to next-character logits. The
baselines say what a perplexity means: a uniform guess has perplexity equal to
the vocabulary size; a unigram model (character frequencies, no context) does
better; anything that uses context must do better still.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_positive_float, check_positive_int, check_tensor
from .data import Vocab

__all__ = ["RNNLM", "State", "detach_state", "generate", "unigram_perplexity", "uniform_perplexity"]

State = torch.Tensor | tuple[torch.Tensor, ...] | None


def detach_state(state: State) -> State:
    """Cut the graph behind a (possibly tuple) state: truncated BPTT (chapter 1)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class RNNLM(nn.Module):
    """Next-token model: one-hot ``X`` -> recurrent ``core`` -> linear layer (chapter 1).

    ``core`` follows ``nn.RNN``'s convention: called as ``core(inputs, state)``
    with ``inputs`` of shape ``(num_steps, batch_size, vocab_size)``, it
    returns ``(outputs, state)`` with ``outputs`` of shape ``(num_steps,
    batch_size, num_hiddens)``. ``forward`` takes token indices ``X`` of shape
    ``(batch_size, num_steps)`` and returns logits ``(batch_size, num_steps,
    vocab_size)`` and the new state.
    """

    def __init__(self, core: nn.Module, vocab_size: int) -> None:
        super().__init__()
        check_positive_int("vocab_size", vocab_size)
        num_hiddens = getattr(core, "num_hiddens", None) or getattr(core, "hidden_size", None)
        if num_hiddens is None:
            raise TypeError(
                f"core must expose num_hiddens or hidden_size (like RNNScratch or nn.RNN), got {type(core).__name__}"
            )
        num_inputs = getattr(core, "num_inputs", None) or getattr(core, "input_size", None)
        if num_inputs != vocab_size:
            raise ValueError(f"core's input size must equal vocab_size={vocab_size} (one-hot inputs), got {num_inputs}")
        if getattr(core, "batch_first", False):
            raise ValueError("core must take time-major inputs (batch_first=False)")
        self.core = core
        self.vocab_size = vocab_size
        self.num_hiddens = int(num_hiddens)
        self.output = nn.Linear(self.num_hiddens, vocab_size)

    def forward(self, X: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        check_tensor("X", X, ndim=2, floating=False)
        if X.min() < 0 or X.max() >= self.vocab_size:
            raise ValueError(
                f"X must hold token indices in [0, {self.vocab_size}), got values in [{int(X.min())}, {int(X.max())}]"
            )
        weight = self.output.weight
        inputs = F.one_hot(X.T, self.vocab_size).to(weight.dtype)  # (num_steps, batch_size, vocab_size)
        outputs, state = self.core(inputs, state)  # (num_steps, batch_size, num_hiddens)
        logits = self.output(outputs)  # (num_steps, batch_size, vocab_size)
        return logits.transpose(0, 1), state  # (batch_size, num_steps, vocab_size)


@torch.no_grad()
def generate(
    model: RNNLM,
    prefix: str,
    num_preds: int,
    vocab: Vocab,
    *,
    temperature: float | None = 1.0,
    seed: int = 0,
) -> str:
    """Continue ``prefix`` by ``num_preds`` characters (chapter 1).

    The prefix warms up the state; then each character is drawn from the
    softmax of the logits divided by ``temperature`` (``None``: always take the
    most likely one, which soon loops). A fixed ``seed`` gives the same text.
    """
    check_positive_int("num_preds", num_preds)
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty str, got {prefix!r}")
    if unknown := sorted(set(prefix) - set(vocab.token_to_idx)):
        raise ValueError(f"prefix contains characters not in the vocabulary: {unknown!r}")
    if temperature is not None:
        check_positive_float("temperature", temperature)
    device = model.output.weight.device
    gen = torch.Generator(device="cpu").manual_seed(seed)
    was_training = model.training
    model.eval()
    indices = vocab.encode(list(prefix), strict=True)
    logits, state = model(torch.tensor([indices], device=device))
    out = list(prefix)
    for _ in range(num_preds):
        last = logits[0, -1].float().cpu()
        last[vocab.unk] = -math.inf  # never emit <unk>
        if temperature is None:
            nxt = int(last.argmax())
        else:
            nxt = int(torch.multinomial(F.softmax(last / temperature, dim=-1), 1, generator=gen))
        out.append(vocab.idx_to_token[nxt])
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train(was_training)
    return "".join(out)


def uniform_perplexity(vocab_size: int) -> float:
    """Perplexity of guessing uniformly: exactly ``vocab_size`` (chapter 1)."""
    return float(check_positive_int("vocab_size", vocab_size))


def unigram_perplexity(train: torch.Tensor, val: torch.Tensor, vocab_size: int, alpha: float = 1.0) -> float:
    """Held-out perplexity of token frequencies counted on ``train`` (add-``alpha`` smoothing)."""
    check_tensor("train", train, ndim=1, floating=False)
    check_tensor("val", val, ndim=1, floating=False)
    check_positive_int("vocab_size", vocab_size)
    for name, t in (("train", train), ("val", val)):
        if t.min() < 0 or t.max() >= vocab_size:
            raise ValueError(
                f"{name} must hold token indices in [0, {vocab_size}), got values in [{int(t.min())}, {int(t.max())}]"
            )
    counts = torch.bincount(train, minlength=vocab_size).double() + alpha
    log_p = torch.log(counts / counts.sum())
    return math.exp(-float(log_p[val].mean()))
