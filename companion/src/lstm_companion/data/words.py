"""A word-level language-modelling corpus: the English side of the Tatoeba pairs (chapters 11 and 12).

Chapter 11 regularises a word-level LSTM language model; chapter 12 trains the
same model on several processes. Both read the corpus this module builds from
the English sentences of ``fra-eng.zip`` (the file chapter 7 translates):

1. every English sentence is preprocessed as in chapter 7
   (:func:`~lstm_companion.preprocess_nmt`: lower case, a space before
   ``, . ! ?``) and split into words;
2. **duplicates are removed before splitting** (one English sentence often has
   several French translations), so no sentence is in two splits;
3. the distinct sentences are shuffled with ``seed`` and cut into training,
   validation and test sentences;
4. the vocabulary is built **on the training sentences only**: ``<unk>``
   (index 0), ``<eos>`` (index 1), then the ``max_vocab - 2`` most frequent
   training words (ties alphabetical); every other word becomes ``<unk>``;
5. each split is one stream of token ids, every sentence followed by
   ``<eos>``, in the shuffled order: a 1-D ``LongTensor`` such as
   :func:`~lstm_companion.seq_data_iter_sequential` reads.

It is about the size of the Penn Treebank (roughly a million words and a
10,000-word vocabulary at most), but it is not the Penn Treebank: the
sentences are short, simple and conversational, and they are shuffled, so a
stream carries no context from one sentence to the next. Perplexities on it
are not comparable with published Penn Treebank numbers.

- :class:`WordCorpus`: the vocabulary, the three streams and the settings.
- :func:`load_word_corpus`: read, deduplicate, split, encode.

Cutting a stream into contiguous rows for truncated BPTT is
:func:`~lstm_companion.seq_data_iter_sequential` (chapter 1's batching) or,
for several processes, :func:`~lstm_companion.shard_stream` (chapter 12).
"""

from __future__ import annotations

import collections
import os
import random
from dataclasses import dataclass, field
from typing import Any

import torch

from .._checks import check_positive_int, check_probability, check_seed
from .tatoeba import preprocess_nmt, read_fra_eng
from .text import Vocab

__all__ = ["EOS_TOKEN", "WordCorpus", "english_sentences", "build_word_vocab", "load_word_corpus"]

EOS_TOKEN = "<eos>"  # index 1 of every vocabulary built here (``<unk>`` is 0)


@dataclass
class WordCorpus:
    """A word-level corpus: vocabulary, three token streams and how they were made (chapter 11)."""

    vocab: Vocab  # <unk> 0, <eos> 1, then the training words by frequency
    train: torch.Tensor  # 1-D int64 stream of token ids, sentences ended by <eos>
    val: torch.Tensor
    test: torch.Tensor
    settings: dict[str, Any] = field(default_factory=dict)  # arguments and sizes, for caches and result files
    sentences: dict[str, list[tuple[str, ...]]] = field(default_factory=dict, repr=False)  # split -> sentences

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def eos(self) -> int:
        return self.vocab[EOS_TOKEN]


def english_sentences(text: str) -> list[tuple[str, ...]]:
    """The English side of ``fra.txt`` lines, preprocessed, split into words, duplicates removed (first kept)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (the contents of fra.txt), got {type(text).__name__}")
    seen: dict[tuple[str, ...], None] = {}
    for line in text.split("\n"):
        english = line.split("\t", 1)[0]
        if "\t" not in line or not english.strip():
            continue
        words = tuple(preprocess_nmt(english).split())
        if words:
            seen.setdefault(words, None)
    return list(seen)


def build_word_vocab(sentences: list[tuple[str, ...]], max_vocab: int) -> Vocab:
    """``<unk>``, ``<eos>`` and the ``max_vocab - 2`` most frequent words of ``sentences`` (ties alphabetical)."""
    check_positive_int("max_vocab", max_vocab)
    if max_vocab < 3:
        raise ValueError(f"max_vocab must be at least 3 (<unk>, <eos> and one word), got {max_vocab}")
    vocab = Vocab(sentences, reserved_tokens=[EOS_TOKEN])
    if len(vocab) > max_vocab:  # Vocab orders by frequency, so the cap keeps the most frequent words
        vocab.idx_to_token = vocab.idx_to_token[:max_vocab]
        vocab.token_to_idx = {t: i for i, t in enumerate(vocab.idx_to_token)}
    return vocab


def _encode(sentences: list[tuple[str, ...]], vocab: Vocab) -> torch.Tensor:
    eos = vocab[EOS_TOKEN]
    ids: list[int] = []
    for s in sentences:
        ids.extend(vocab[list(s)])
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)


def load_word_corpus(
    max_vocab: int = 10_000,
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    *,
    max_sentences: int | None = None,
    local_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> WordCorpus:
    """The English Tatoeba sentences as a word-level LM corpus (chapter 11; see the module docstring).

    Duplicates are removed first, then the distinct sentences are shuffled
    with ``seed`` and the first ``max_sentences`` of them kept (all by
    default); ``val_fraction`` and ``test_fraction`` of those become the
    validation and test sentences, the rest the training sentences. The
    vocabulary (at most ``max_vocab`` tokens with ``<unk>`` and ``<eos>``)
    comes from the training sentences only.
    """
    check_positive_int("max_vocab", max_vocab)
    check_seed(seed)
    val_fraction = check_probability("val_fraction", val_fraction)
    test_fraction = check_probability("test_fraction", test_fraction)
    if val_fraction <= 0 or test_fraction <= 0 or val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction and test_fraction must each be > 0 and sum to < 1, got {val_fraction} and {test_fraction}"
        )
    if max_sentences is not None:
        check_positive_int("max_sentences", max_sentences)
    sentences = english_sentences(read_fra_eng(local_dir=local_dir, cache=cache))
    num_distinct = len(sentences)
    random.Random(seed).shuffle(sentences)
    if max_sentences is not None:
        sentences = sentences[:max_sentences]
    n = len(sentences)
    n_val, n_test = round(n * val_fraction), round(n * test_fraction)
    if n_val < 1 or n_test < 1 or n - n_val - n_test < 1:
        raise ValueError(f"max_sentences={max_sentences} leaves an empty split ({n} sentences)")
    train_s, val_s, test_s = (
        sentences[: n - n_val - n_test],
        sentences[n - n_val - n_test : n - n_test],
        sentences[n - n_test :],
    )
    vocab = build_word_vocab(train_s, max_vocab)
    train, val, test = _encode(train_s, vocab), _encode(val_s, vocab), _encode(test_s, vocab)
    unk = vocab.unk
    settings: dict[str, Any] = {
        "source": "fra-eng.zip, English side, preprocess_nmt, deduplicated",
        "max_vocab": max_vocab,
        "seed": seed,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "max_sentences": max_sentences,
        "distinct_sentences": num_distinct,
        "sentences": {"train": len(train_s), "val": len(val_s), "test": len(test_s)},
        "tokens": {"train": len(train), "val": len(val), "test": len(test)},
        "vocab_size": len(vocab),
        "train_words": len(collections.Counter(w for s in train_s for w in s)),
        "unk_rate": {k: float((t == unk).double().mean()) for k, t in (("train", train), ("val", val), ("test", test))},
    }
    return WordCorpus(vocab, train, val, test, settings, {"train": train_s, "val": val_s, "test": test_s})
