"""Text: tokens, the vocabulary, and *The Time Machine* as a character corpus (chapters 1-4 and 6-9).

Chapter 1 ("Recurrent neural networks") explains every piece: the corpus is
H. G. Wells' *The Time Machine* read one character at a time, and the
vocabulary maps characters to indices.

- :func:`tokenize`: a text, or a list of lines, split into characters or
  words.
- :class:`Vocab`: tokens to indices and back; ``<unk>`` is 0, then the
  reserved tokens, then every token seen often enough, most frequent first.
  The polarity and translation data build their word vocabularies with it
  (chapters 6 and 7).
- :func:`preprocess_time_machine` (letters only, lower case, as d2l; chapter 9
  shows what it removes) and :func:`load_time_machine`: the corpus as a 1-D
  tensor of character indices and its 28-token ``Vocab``.
- :func:`split_corpus`: training, validation and test parts, in text order.

The character models of chapters 1-4, 6, 8 and 9 all read this corpus. The
file is found or downloaded, checked, by :func:`~lstm_companion.fetch`
(:mod:`lstm_companion.data.download`); the two batching schemes that
truncated backpropagation through time needs (random offsets and sequential
streams) are in :mod:`lstm_companion.data.batching`.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterable, Sequence
from typing import overload

import torch

from .._checks import check_finite_float, check_positive_int, check_str, check_tensor
from .download import fetch

__all__ = ["tokenize", "Vocab", "preprocess_time_machine", "load_time_machine", "split_corpus"]


@overload
def tokenize(text: str, token: str = "char") -> list[str]: ...
@overload
def tokenize(text: list[str] | tuple[str, ...], token: str = "char") -> list[list[str]]: ...
@overload
def tokenize(text: Sequence[str], token: str = "char") -> list[str] | list[list[str]]: ...


def tokenize(text: str | Sequence[str], token: str = "char") -> list[str] | list[list[str]]:
    """Split text into tokens (chapter 1).

    ``text`` is one string (returns a flat list) or a list of lines (returns a
    list of token lists). ``token`` is ``"char"`` or ``"word"``.
    """
    if token not in ("char", "word"):
        raise ValueError(f"token must be 'char' or 'word', got {token!r}")
    split = list if token == "char" else str.split
    if isinstance(text, str):
        return split(text)
    if not isinstance(text, Sequence) or not all(isinstance(line, str) for line in text):
        raise TypeError(f"text must be a str or a sequence of str, got {type(text).__name__}")
    return [split(line) for line in text]


class Vocab:
    """Map tokens to indices and back (chapter 1).

    Index 0 is ``<unk>``; then the ``reserved_tokens``; then every token seen
    at least ``min_freq`` times, most frequent first (ties alphabetical), so the
    order does not depend on dictionary ordering.
    """

    unk_token = "<unk>"

    def __init__(
        self,
        tokens: Iterable[str] | Iterable[Iterable[str]] = (),
        min_freq: int = 1,
        reserved_tokens: Sequence[str] = (),
    ) -> None:
        check_positive_int("min_freq", min_freq)
        if not isinstance(tokens, Iterable):
            raise TypeError(f"tokens must be an iterable of tokens or of token lists, got {type(tokens).__name__}")
        if isinstance(reserved_tokens, str) or not isinstance(reserved_tokens, Iterable):
            raise TypeError(
                f"reserved_tokens must be a list of str (a str would reserve each of its characters), "
                f"got {type(reserved_tokens).__name__} {reserved_tokens!r}"
            )
        for i, t in enumerate(reserved_tokens):
            if not isinstance(t, str):
                raise TypeError(f"reserved_tokens[{i}] must be a str, got {type(t).__name__} {t!r}")
        flat: list[str] = []
        for tok in tokens:
            if isinstance(tok, str):
                flat.append(tok)
            elif isinstance(tok, Iterable):
                flat.extend(tok)
            else:
                raise TypeError(
                    f"tokens must hold str tokens or lists of them, got an item {type(tok).__name__} {tok!r}"
                )
        self.token_freqs: list[tuple[str, int]] = sorted(
            collections.Counter(flat).items(), key=lambda kv: (-kv[1], kv[0])
        )
        specials = [self.unk_token] + [t for t in reserved_tokens if t != self.unk_token]
        kept = [t for t, f in self.token_freqs if f >= min_freq and t not in specials]
        self.idx_to_token: list[str] = specials + kept
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{head}{', ...' if len(self) > 8 else ''}])"

    @property
    def unk(self) -> int:
        """Index of the unknown token (always 0)."""
        return 0

    @overload
    def __getitem__(self, tokens: str) -> int: ...
    @overload
    def __getitem__(self, tokens: list[str] | tuple[str, ...]) -> list[int]: ...
    @overload
    def __getitem__(self, tokens: Sequence[str]) -> int | list[int]: ...

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Index of a token (``<unk>``'s index if unknown), or a list of them."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, self.unk)
        if not isinstance(tokens, Iterable):
            raise TypeError(f"tokens must be a str or a list of str, got {type(tokens).__name__}")
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def encode(self, tokens: Sequence[str], strict: bool = True) -> list[int]:
        """Indices of ``tokens``; with ``strict`` an unknown token is an error."""
        if not isinstance(tokens, Iterable):
            raise TypeError(f"tokens must be a list of str, got {type(tokens).__name__}")
        if strict:
            unknown = sorted({t for t in tokens if t not in self.token_to_idx})
            if unknown:
                raise ValueError(
                    f"tokens contains {len(unknown)} token(s) not in the vocabulary: "
                    f"{unknown[:10]!r}; known tokens are {self.idx_to_token[:30]!r}"
                )
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def to_tokens(self, indices: int | Sequence[int] | torch.Tensor) -> str | list[str]:
        """Token of an index, or the list of tokens of many indices."""
        if isinstance(indices, torch.Tensor):
            indices = indices.tolist()
        if isinstance(indices, int):
            self._check_index(indices)
            return self.idx_to_token[indices]
        if isinstance(indices, str) or not isinstance(indices, Iterable):
            raise TypeError(f"indices must be an int, a list of ints or a tensor, got {type(indices).__name__}")
        out = []
        for i in indices:
            self._check_index(i)
            out.append(self.idx_to_token[i])
        return out

    def _check_index(self, i: object) -> None:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"indices must be ints, got {type(i).__name__} {i!r}")
        if not 0 <= i < len(self):
            raise ValueError(f"indices must be in [0, {len(self)}), got {i}")


def preprocess_time_machine(text: str) -> str:
    """Keep letters only, lower-cased, every other run of characters a space (as d2l)."""
    check_str("text", text, nonempty=False)
    return re.sub("[^A-Za-z]+", " ", text).lower().strip()


def load_time_machine(
    *, local_dir: str | os.PathLike[str] | None = None, cache: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, Vocab]:
    """*The Time Machine* as a 1-D tensor of character indices, and its ``Vocab`` (chapter 1).

    27 characters (a–z and space) plus ``<unk>``: 28 tokens.
    """
    path = fetch("timemachine.txt", local_dir=local_dir, cache=cache)
    text = preprocess_time_machine(path.read_text(encoding="utf-8"))
    tokens = tokenize(text, "char")
    vocab = Vocab(tokens)
    corpus = torch.tensor(vocab.encode(tokens), dtype=torch.long)
    return corpus, vocab


def split_corpus(
    corpus: torch.Tensor, val_fraction: float = 0.1, test_fraction: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split a 1-D corpus into training, validation and test parts, in that order (chapter 1).

    Returns ``(train, val, test)``: the leading ``1 - val_fraction -
    test_fraction`` of the text, then ``val_fraction`` of it, then the
    trailing ``test_fraction``. Each part is contiguous text, so a model that
    trains on the first part is measured on text it never saw. Choose
    anything (the epoch to keep, when to drop the learning rate, the size of
    the model) on ``val``; measure ``test`` once, for the number you report.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_finite_float("val_fraction", val_fraction)
    check_finite_float("test_fraction", test_fraction)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if not val_fraction + test_fraction < 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1, got {val_fraction} + {test_fraction} = "
            f"{val_fraction + test_fraction}"
        )
    n_val = int(round(len(corpus) * val_fraction))
    n_test = int(round(len(corpus) * test_fraction))
    if min(n_val, n_test, len(corpus) - n_val - n_test) < 2:
        raise ValueError(
            f"corpus of length {len(corpus)} is too short to split with val_fraction={val_fraction} "
            f"and test_fraction={test_fraction}: every part needs at least 2 tokens"
        )
    n_train = len(corpus) - n_val - n_test
    return corpus[:n_train], corpus[n_train : n_train + n_val], corpus[n_train + n_val :]
