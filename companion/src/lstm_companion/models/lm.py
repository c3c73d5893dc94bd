"""Character language models around a recurrent core, and generating text with them (chapters 1-4, 6, 8, 9).

- :class:`RNNLM` feeds one-hot characters to a recurrent core (the scratch
  :class:`~lstm_companion.RNNScratch` or :class:`~lstm_companion.LSTMScratch`,
  PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU``, an
  :class:`~lstm_companion.LSTMVariant`) and maps every hidden state to
  next-character logits; it returns the core's state, so that training can
  carry it across minibatches (chapter 1, then chapters 2-4, 8 and 9).
- :func:`generate`: continue a prefix, drawing each character at a
  temperature, or taking the most likely one (chapters 1 and 4).
- :class:`CharLSTM`: a character model on a unidirectional or bidirectional
  ``nn.LSTM``, and :func:`generate_causal`: greedy generation that re-reads
  the whole text before each new character, the fair way to generate with
  either (chapter 6). A bidirectional model's logits at step ``t`` have read
  the very token they are asked to predict.

Their training (:func:`~lstm_companion.train_lm`,
:func:`~lstm_companion.evaluate_perplexity`) is in
:mod:`lstm_companion.training.bptt`; the baselines that say what a perplexity
means (a uniform guess has perplexity equal to the vocabulary size; a unigram
model, character frequencies without context, does better; anything that
uses context must do better still) are in
:mod:`lstm_companion.measure.baselines`,
:func:`~lstm_companion.causal_perplexity` in
:mod:`lstm_companion.measure.metrics`, and the cached models of chapters 3,
4 and 9 in :mod:`lstm_companion.recipes.char_lm`.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_float, check_positive_int, check_same_device, check_seed, check_tensor
from ..data.text import Vocab
from ..runtime import model_device
from .state import RecurrentState, one_hot_steps

__all__ = ["CharLSTM", "generate_causal", "RNNLM", "generate"]


class CharLSTM(nn.Module):
    """A character language model: one-hot -> ``nn.LSTM`` (uni- or bidirectional) -> linear (chapter 6).

    ``forward(X, state=None)`` maps token indices ``(batch_size, num_steps)``
    to next-token logits ``(batch_size, num_steps, vocab_size)`` and returns
    ``None`` as its state, so it fits
    :func:`~lstm_companion.train_lm` with ``sequential=False`` (every
    minibatch starts from a zero state). With ``bidirectional=True`` the
    logits at step ``t`` depend on the backward direction, which has read
    steps ``t + 1, ..., T``, the very tokens it is asked to predict.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, *, bidirectional: bool) -> None:
        super().__init__()
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("num_hiddens", num_hiddens)
        self.vocab_size, self.bidirectional = vocab_size, bool(bidirectional)
        self.core = nn.LSTM(vocab_size, num_hiddens, bidirectional=self.bidirectional)
        self.output = nn.Linear((2 if self.bidirectional else 1) * num_hiddens, vocab_size)

    def forward(self, X: torch.Tensor, state: object = None) -> tuple[torch.Tensor, None]:
        inputs = one_hot_steps(X, self.vocab_size, self.output.weight)  # (num_steps, batch_size, vocab_size)
        outputs, _ = self.core(inputs)  # (num_steps, batch_size, D * num_hiddens)
        return self.output(outputs).transpose(0, 1), None  # (batch_size, num_steps, vocab_size)


def _check_generation(model: object, prefix: object, vocab: object) -> None:
    """The checks shared by :func:`generate` and :func:`generate_causal`."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a language model (an nn.Module such as RNNLM), got {type(model).__name__}")
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty str, got {prefix!r}")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    vocab_size = getattr(model, "vocab_size", None)
    if isinstance(vocab_size, int) and len(vocab) != vocab_size:
        raise ValueError(
            f"vocab must be the model's vocabulary: it has {len(vocab)} tokens, but the model's vocab_size is {vocab_size}"
        )
    if unknown := sorted(set(prefix) - set(vocab.token_to_idx)):
        raise ValueError(f"prefix contains characters not in the vocabulary: {unknown!r}")


@torch.no_grad()
def generate_causal(model: CharLSTM, prefix: str, num_preds: int, vocab: Vocab) -> str:
    """Continue ``prefix`` greedily, re-reading the whole text before each new character (chapter 6).

    The fair way to generate with any model of :class:`CharLSTM`: at every
    step the model sees all the text so far (and nothing after it), and the
    most likely next character is appended (``<unk>`` excluded).
    """
    check_positive_int("num_preds", num_preds)
    _check_generation(model, prefix, vocab)
    indices: list[int] = vocab.encode(list(prefix), strict=True)
    dev = model_device(model)
    was_training = model.training
    model.eval()
    for _ in range(num_preds):
        logits, _ = model(torch.tensor([indices], device=dev))
        last = logits[0, -1].float().cpu()
        last[vocab.unk] = -math.inf
        indices.append(int(last.argmax()))
    model.train(was_training)
    return "".join(vocab.idx_to_token[i] for i in indices)


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

    def forward(self, X: torch.Tensor, state: RecurrentState = None) -> tuple[torch.Tensor, RecurrentState]:
        check_tensor("X", X, ndim=2, floating=False)
        check_same_device("X", X, self.output.weight.device)
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
    _check_generation(model, prefix, vocab)
    if temperature is not None:
        check_positive_float("temperature", temperature)  # inf would be uniform sampling, NaN garbage
    check_seed(seed)
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
