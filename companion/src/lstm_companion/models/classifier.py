"""The sentence classifier of chapters 6 and 7: embedding, (Bi)LSTM, pooling, a linear layer.

- :class:`SentimentClassifier` ``(vocab_size, embed_size, num_hiddens, *,
  bidirectional, pooling, dropout)``: ``forward(tokens (B, T), lengths (B,))``
  returns logits ``(B, 2)``. The LSTM runs on a packed batch, so it never
  reads the padding; its states are pooled by one of :data:`POOLINGS`
  (``"max"``, ``"mean"``, ``"last"``, ``"attention"``). With
  ``pooling="attention"`` and ``return_attention=True`` it returns
  ``(logits, weights)``, ``weights`` ``(B, T)`` summing to 1 over each
  sentence's words and exactly 0 on padding.
- :func:`sentiment_accuracy` (the fraction of a
  :class:`~lstm_companion.PolaritySplit` classified right),
  :func:`predict_proba` (probability of "positive" for raw sentences) and
  :func:`attention_weights` (each word of a sentence with its attention
  weight, chapter 7).

The data are in :mod:`lstm_companion.data.polarity`; the training
(a :class:`~lstm_companion.FitConfig`,
:func:`~lstm_companion.train_classifier`: seeded, early stopping on
validation accuracy) in :mod:`lstm_companion.training.supervised`; the
bag-of-n-grams baseline in :mod:`lstm_companion.measure.baselines`; and
chapter 6's recipe with its cached training
(:func:`~lstm_companion.load_or_train_classifier`) in
:mod:`lstm_companion.recipes.sentiment`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._checks import check_index_range, check_nonneg_float, check_positive_int, check_tensor
from ..data.polarity import PolaritySplit, check_polarity_split, encode
from ..data.text import Vocab
from ..runtime import model_device

__all__ = ["sentiment_accuracy", "POOLINGS", "SentimentClassifier", "predict_proba", "attention_weights"]


POOLINGS = ("max", "mean", "last", "attention")


class SentimentClassifier(nn.Module):
    """Embedding -> (Bi)LSTM over the words -> pooling -> linear layer with 2 logits (chapters 6 and 7).

    ``forward(tokens, lengths)`` reads padded token indices ``(batch_size,
    num_steps)`` and each sentence's length ``(batch_size,)``; the LSTM runs
    on a packed batch, so it never reads the padding (and the backward
    direction starts at each sentence's own last word). Its states ``H_t``,
    ``(batch_size, num_steps, D * num_hiddens)`` with ``D = 2`` if
    ``bidirectional`` else 1, are pooled into one vector per sentence:

    - ``"max"``: the largest value of each feature over the sentence's words;
    - ``"mean"``: their mean;
    - ``"last"``: ``h_n``, the forward state after the last word (and, for a
      BiLSTM, the backward state after the first word);
    - ``"attention"``: a weighted mean ``sum_t a_t H_t`` with additive
      attention against a learned query vector ``q``:
      ``s_t = q^T tanh(W H_t + b)``, ``a = softmax(s)`` over the sentence's
      words only, so ``a_t`` is exactly 0 on padding.

    Dropout (probability ``dropout``) is applied to the word embeddings and
    to the pooled vector. ``padding_idx`` is the ``<pad>`` index (1 in every
    vocabulary from :func:`load_polarity`); its embedding stays zero. The
    padding is masked by ``lengths`` in any case. With ``return_attention=True`` (only for
    ``pooling="attention"``) ``forward`` returns ``(logits, weights)``,
    ``weights`` of shape ``(batch_size, num_steps)``.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        *,
        bidirectional: bool,
        pooling: str = "max",
        dropout: float = 0.5,
        num_classes: int = 2,
        padding_idx: int | None = 1,
    ) -> None:
        super().__init__()
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("embed_size", embed_size)
        check_positive_int("num_hiddens", num_hiddens)
        check_positive_int("num_classes", num_classes)
        if not isinstance(bidirectional, bool):
            raise TypeError(f"bidirectional must be a bool, got {type(bidirectional).__name__} {bidirectional!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        check_nonneg_float("dropout", dropout)
        if not dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if padding_idx is not None and (isinstance(padding_idx, bool) or not isinstance(padding_idx, int)):
            raise TypeError(f"padding_idx must be an int or None, got {type(padding_idx).__name__} {padding_idx!r}")
        if padding_idx is not None and not 0 <= padding_idx < vocab_size:
            raise ValueError(f"padding_idx must be in [0, {vocab_size}) or None, got {padding_idx}")
        self.vocab_size, self.embed_size, self.num_hiddens = vocab_size, embed_size, num_hiddens
        self.bidirectional, self.pooling, self.dropout_p = bidirectional, pooling, float(dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_size, num_hiddens, bidirectional=bidirectional)
        num_features = (2 if bidirectional else 1) * num_hiddens
        if pooling == "attention":
            self.attention_proj = nn.Linear(num_features, num_features)  # W, b
            self.attention_query = nn.Linear(num_features, 1, bias=False)  # q
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(num_features, num_classes)

    def extra_repr(self) -> str:
        return f"bidirectional={self.bidirectional}, pooling={self.pooling!r}, dropout={self.dropout_p}"

    def settings(self) -> dict[str, Any]:
        """The constructor's arguments (for cache keys and result files)."""
        return {
            "vocab_size": self.vocab_size,
            "embed_size": self.embed_size,
            "num_hiddens": self.num_hiddens,
            "bidirectional": self.bidirectional,
            "pooling": self.pooling,
            "dropout": self.dropout_p,
            "num_classes": self.output.out_features,
        }

    def check_inputs(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Raise a clear error for bad ``tokens``/``lengths``; return the lengths as int64 on the CPU."""
        check_tensor("tokens", tokens, ndim=2, floating=False)
        check_tensor("lengths", lengths, ndim=1, floating=False)
        if lengths.shape[0] != tokens.shape[0]:
            raise ValueError(
                f"lengths must have one entry per sentence, tokens has {tokens.shape[0]} rows, "
                f"got {lengths.shape[0]} lengths"
            )
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 1 or hi > tokens.shape[1]:
            raise ValueError(
                f"lengths must lie in [1, {tokens.shape[1]}] (tokens.shape[1]), got values in [{lo}, {hi}]"
            )
        tmin, tmax = int(tokens.min()), int(tokens.max())
        if tmin < 0 or tmax >= self.vocab_size:
            raise ValueError(f"tokens must hold indices in [0, {self.vocab_size}), got values in [{tmin}, {tmax}]")
        return lengths.to(device="cpu", dtype=torch.long)

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, *, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if return_attention and self.pooling != "attention":
            raise ValueError(
                f"return_attention=True needs pooling='attention', this model has pooling={self.pooling!r}"
            )
        lengths_cpu = self.check_inputs(tokens, lengths)
        batch_size, num_steps = tokens.shape
        emb = self.dropout(self.embedding(tokens.to(self.output.weight.device)))  # (batch_size, num_steps, embed_size)
        packed = pack_padded_sequence(emb.transpose(0, 1), lengths_cpu, enforce_sorted=False)
        packed_out, (H_n, _) = self.lstm(packed)
        H, _ = pad_packed_sequence(packed_out, total_length=num_steps)  # (num_steps, batch_size, D * num_hiddens)
        H = H.transpose(0, 1)  # (batch_size, num_steps, D * num_hiddens), zeros on padding
        mask = torch.arange(num_steps, device=H.device)[None, :] < lengths_cpu.to(H.device)[:, None]  # (B, T)
        weights = None
        if self.pooling == "max":
            pooled = H.masked_fill(~mask[:, :, None], -math.inf).max(dim=1).values  # (B, D * num_hiddens)
        elif self.pooling == "mean":
            pooled = H.sum(dim=1) / lengths_cpu.to(H.device, H.dtype)[:, None]
        elif self.pooling == "last":
            pooled = torch.cat([H_n[0], H_n[1]], dim=1) if self.bidirectional else H_n[0]
        else:
            scores = self.attention_query(torch.tanh(self.attention_proj(H)))[:, :, 0]  # (B, T): q^T tanh(W H_t + b)
            weights = torch.softmax(scores.masked_fill(~mask, -math.inf), dim=1)  # (B, T), exactly 0 on padding
            pooled = (weights[:, :, None] * H).sum(dim=1)  # (B, D * num_hiddens)
        logits: torch.Tensor = self.output(self.dropout(pooled))  # (batch_size, num_classes)
        if return_attention:
            assert weights is not None  # return_attention needs pooling="attention", checked above
            return logits, weights
        return logits


def _check_model(model: object, vocab: object = None) -> None:
    """Raise unless ``model`` is a :class:`SentimentClassifier` (and ``vocab``, if given, has its size)."""
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    if vocab is not None and isinstance(vocab, Vocab) and len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocab must be the vocabulary the model was built for: it has {len(vocab)} tokens, "
            f"the model's vocab_size is {model.vocab_size}"
        )


@torch.no_grad()
def _logits(model: SentimentClassifier, tokens: torch.Tensor, lengths: torch.Tensor, batch_size: int) -> torch.Tensor:
    check_positive_int("batch_size", batch_size)
    dev = model_device(model)
    was_training = model.training
    model.eval()
    out = []
    for i in range(0, tokens.shape[0], batch_size):
        lb = lengths[i : i + batch_size]
        out.append(model(tokens[i : i + batch_size, : int(lb.max())].to(dev), lb).cpu())
    model.train(was_training)
    return torch.cat(out)  # (num_sentences, num_classes)


def predict_proba(model: SentimentClassifier, vocab: Vocab, texts: Sequence[str]) -> torch.Tensor:
    """Probability that each sentence is positive, ``(len(texts),)`` (chapter 6).

    Sentences are strings of space-separated, lower-cased tokens, as in the
    data (``"not good ."``); unknown words become ``<unk>``.
    """
    _check_model(model, vocab)
    tokens, lengths = encode(texts, vocab)
    return torch.softmax(_logits(model, tokens, lengths, 512), dim=1)[:, 1]


@torch.no_grad()
def attention_weights(model: SentimentClassifier, vocab: Vocab, text: str) -> list[tuple[str, float]]:
    """Each word of one sentence with its attention weight (chapter 7; ``pooling="attention"``).

    The weights sum to 1. Unknown words are shown as they were written, but
    the model read them as ``<unk>``.
    """
    _check_model(model, vocab)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (one sentence), got {type(text).__name__}")
    if model.pooling != "attention":
        raise ValueError(f"model must have pooling='attention' to have attention weights, got {model.pooling!r}")
    tokens, lengths = encode([text], vocab)
    was_training = model.training
    model.eval()
    _, weights = model(tokens.to(model_device(model)), lengths, return_attention=True)
    model.train(was_training)
    words = text.split() or [Vocab.unk_token]
    return [(w, float(a)) for w, a in zip(words, weights[0].cpu())]


def sentiment_accuracy(model: SentimentClassifier, split: PolaritySplit, *, batch_size: int = 512) -> float:
    """Fraction of the sentences of ``split`` whose largest logit is their label (chapter 6)."""
    _check_model(model)
    check_polarity_split("split", split)
    check_index_range(
        "split.labels", split.labels, model.output.out_features, what="class labels", of="the model's num_classes"
    )
    logits = _logits(model, split.tokens, split.lengths, batch_size)
    return float((logits.argmax(dim=1) == split.labels).double().mean())
