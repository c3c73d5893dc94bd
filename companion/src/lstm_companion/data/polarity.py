"""The sentence polarity data of Pang and Lee (2005): read, encoded and split (chapters 6 and 7).

The data are 5,331 positive and 5,331 negative one-sentence movie-review
snippets, lower-cased and tokenised (``DATA_FILES["rt-polarity.pos"]`` and
``.neg``, found or downloaded by :func:`~lstm_companion.fetch`). Chapter 6
compares a unidirectional LSTM, a BiLSTM and a logistic regression on bags of
uni- and bigrams; chapter 7 uses the same classifier with attention pooling
to show which words it weighs.

The API (stable: chapter 7 builds on it):

- :func:`load_polarity` -> :class:`PolarityData`: a fixed, seeded
  train/validation/test split (80/10/10 by default, classes balanced in each
  part), a word :class:`~lstm_companion.Vocab` built from the training
  sentences (``<unk>`` = 0, ``<pad>`` = 1, :data:`PAD_TOKEN`), and each part
  as a :class:`PolaritySplit` of padded token indices ``(num_sentences,
  max_length)``, ``lengths`` and ``labels`` (1 positive, 0 negative).
- :func:`read_polarity`: all 10,662 sentences, positive first, and their
  labels.
- :func:`encode`: sentences (strings) -> padded token indices and lengths.

The rest of the sentiment experiment lives by role:

- the classifier (:class:`~lstm_companion.SentimentClassifier`,
  :func:`~lstm_companion.sentiment_accuracy`,
  :func:`~lstm_companion.predict_proba`,
  :func:`~lstm_companion.attention_weights`) in
  :mod:`lstm_companion.models.classifier`;
- its training (a :class:`~lstm_companion.FitConfig`,
  :func:`~lstm_companion.train_classifier`) in
  :mod:`lstm_companion.training.supervised`;
- the bag-of-n-grams baseline (:func:`~lstm_companion.bag_of_ngrams_baseline`)
  in :mod:`lstm_companion.measure.baselines`;
- chapter 6's recipe (:data:`~lstm_companion.SENTIMENT_RECIPE`,
  :func:`~lstm_companion.make_classifier`,
  :func:`~lstm_companion.load_or_train_classifier`), shared with
  ``scripts/sentiment_seeds.py`` (whose results are in
  ``results/sentiment.json``), in :mod:`lstm_companion.recipes.sentiment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch

from .._checks import check_positive_float, check_positive_int, check_seed
from .download import fetch
from .text import Vocab

__all__ = [
    "PAD_TOKEN",
    "PolaritySplit",
    "PolarityData",
    "read_polarity",
    "encode",
    "load_polarity",
    "check_polarity_split",
]


PAD_TOKEN = "<pad>"  # the padding token, index 1 of every vocabulary built here (index 0 is <unk>)


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
        return int(self.vocab[PAD_TOKEN])


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
    if PAD_TOKEN not in vocab.token_to_idx:
        raise ValueError(
            f"vocab must contain the padding token {PAD_TOKEN!r} (build it with reserved_tokens=[{PAD_TOKEN!r}])"
        )
    if max_length is not None:
        check_positive_int("max_length", max_length)
    rows: list[list[int]] = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        ids = vocab[text.split()] or [vocab.unk]
        rows.append(ids[:max_length] if max_length is not None else ids)
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)  # (num_sentences,)
    width = max_length if max_length is not None else int(lengths.max())
    tokens = torch.full((len(rows), width), int(vocab[PAD_TOKEN]), dtype=torch.long)
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
    check_seed(seed)
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
        members = (labels == label).nonzero()[:, 0]  # this class's sentences
        idx: list[int] = members[torch.randperm(len(members), generator=gen)].tolist()
        n_val, n_test = round(len(idx) * val_fraction), round(len(idx) * test_fraction)
        parts["val"] += idx[:n_val]
        parts["test"] += idx[n_val : n_val + n_test]
        parts["train"] += idx[n_val + n_test :]
    for key in parts:  # mix the classes
        order = torch.randperm(len(parts[key]), generator=gen).tolist()
        parts[key] = [parts[key][i] for i in order]
    vocab = Vocab([texts[i].split() for i in parts["train"]], min_freq=min_freq, reserved_tokens=[PAD_TOKEN])

    def make(idx: list[int]) -> PolaritySplit:
        part_texts = [texts[i] for i in idx]
        tokens, lengths = encode(part_texts, vocab)
        return PolaritySplit(part_texts, tokens, lengths, labels[idx])

    settings = {"seed": seed, "val_fraction": val_fraction, "test_fraction": test_fraction, "min_freq": min_freq}
    return PolarityData(make(parts["train"]), make(parts["val"]), make(parts["test"]), vocab, settings)


def check_polarity_split(name: str, split: object) -> PolaritySplit:
    """Return ``split`` if it is a :class:`PolaritySplit`, else raise a ``TypeError`` naming ``name``."""
    if not isinstance(split, PolaritySplit):
        raise TypeError(f"{name} must be a PolaritySplit (e.g. load_polarity().train), got {type(split).__name__}")
    return split
