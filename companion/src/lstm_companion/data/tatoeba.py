"""English→French sentence pairs for the translation experiments (chapter 7).

The Tatoeba pairs of ``fra-eng.zip`` (as in d2l) are read straight from the
zip file (nothing is unpacked), preprocessed the way d2l does it (lower case,
non-breaking spaces turned into spaces, a space before ``, . ! ?``), split into
words, and kept only when both sides are short. Every pair whose English side
is the same sentence lands on the same side of a seeded train/development/test
split, so a held-out source sentence was never seen in training; its French
translations (one or several) are the references BLEU compares with. The
development sentences choose the model (the epoch to keep); the test
sentences are scored once, for the number to report.

- :func:`read_fra_eng`: the raw text of ``fra-eng/fra.txt``.
- :func:`preprocess_nmt` and :func:`tokenize_nmt`: d2l's preprocessing and word split.
- :func:`load_translation`: the data set a :class:`TranslationConfig` describes,
  vocabularies and padded tensors, as a :class:`TranslationData`.
- :func:`encode_batch` and :func:`decode_ids`: sentences ↔ padded index tensors.

Token indices: ``<unk>`` is 0 (as in :class:`~lstm_companion.Vocab`),
then ``<pad>`` 1, ``<bos>`` 2, ``<eos>`` 3 in both vocabularies
(:data:`SPECIALS`, :data:`PAD_ID`, :data:`BOS_ID`, :data:`EOS_ID`).

The encoder-decoders are in :mod:`lstm_companion.models.seq2seq`, their
training (:func:`~lstm_companion.train_seq2seq`) in
:mod:`lstm_companion.training.supervised`, BLEU in
:mod:`lstm_companion.measure.bleu`, and the committed checkpoint
(:func:`~lstm_companion.load_pretrained`) in
:mod:`lstm_companion.recipes.translation`.
"""

from __future__ import annotations

import operator
import os
import random
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .._checks import check_positive_int, check_seed, check_str, check_tensor
from .download import fetch
from .text import Vocab

__all__ = [
    "SPECIALS",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
    "read_fra_eng",
    "preprocess_nmt",
    "tokenize_nmt",
    "encode_batch",
    "decode_ids",
    "TranslationConfig",
    "TranslationData",
    "load_translation",
]


SPECIALS: tuple[str, ...] = ("<pad>", "<bos>", "<eos>")  # reserved after <unk> (index 0)


PAD_ID, BOS_ID, EOS_ID = 1, 2, 3  # their indices in every vocabulary built here


def read_fra_eng(
    *, local_dir: str | os.PathLike[str] | None = None, cache: str | os.PathLike[str] | None = None
) -> str:
    """The text of ``fra-eng/fra.txt``: one ``English<TAB>French`` pair per line (chapter 7).

    ``fra-eng.zip`` is found (or downloaded and checked) by
    :func:`~lstm_companion.fetch` and read in memory; nothing is unpacked.
    """
    path = fetch("fra-eng.zip", local_dir=local_dir, cache=cache)
    with zipfile.ZipFile(path) as archive:
        return archive.read("fra-eng/fra.txt").decode("utf-8")


def preprocess_nmt(text: str) -> str:
    """Lower-case, non-breaking spaces to spaces, a space before ``, . ! ?`` (as d2l, chapter 7)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    out = [" " + c if i > 0 and c in ",.!?" and text[i - 1] != " " else c for i, c in enumerate(text)]
    return "".join(out)


def tokenize_nmt(text: str, max_examples: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Word lists of the source (English) and target (French) side of each line (chapter 7).

    Lines without exactly one tab are skipped (the file ends with an empty
    line). Unlike d2l, no ``<eos>`` is appended here: :func:`encode_batch`
    adds it.
    """
    check_str("text", text, nonempty=False)
    if max_examples is not None:
        check_positive_int("max_examples", max_examples)
    src: list[list[str]] = []
    tgt: list[list[str]] = []
    for line in text.split("\n"):
        if max_examples is not None and len(src) >= max_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            src.append(parts[0].split())
            tgt.append(parts[1].split())
    return src, tgt


def encode_batch(
    sentences: Sequence[Sequence[str]], vocab: Vocab, *, bos: bool = False, num_steps: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of sentences, each ended by ``<eos>`` (and begun by ``<bos>`` if asked), padded (chapter 7).

    Returns ``(tokens, lengths)``: ``tokens`` of shape ``(batch_size,
    num_steps)`` (``num_steps`` defaults to the longest encoded sentence)
    filled with ``<pad>`` after each sentence, and ``lengths`` ``(batch_size,)``
    counting the ``<eos>`` (and ``<bos>``). Unknown words become ``<unk>``.
    An empty sentence is an error: there is nothing to translate.
    """
    if isinstance(sentences, str) or not isinstance(sentences, Sequence) or len(sentences) == 0:
        raise ValueError("sentences must be a non-empty list of word lists")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    rows: list[list[int]] = []
    for i, s in enumerate(sentences):
        if isinstance(s, str) or not isinstance(s, Sequence):
            raise TypeError(f"sentences[{i}] must be a list of words, got {type(s).__name__} {s!r}")
        if len(s) == 0:
            raise ValueError(f"sentences[{i}] is empty; every sentence needs at least one word")
        ids = vocab[list(s)]
        rows.append(([BOS_ID] if bos else []) + list(ids) + [EOS_ID])
    longest = max(len(r) for r in rows)
    if num_steps is None:
        num_steps = longest
    check_positive_int("num_steps", num_steps)
    if longest > num_steps:
        raise ValueError(f"num_steps must be at least the longest encoded sentence ({longest} tokens), got {num_steps}")
    tokens = torch.full((len(rows), num_steps), PAD_ID, dtype=torch.long)  # (batch_size, num_steps)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = torch.tensor(r)
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)  # (batch_size,)
    return tokens, lengths


def decode_ids(ids: Sequence[int] | torch.Tensor, vocab: Vocab) -> list[str]:
    """Words of one output row, up to (not including) the first ``<eos>``; ``<pad>``/``<bos>`` dropped."""
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    if isinstance(ids, torch.Tensor):
        check_tensor("ids", ids, ndim=1, floating=False, nonempty=False)
        ids = ids.tolist()
    elif isinstance(ids, str) or not isinstance(ids, Sequence):
        raise TypeError(f"ids must be a 1-D tensor or a list of token ids (one output row), got {type(ids).__name__}")
    words: list[str] = []
    for item in ids:
        try:
            i = operator.index(item)  # an int, a numpy integer or a 0-dim integer tensor
        except TypeError:
            raise TypeError(f"ids must hold int token ids, got {type(item).__name__} {item!r}") from None
        if i == EOS_ID:
            break
        if i in (PAD_ID, BOS_ID):
            continue
        if not 0 <= i < len(vocab):
            raise ValueError(f"ids must hold token ids in [0, {len(vocab)}) (the vocabulary's size), got {i}")
        words.append(vocab.idx_to_token[i])
    return words


@dataclass(frozen=True)
class TranslationConfig:
    """Which pairs, vocabularies and split :func:`load_translation` builds (chapter 7)."""

    max_words: int = 8  # keep pairs whose two sides both have at most this many words (punctuation counts)
    max_pairs: int | None = None  # then keep at most this many pairs (a seeded sample of source sentences)
    min_freq: int = 2  # words seen fewer times in the training pairs become <unk>
    num_test: int = 2000  # test source sentences (all their pairs are held out): scored once, to report
    seed: int = 0  # seeds the sample and the split
    num_dev: int = 0  # development source sentences (held out too): for choosing the epoch or the model

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check(self) -> None:
        """Raise a clear error for a setting :func:`load_translation` cannot use."""
        check_positive_int("max_words", self.max_words)
        if self.max_pairs is not None:
            check_positive_int("max_pairs", self.max_pairs)
        check_positive_int("min_freq", self.min_freq)
        check_positive_int("num_test", self.num_test)
        check_seed(self.seed)
        if isinstance(self.num_dev, bool) or not isinstance(self.num_dev, int) or self.num_dev < 0:
            raise ValueError(f"num_dev must be an int >= 0 (0: no development set), got {self.num_dev!r}")


@dataclass
class TranslationData:
    """Vocabularies, training tensors and held-out pairs (chapter 7).

    ``train_src`` ``(num_train, src_steps)`` and ``train_src_len``
    ``(num_train,)`` hold source words + ``<eos>``; ``train_tgt``
    ``(num_train, tgt_steps)`` holds ``<bos>`` + target words + ``<eos>``,
    so ``train_tgt[:, :-1]`` is the decoder's teacher-forced input and
    ``train_tgt[:, 1:]`` the labels. ``test_src`` lists each test source
    sentence once and ``test_refs`` all its French translations;
    ``dev_src`` and ``dev_refs`` do the same for the development sentences
    (empty when ``config.num_dev`` is 0).
    """

    config: TranslationConfig
    src_vocab: Vocab
    tgt_vocab: Vocab
    train_src: torch.Tensor
    train_src_len: torch.Tensor
    train_tgt: torch.Tensor
    train_tgt_len: torch.Tensor
    test_src: list[list[str]] = field(default_factory=list)
    test_refs: list[list[list[str]]] = field(default_factory=list)
    dev_src: list[list[str]] = field(default_factory=list)
    dev_refs: list[list[list[str]]] = field(default_factory=list)

    @property
    def num_train(self) -> int:
        return int(self.train_src.shape[0])


def load_translation(
    config: TranslationConfig | None = None,
    *,
    text: str | None = None,
    local_dir: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> TranslationData:
    """Build the English→French data set described by ``config`` (chapter 7).

    Steps: read and preprocess ``fra.txt`` (or ``text``), split into words,
    keep pairs with both sides ≤ ``max_words`` words, group them by English
    sentence, shuffle the distinct English sentences with ``seed``, optionally
    keep enough of them for ``max_pairs`` pairs, hold out the first
    ``num_test`` of them (test) and the next ``num_dev`` (development), each
    with all its translations, and build the vocabularies from the training
    pairs only. The test sentences do not depend on ``num_dev``.
    """
    config = TranslationConfig() if config is None else config
    if not isinstance(config, TranslationConfig):
        raise TypeError(f"config must be a TranslationConfig or None, got {type(config).__name__}")
    config.check()
    if text is None:
        text = read_fra_eng(local_dir=local_dir, cache=cache)
    elif not isinstance(text, str):
        raise TypeError(f"text must be the str content of fra.txt or None, got {type(text).__name__}")
    src, tgt = tokenize_nmt(preprocess_nmt(text))
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for s, t in zip(src, tgt):
        if 0 < len(s) <= config.max_words and 0 < len(t) <= config.max_words:
            groups.setdefault(tuple(s), []).append(t)
    keys = sorted(groups)  # a fixed order before the seeded shuffle
    random.Random(config.seed).shuffle(keys)
    if len(keys) <= config.num_test + config.num_dev:
        raise ValueError(
            f"num_test + num_dev must be smaller than the number of distinct source sentences ({len(keys)}), "
            f"got {config.num_test} + {config.num_dev}"
        )
    n_held = config.num_test + config.num_dev
    test_keys, dev_keys, train_keys = keys[: config.num_test], keys[config.num_test : n_held], keys[n_held:]
    if config.max_pairs is not None:
        kept, count = [], 0
        for k in train_keys:
            if count >= config.max_pairs:
                break
            kept.append(k)
            count += len(groups[k])
        train_keys = kept
    train_pairs = [(list(k), t) for k in train_keys for t in groups[k]]
    src_vocab = Vocab([s for s, _ in train_pairs], min_freq=config.min_freq, reserved_tokens=SPECIALS)
    tgt_vocab = Vocab([t for _, t in train_pairs], min_freq=config.min_freq, reserved_tokens=SPECIALS)
    train_src, train_src_len = encode_batch([s for s, _ in train_pairs], src_vocab)
    train_tgt, train_tgt_len = encode_batch([t for _, t in train_pairs], tgt_vocab, bos=True)
    return TranslationData(
        config=config,
        src_vocab=src_vocab,
        tgt_vocab=tgt_vocab,
        train_src=train_src,
        train_src_len=train_src_len,
        train_tgt=train_tgt,
        train_tgt_len=train_tgt_len,
        test_src=[list(k) for k in test_keys],
        test_refs=[groups[k] for k in test_keys],
        dev_src=[list(k) for k in dev_keys],
        dev_refs=[groups[k] for k in dev_keys],
    )
