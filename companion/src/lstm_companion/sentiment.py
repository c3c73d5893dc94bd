"""Sentence sentiment with (bidirectional) LSTMs, and a bag-of-n-grams baseline (chapters 6 and 7).

The data are the sentence polarity data of Pang and Lee (2005): 5,331
positive and 5,331 negative one-sentence movie-review snippets, lower-cased
and tokenised (``data.DATA_FILES["rt-polarity.pos"]`` and ``.neg``).
Chapter 6 compares a unidirectional LSTM, a BiLSTM and a logistic regression
on bags of uni- and bigrams; chapter 7 uses the same classifier with
attention pooling to show which words it weighs.

The API (stable: chapter 7 builds on it):

- :func:`load_polarity` -> :class:`PolarityData`: a fixed, seeded
  train/validation/test split (80/10/10 by default, classes balanced in each
  part), a word :class:`~lstm_companion.data.Vocab` built from the training
  sentences (``<unk>`` = 0, ``<pad>`` = 1), and each part as a
  :class:`PolaritySplit` of padded token indices ``(num_sentences,
  max_length)``, ``lengths`` and ``labels`` (1 positive, 0 negative).
- :func:`encode`: sentences (strings) -> padded token indices and lengths.
- :class:`SentimentClassifier` ``(vocab_size, embed_size, num_hiddens, *,
  bidirectional, pooling, dropout)``: ``forward(tokens (B, T), lengths (B,))``
  returns logits ``(B, 2)``; with ``pooling="attention"`` and
  ``return_attention=True`` it returns ``(logits, weights)``, ``weights``
  ``(B, T)`` summing to 1 over each sentence's words and exactly 0 on padding.
- :class:`SentimentConfig`, :func:`train_classifier` (seeded, tqdm, early
  stopping on validation accuracy, returns a :class:`SentimentHistory`) and
  :func:`load_or_train_classifier` (the same, cached by settings and code,
  as :func:`~lstm_companion.checkpoint.load_or_train` does for language
  models).
- :func:`accuracy`, :func:`predict_proba` (probability of "positive" for
  raw sentences) and :func:`attention_weights` (each word of a sentence with
  its attention weight).
- :func:`bag_of_ngrams_baseline`: logistic regression on binary bag-of-n-gram
  features (scikit-learn, imported lazily), its ``C`` chosen on the
  validation part.
- :data:`SENTIMENT_SETTINGS`, :func:`make_classifier`,
  :func:`sentiment_config`: chapter 6's recipe, shared by the notebook and
  ``scripts/sentiment_seeds.py`` (whose results are in
  ``results/sentiment.json``).
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tqdm.auto import tqdm

from ._checks import check_nonneg_float, check_positive_float, check_positive_int, check_tensor
from .data import Vocab, cache_dir, fetch
from .train import _model_device, get_device

__all__ = [
    "PAD",
    "POOLINGS",
    "PolaritySplit",
    "PolarityData",
    "read_polarity",
    "load_polarity",
    "encode",
    "SentimentClassifier",
    "SentimentConfig",
    "SentimentHistory",
    "train_classifier",
    "load_or_train_classifier",
    "accuracy",
    "predict_proba",
    "attention_weights",
    "BaselineResult",
    "bag_of_ngrams_baseline",
    "SENTIMENT_SETTINGS",
    "make_classifier",
    "sentiment_config",
]

PAD = "<pad>"  # the padding token, index 1 of every vocabulary built here (index 0 is <unk>)
POOLINGS = ("max", "mean", "last", "attention")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    return seed


# ---------------------------------------------------------------- data


class PolaritySplit(NamedTuple):
    """One part (train, validation or test) of the polarity data, encoded."""

    texts: list[str]  # the sentences, as in the files (tokens separated by spaces)
    tokens: torch.Tensor  # (num_sentences, max_length) int64 token indices, padded with the <pad> index
    lengths: torch.Tensor  # (num_sentences,) int64 number of tokens of each sentence (>= 1)
    labels: torch.Tensor  # (num_sentences,) int64: 1 positive, 0 negative


@dataclass
class PolarityData:
    """What :func:`load_polarity` returns."""

    train: PolaritySplit
    val: PolaritySplit
    test: PolaritySplit
    vocab: Vocab  # built from the training sentences only: <unk> = 0, <pad> = 1, then by frequency
    settings: dict[str, Any] = field(default_factory=dict)  # the arguments that made the split

    @property
    def pad(self) -> int:
        """Index of the padding token (1)."""
        return int(self.vocab[PAD])  # type: ignore[arg-type]


def read_polarity(
    *, local_dir: str | Path | None = None, cache: str | Path | None = None
) -> tuple[list[str], torch.Tensor]:
    """All 10,662 sentences (positive first) and their labels ``(10662,)`` (1 positive, 0 negative)."""
    texts: list[str] = []
    labels: list[int] = []
    for name, label in (("rt-polarity.pos", 1), ("rt-polarity.neg", 0)):
        path = fetch(name, local_dir=local_dir, cache=cache)
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line]
        texts += lines
        labels += [label] * len(lines)
    return texts, torch.tensor(labels, dtype=torch.long)


def encode(texts: Sequence[str], vocab: Vocab, *, max_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token indices of sentences, padded with ``<pad>``, and their lengths (chapter 6).

    Each sentence is split on white space; unknown words map to ``<unk>``; a
    sentence longer than ``max_length`` tokens is cut. An empty sentence is
    read as one ``<unk>``, so every length is at least 1 (packing needs it).
    Returns ``tokens`` ``(num_sentences, max_length)`` (default: the longest
    sentence) and ``lengths`` ``(num_sentences,)``, both int64.
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of strings (sentences), got {type(texts).__name__}")
    if len(texts) == 0:
        raise ValueError("texts must hold at least one sentence, got an empty list")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a data.Vocab, got {type(vocab).__name__}")
    if PAD not in vocab.token_to_idx:
        raise ValueError(f"vocab must contain the padding token {PAD!r} (build it with reserved_tokens=[{PAD!r}])")
    if max_length is not None:
        check_positive_int("max_length", max_length)
    rows: list[list[int]] = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        ids = vocab[text.split()] or [vocab.unk]  # type: ignore[assignment]
        rows.append(ids[:max_length] if max_length is not None else ids)  # type: ignore[arg-type]
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)  # (num_sentences,)
    width = max_length if max_length is not None else int(lengths.max())
    tokens = torch.full((len(rows), width), int(vocab[PAD]), dtype=torch.long)  # type: ignore[arg-type]
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return tokens, lengths


def load_polarity(
    *,
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    min_freq: int = 1,
    local_dir: str | Path | None = None,
    cache: str | Path | None = None,
) -> PolarityData:
    """The sentence polarity data, split into training, validation and test parts (chapter 6).

    The split is stratified (each part holds as many positive as negative
    sentences, up to one) and fixed by ``seed``. The vocabulary holds the
    training words seen at least ``min_freq`` times; words seen only in the
    validation or test parts are ``<unk>`` there, as they would be for new
    reviews.
    """
    _check_seed(seed)
    check_positive_float("val_fraction", val_fraction)
    check_positive_float("test_fraction", test_fraction)
    if not val_fraction + test_fraction < 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1, got {val_fraction} + {test_fraction} = "
            f"{val_fraction + test_fraction}"
        )
    check_positive_int("min_freq", min_freq)
    texts, labels = read_polarity(local_dir=local_dir, cache=cache)
    gen = torch.Generator().manual_seed(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in (0, 1):
        idx = (labels == label).nonzero()[:, 0]
        idx = idx[torch.randperm(len(idx), generator=gen)].tolist()
        n_val, n_test = round(len(idx) * val_fraction), round(len(idx) * test_fraction)
        parts["val"] += idx[:n_val]
        parts["test"] += idx[n_val : n_val + n_test]
        parts["train"] += idx[n_val + n_test :]
    for key in parts:  # mix the classes
        order = torch.randperm(len(parts[key]), generator=gen).tolist()
        parts[key] = [parts[key][i] for i in order]
    vocab = Vocab([texts[i].split() for i in parts["train"]], min_freq=min_freq, reserved_tokens=[PAD])

    def make(idx: list[int]) -> PolaritySplit:
        part_texts = [texts[i] for i in idx]
        tokens, lengths = encode(part_texts, vocab)
        return PolaritySplit(part_texts, tokens, lengths, labels[idx])

    settings = {"seed": seed, "val_fraction": val_fraction, "test_fraction": test_fraction, "min_freq": min_freq}
    return PolarityData(make(parts["train"]), make(parts["val"]), make(parts["test"]), vocab, settings)


# ---------------------------------------------------------------- model


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
            raise ValueError(f"lengths must lie in [1, {tokens.shape[1]}] (tokens.shape[1]), got values in [{lo}, {hi}]")
        tmin, tmax = int(tokens.min()), int(tokens.max())
        if tmin < 0 or tmax >= self.vocab_size:
            raise ValueError(f"tokens must hold indices in [0, {self.vocab_size}), got values in [{tmin}, {tmax}]")
        return lengths.to(device="cpu", dtype=torch.long)

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, *, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if return_attention and self.pooling != "attention":
            raise ValueError(f"return_attention=True needs pooling='attention', this model has pooling={self.pooling!r}")
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
        logits = self.output(self.dropout(pooled))  # (batch_size, num_classes)
        if return_attention:
            return logits, weights  # type: ignore[return-value]
        return logits


# ---------------------------------------------------------------- training


@dataclass
class SentimentConfig:
    """Settings of :func:`train_classifier`."""

    num_epochs: int = 10  # passes over the training sentences, at most
    batch_size: int = 64  # sentences per minibatch
    lr: float = 2e-3  # Adam's learning rate
    weight_decay: float = 0.0  # AdamW's decoupled weight decay
    clip: float | None = 5.0  # max global gradient norm; None disables clipping
    patience: int | None = 2  # stop after this many epochs without a better validation accuracy
    seed: int = 0  # seeds the minibatch order and dropout

    def check(self) -> None:
        check_positive_int("num_epochs", self.num_epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("lr", self.lr)
        check_nonneg_float("weight_decay", self.weight_decay)
        if self.clip is not None:
            check_positive_float("clip", self.clip)
        if self.patience is not None:
            check_positive_int("patience", self.patience)
        _check_seed(self.seed)


@dataclass
class SentimentHistory:
    """What :func:`train_classifier` measured."""

    step_loss: list[float] = field(default_factory=list)  # training loss of every minibatch
    train_loss: list[float] = field(default_factory=list)  # mean training loss of every epoch
    val_acc: list[float] = field(default_factory=list)  # validation accuracy after every epoch
    best_epoch: int = -1  # epoch (0-based) with the best validation accuracy; its weights are kept
    seconds: float = 0.0  # wall-clock training time

    @property
    def best_val_acc(self) -> float:
        return self.val_acc[self.best_epoch] if self.val_acc else math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SentimentHistory:
        return cls(**d)


def _check_split(name: str, split: object) -> PolaritySplit:
    if not isinstance(split, PolaritySplit):
        raise TypeError(f"{name} must be a PolaritySplit (e.g. load_polarity().train), got {type(split).__name__}")
    return split


def train_classifier(
    model: SentimentClassifier,
    train: PolaritySplit,
    val: PolaritySplit,
    config: SentimentConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> SentimentHistory:
    """Train ``model`` with cross-entropy and AdamW; keep the best validation epoch (chapter 6).

    Minibatches come from a permutation seeded by ``config.seed`` (reshuffled
    each epoch); dropout is seeded by it too. After each epoch the validation
    accuracy is measured; training stops after ``config.patience`` epochs
    without a new best, and the model ends with its best epoch's weights, on
    ``device``.
    """
    if not isinstance(model, SentimentClassifier):
        raise TypeError(f"model must be a SentimentClassifier, got {type(model).__name__}")
    _check_split("train", train)
    _check_split("val", val)
    config.check()
    dev = get_device(device)
    model.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout masks
    hist = SentimentHistory()
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs = 0
    start = time.perf_counter()
    n = train.tokens.shape[0]
    bar = tqdm(range(config.num_epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for i in range(0, n, config.batch_size):
            idx = order[i : i + config.batch_size]
            lengths = train.lengths[idx]
            tokens = train.tokens[idx, : int(lengths.max())].to(dev)  # (batch_size, longest in the batch)
            loss = F.cross_entropy(model(tokens, lengths), train.labels[idx].to(dev))  # type: ignore[arg-type]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip is not None:
                nn.utils.clip_grad_norm_(params, config.clip)
            opt.step()
            hist.step_loss.append(loss.item())
            total += loss.item() * len(idx)
            count += len(idx)
        hist.train_loss.append(total / count)
        acc = accuracy(model, val)
        hist.val_acc.append(acc)
        if hist.best_epoch < 0 or acc > hist.val_acc[hist.best_epoch]:
            hist.best_epoch, bad_epochs = epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}", val_acc=f"{acc:.3f}")
        if config.patience is not None and bad_epochs >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    return hist


def load_or_train_classifier(
    name: str,
    model: SentimentClassifier,
    data: PolarityData,
    config: SentimentConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
    cache: str | Path | None = None,
) -> tuple[SentimentHistory, bool]:
    """:func:`train_classifier`, cached: load the weights and history if this exact run was done before.

    The cache key (:func:`~lstm_companion.checkpoint.cache_key`) hashes the
    model's settings, the data split's settings, ``config``, the package's
    source code, the PyTorch version and the device type. Returns
    ``(history, loaded)``. The model must be freshly built with the seed the
    caller wants: training starts from its current weights.
    """
    from .checkpoint import _atomic_write, cache_key, load_model, save_model

    dev = get_device(device)
    model.to(dev)
    settings = {"model": model.settings(), "data": data.settings, "config": asdict(config)}
    folder = (Path(cache) if cache is not None else cache_dir()) / "checkpoints"
    key = cache_key(name, settings, dev)
    weights, meta = folder / f"{key}.pt", folder / f"{key}.json"
    if weights.is_file() and meta.is_file():
        load_model(model, weights)
        return SentimentHistory.from_dict(json.loads(meta.read_text())), True
    hist = train_classifier(model, data.train, data.val, config, device=dev, progress=progress)
    save_model(model, weights)
    _atomic_write(meta, lambda tmp: tmp.write_text(json.dumps(hist.to_dict())))
    return hist, False


# ---------------------------------------------------------------- evaluation


@torch.no_grad()
def _logits(model: SentimentClassifier, tokens: torch.Tensor, lengths: torch.Tensor, batch_size: int) -> torch.Tensor:
    check_positive_int("batch_size", batch_size)
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    out = []
    for i in range(0, tokens.shape[0], batch_size):
        lb = lengths[i : i + batch_size]
        out.append(model(tokens[i : i + batch_size, : int(lb.max())].to(dev), lb).cpu())  # type: ignore[arg-type]
    model.train(was_training)
    return torch.cat(out)  # (num_sentences, num_classes)


def accuracy(model: SentimentClassifier, split: PolaritySplit, *, batch_size: int = 512) -> float:
    """Fraction of the sentences of ``split`` whose largest logit is their label (chapter 6)."""
    _check_split("split", split)
    logits = _logits(model, split.tokens, split.lengths, batch_size)
    return float((logits.argmax(dim=1) == split.labels).double().mean())


def predict_proba(model: SentimentClassifier, vocab: Vocab, texts: Sequence[str]) -> torch.Tensor:
    """Probability that each sentence is positive, ``(len(texts),)`` (chapter 6).

    Sentences are strings of space-separated, lower-cased tokens, as in the
    data (``"not good ."``); unknown words become ``<unk>``.
    """
    tokens, lengths = encode(texts, vocab)
    return torch.softmax(_logits(model, tokens, lengths, 512), dim=1)[:, 1]


@torch.no_grad()
def attention_weights(model: SentimentClassifier, vocab: Vocab, text: str) -> list[tuple[str, float]]:
    """Each word of one sentence with its attention weight (chapter 7; ``pooling="attention"``).

    The weights sum to 1. Unknown words are shown as they were written, but
    the model read them as ``<unk>``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (one sentence), got {type(text).__name__}")
    tokens, lengths = encode([text], vocab)
    was_training = model.training
    model.eval()
    _, weights = model(tokens.to(_model_device(model)), lengths, return_attention=True)  # type: ignore[misc]
    model.train(was_training)
    words = text.split() or [Vocab.unk_token]
    return [(w, float(a)) for w, a in zip(words, weights[0].cpu())]


# ---------------------------------------------------------------- baseline


class BaselineResult(NamedTuple):
    """What :func:`bag_of_ngrams_baseline` returns."""

    val_acc: float  # validation accuracy of the chosen C
    test_acc: float  # test accuracy of the chosen C
    C: float  # inverse L2 strength chosen on the validation part
    val_acc_by_C: dict[float, float]  # validation accuracy of every C tried


def bag_of_ngrams_baseline(
    data: PolarityData,
    *,
    ngram_range: tuple[int, int] = (1, 2),
    Cs: Sequence[float] = (0.03, 0.1, 0.3, 1.0, 3.0),
    min_df: int = 1,
) -> BaselineResult:
    """Logistic regression on binary bags of n-grams; ``C`` chosen on validation (chapter 6).

    Each sentence becomes a vector of 0/1 indicators, one per n-gram of the
    training sentences (``ngram_range=(1, 2)``: words and word pairs), and
    scikit-learn's ``LogisticRegression`` (L2 penalty of strength ``1 / C``)
    is fitted on the training part. The model sees which words occur, and
    with bigrams which occur side by side, but not their order beyond that.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    if not isinstance(data, PolarityData):
        raise TypeError(f"data must be a PolarityData (from load_polarity), got {type(data).__name__}")
    lo, hi = ngram_range
    check_positive_int("ngram_range[0]", lo)
    check_positive_int("ngram_range[1]", hi)
    if hi < lo:
        raise ValueError(f"ngram_range must be (low, high) with low <= high, got {ngram_range}")
    if len(Cs) == 0:
        raise ValueError("Cs must hold at least one value")
    for c in Cs:
        check_positive_float("Cs[i]", c)
    vectorizer = CountVectorizer(
        ngram_range=(lo, hi), binary=True, token_pattern=r"\S+", lowercase=False, min_df=min_df
    )
    X_train = vectorizer.fit_transform(data.train.texts)
    X_val, X_test = vectorizer.transform(data.val.texts), vectorizer.transform(data.test.texts)
    y_train, y_val, y_test = (s.labels.numpy() for s in (data.train, data.val, data.test))
    by_C: dict[float, float] = {}
    models = {}
    for c in Cs:
        clf = LogisticRegression(C=float(c), solver="liblinear", max_iter=1000)
        clf.fit(X_train, y_train)
        models[float(c)] = clf
        by_C[float(c)] = float((clf.predict(X_val) == y_val).mean())
    best = max(by_C, key=lambda c: (by_C[c], -c))  # ties: the stronger penalty
    test_acc = float((models[best].predict(X_test) == y_test).mean())
    return BaselineResult(by_C[best], test_acc, best, by_C)


# ---------------------------------------------------------------- chapter 6's recipe

#: The settings of chapter 6's LSTM and BiLSTM (and of ``scripts/sentiment_seeds.py``).
SENTIMENT_SETTINGS: dict[str, Any] = {
    "min_freq": 2,  # vocabulary: training words seen at least twice
    "embed_size": 128,  # random word embeddings, learned
    "num_hiddens": 64,  # per direction
    "pooling": "max",  # max over the LSTM states of the sentence
    "dropout": 0.5,  # on the embeddings and on the pooled vector
    "num_epochs": 8,  # at most
    "batch_size": 128,
    "lr": 1e-2,
    "weight_decay": 0.0,
    "clip": 5.0,
    "patience": 3,  # early stopping on validation accuracy
}


def make_classifier(
    vocab_size: int, *, bidirectional: bool, pooling: str | None = None, settings: dict[str, Any] | None = None
) -> SentimentClassifier:
    """A :class:`SentimentClassifier` with chapter 6's sizes (``pooling`` overrides the recipe's)."""
    s = SENTIMENT_SETTINGS if settings is None else settings
    return SentimentClassifier(
        vocab_size,
        s["embed_size"],
        s["num_hiddens"],
        bidirectional=bidirectional,
        pooling=pooling or s["pooling"],
        dropout=s["dropout"],
    )


def sentiment_config(seed: int = 0, settings: dict[str, Any] | None = None) -> SentimentConfig:
    """The :class:`SentimentConfig` of chapter 6's recipe, with minibatch order and dropout seeded by ``seed``."""
    s = SENTIMENT_SETTINGS if settings is None else settings
    return SentimentConfig(
        num_epochs=s["num_epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        weight_decay=s["weight_decay"],
        clip=s["clip"],
        patience=s["patience"],
        seed=_check_seed(seed),
    )
