"""Text signals: one number per character of a text, to correlate with a model's units (chapter 9).

A *signal* describes the text a character model reads, one value per
character, aligned with the activations: the value at step ``t`` describes
the character the model has just read. Each function returns a float tensor
of shape ``(len(text),)``:

- where a character sits in its word: :func:`position_in_word` (1, 2, 3, ...
  along a word, 0 on spaces), :func:`steps_to_word_end` (what is left of the
  word: only a guess for the model), :func:`is_word_start`;
- which character or word it is: :func:`char_indicator`, :func:`is_vowel`,
  :func:`in_word`;
- :func:`word_spans` (where the words are) and :func:`position_classes` (a
  label per character from :data:`POSITION_CLASSES`, for
  :func:`~lstm_companion.gate_statistics`).

:data:`SignalLike` is what the statistics and the renderings accept as a
signal: a tensor, a numpy array or a list of numbers. Neighbours: the
activations the signals are compared with come from
:func:`~lstm_companion.cell_activations` (:mod:`lstm_companion.measure.activations`),
the correlations and their controls are in
:mod:`lstm_companion.measure.interpret`, and the coloured text of a unit in
:mod:`lstm_companion.plots`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .._checks import check_text

__all__ = [
    "POSITION_CLASSES",
    "SignalLike",
    "word_spans",
    "position_in_word",
    "steps_to_word_end",
    "char_indicator",
    "is_vowel",
    "is_word_start",
    "in_word",
    "position_classes",
]


#: The classes of :func:`position_classes`: a space, the first letter of a word, a later letter, anything else.
POSITION_CLASSES = ("space", "first letter", "later letter", "other")


SignalLike = torch.Tensor | np.ndarray | Sequence[float]


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word (a maximal run of letters, ``str.isalpha``), ``text[start:end]`` (chapter 9)."""
    check_text("text", text)
    spans, start = [], None
    for t, ch in enumerate(text):
        if ch.isalpha():
            if start is None:
                start = t
        elif start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def position_in_word(text: str) -> torch.Tensor:
    """1, 2, 3, ... along each word, 0 on every other character; shape ``(len(text),)`` (chapter 9).

    ``position_in_word("the cat")`` is ``[1, 2, 3, 0, 1, 2, 3]``: what a
    reader who counts letters since the last space knows after each character.
    """
    out = torch.zeros(len(check_text("text", text)))
    for start, end in word_spans(text):
        out[start:end] = torch.arange(1, end - start + 1, dtype=out.dtype)
    return out


def steps_to_word_end(text: str) -> torch.Tensor:
    """How many more characters until the word ends, ``(len(text),)`` (chapter 9).

    At letter ``k`` (1-based) of a word of ``L`` letters: ``L - k + 1``, the
    number of steps until a non-letter is read; 0 on non-letters.
    ``steps_to_word_end("the cat")`` is ``[3, 2, 1, 0, 3, 2, 1]``. Unlike
    :func:`position_in_word` this depends on characters not read yet: a model
    can only *predict* it.
    """
    out = torch.zeros(len(check_text("text", text)))
    for start, end in word_spans(text):
        out[start:end] = torch.arange(end - start, 0, -1, dtype=out.dtype)
    return out


def char_indicator(text: str, chars: str) -> torch.Tensor:
    """1.0 where the character is one of ``chars``, else 0.0; shape ``(len(text),)`` (chapter 9)."""
    check_text("text", text)
    check_text("chars", chars)
    wanted = set(chars)
    return torch.tensor([float(ch in wanted) for ch in text])


def is_vowel(text: str) -> torch.Tensor:
    """1.0 on the vowels ``a e i o u`` (either case), else 0.0; shape ``(len(text),)`` (chapter 9)."""
    return char_indicator(text, "aeiouAEIOU")


def is_word_start(text: str) -> torch.Tensor:
    """1.0 on the first letter of every word, else 0.0; shape ``(len(text),)`` (chapter 9)."""
    out = torch.zeros(len(check_text("text", text)))
    for start, _ in word_spans(text):
        out[start] = 1.0
    return out


def in_word(text: str, word: str) -> torch.Tensor:
    """1.0 on every letter of each whole-word occurrence of ``word``, else 0.0 (chapter 9).

    ``in_word("the other the", "the")`` marks the first and the last "the",
    not the "the" inside "other". Shape ``(len(text),)``.
    """
    check_text("text", text)
    if not isinstance(word, str) or not word.isalpha():
        raise ValueError(f"word must be a non-empty string of letters, got {word!r}")
    out = torch.zeros(len(text))
    for start, end in word_spans(text):
        if text[start:end] == word:
            out[start:end] = 1.0
    return out


def position_classes(text: str) -> list[str]:
    """The class of every character in :data:`POSITION_CLASSES` (chapter 9).

    ``"space"`` for ``" "``, ``"first letter"`` for a word's first letter,
    ``"later letter"`` for its other letters and ``"other"`` for anything
    else (nothing, in the preprocessed *Time Machine*).
    """
    check_text("text", text)
    starts = is_word_start(text)
    out = []
    for t, ch in enumerate(text):
        if ch == " ":
            out.append("space")
        elif ch.isalpha():
            out.append("first letter" if starts[t] else "later letter")
        else:
            out.append("other")
    return out
