"""Corpus BLEU (Papineni et al., 2002), written out, and the BLEU of a translation model (chapter 7).

For candidate translations ``c`` with one or more references each:

- clipped n-gram precision ``p_n``: every n-gram of a candidate counts at
  most as often as it appears in the reference where it appears most,
  summed over the corpus, divided by the number of candidate n-grams;
- brevity penalty ``BP = 1`` if the candidates' total length ``c`` exceeds
  ``r``, else ``exp(1 - r / c)``, where ``r`` sums, per sentence, the
  reference length closest to the candidate's (the shorter on a tie);
- ``BLEU = BP * exp(sum_n w_n log p_n)`` with ``w_n = 1 / max_n``; 0 when a
  ``p_n`` is 0 (no smoothing).

Sums are over the whole corpus before dividing (corpus BLEU), not an average
of sentence scores. Tokens are words; nothing is lower-cased or split here.

:func:`ngrams` and :func:`bleu_stats` give the counts BLEU is made of,
:func:`corpus_bleu` and :func:`sentence_bleu` the score. To compare systems:
:func:`bleu_by_length` (corpus BLEU per bin of source length) and
:func:`paired_bootstrap_bleu` (the difference between two systems with a
paired bootstrap interval, Koehn 2004, through the general
:func:`~lstm_companion.paired_bootstrap`). :func:`evaluate_bleu` translates the
test (or development) sentences of a :class:`~lstm_companion.TranslationData`
greedily and scores them against all their references. :func:`detokenize` and
:func:`sacre_bleu` give the field's standard score (sacreBLEU, Post 2018) of
the same translations, with its signature, for comparison with published
numbers; the models and
:func:`~lstm_companion.translate` are in :mod:`lstm_companion.models.seq2seq`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import cast

import numpy as np

from .._checks import check_positive_int
from ..data.tatoeba import TranslationData
from ..models.seq2seq import Seq2Seq, translate
from .metrics import paired_bootstrap

__all__ = [
    "evaluate_bleu",
    "Words",
    "ngrams",
    "bleu_stats",
    "corpus_bleu",
    "sentence_bleu",
    "bleu_by_length",
    "paired_bootstrap_bleu",
    "detokenize",
    "sacre_bleu",
]


def evaluate_bleu(
    model: Seq2Seq,
    data: TranslationData,
    *,
    split: str = "test",
    max_steps: int | None = None,
    batch_size: int = 500,
) -> tuple[float, list[list[str]]]:
    """Corpus BLEU-4 of greedy translations of one held-out split, and the translations (chapter 7).

    ``split`` is ``"test"`` (report it once) or ``"dev"`` (choose the epoch
    or the model on it). ``max_steps`` defaults to ``2 * max_words + 2``.
    """
    if not isinstance(data, TranslationData):
        raise TypeError(f"data must be a TranslationData (from load_translation), got {type(data).__name__}")
    if split not in ("test", "dev"):
        raise ValueError(f"split must be 'test' or 'dev', got {split!r}")
    src, refs = (data.test_src, data.test_refs) if split == "test" else (data.dev_src, data.dev_refs)
    if not src:
        raise ValueError(f"data has no {split} sentences (set TranslationConfig.num_{split} > 0)")
    steps = 2 * data.config.max_words + 2 if max_steps is None else check_positive_int("max_steps", max_steps)
    hyps = [
        t.words for t in translate(model, src, data.src_vocab, data.tgt_vocab, max_steps=steps, batch_size=batch_size)
    ]
    return corpus_bleu(hyps, refs), hyps


Words = Sequence[str]


def ngrams(tokens: Words, n: int) -> Counter[tuple[str, ...]]:
    """Counts of the ``n``-grams of ``tokens`` (chapter 7)."""
    check_positive_int("n", n)
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"tokens must be a list of words (str), got {type(tokens).__name__}")
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _check_sentences(name: str, sentences: object, references: object) -> None:
    """``sentences`` a non-empty list of word lists and ``references`` one entry per sentence, else raise naming ``name``."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(f"{name} must be a list of word lists, got {type(sentences).__name__}")
    if len(sentences) == 0:
        raise ValueError(f"{name} must be a non-empty list of word lists")
    for i, words in enumerate(sentences):
        if isinstance(words, str) or not isinstance(words, Sequence) or not all(isinstance(w, str) for w in words):
            raise TypeError(f"{name}[{i}] must be a list of words (str), got {words!r}")
    if isinstance(references, str) or not isinstance(references, Sequence) or len(references) != len(sentences):
        got = len(references) if isinstance(references, Sequence) else type(references).__name__
        raise ValueError(f"references must hold one entry per candidate ({len(sentences)}), got {got}")


def _as_references(refs: object, i: int) -> list[list[str]]:
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise TypeError(f"references[{i}] must be a word list or a list of word lists, got {type(refs).__name__}")
    if len(refs) == 0:
        raise ValueError(f"references[{i}] is empty: every candidate needs at least one reference")
    if all(isinstance(w, str) for w in refs):
        return [list(refs)]
    out = []
    for j, r in enumerate(refs):
        if isinstance(r, str) or not isinstance(r, Sequence) or not all(isinstance(w, str) for w in r):
            raise TypeError(f"references[{i}][{j}] must be a list of words (str), got {r!r}")
        out.append(list(r))
    return out


def bleu_stats(
    candidates: Sequence[Words], references: Sequence[Words | Sequence[Words]], max_n: int = 4
) -> tuple[list[int], list[int], int, int]:
    """Corpus sums ``(matches[n-1], totals[n-1], c, r)`` that BLEU is made of (chapter 7).

    ``references[i]`` is one word list or a list of word lists (several
    references for ``candidates[i]``).
    """
    check_positive_int("max_n", max_n)
    if isinstance(candidates, str) or not isinstance(candidates, Sequence) or len(candidates) == 0:
        raise ValueError("candidates must be a non-empty list of word lists")
    if isinstance(references, str) or not isinstance(references, Sequence) or len(references) != len(candidates):
        got = len(references) if isinstance(references, Sequence) else type(references).__name__
        raise ValueError(f"references must hold one entry per candidate ({len(candidates)}), got {got}")
    matches, totals = [0] * max_n, [0] * max_n
    c_len = r_len = 0
    for i, (cand, refs) in enumerate(zip(candidates, references)):
        if isinstance(cand, str) or not isinstance(cand, Sequence) or not all(isinstance(w, str) for w in cand):
            raise TypeError(f"candidates[{i}] must be a list of words (str), got {cand!r}")
        ref_lists = _as_references(refs, i)
        c_len += len(cand)
        r_len += min((abs(len(r) - len(cand)), len(r)) for r in ref_lists)[1]  # closest length, shorter on a tie
        for n in range(1, max_n + 1):
            cand_counts = ngrams(cand, n)
            max_ref: Counter[tuple[str, ...]] = Counter()
            for r in ref_lists:
                max_ref |= ngrams(r, n)  # elementwise max over references
            matches[n - 1] += sum(min(k, max_ref[g]) for g, k in cand_counts.items())
            totals[n - 1] += max(len(cand) - n + 1, 0)
    return matches, totals, c_len, r_len


def corpus_bleu(candidates: Sequence[Words], references: Sequence[Words | Sequence[Words]], max_n: int = 4) -> float:
    """Corpus BLEU-``max_n`` in ``[0, 1]`` with uniform weights and the brevity penalty (chapter 7)."""
    matches, totals, c, r = bleu_stats(candidates, references, max_n)
    if c == 0 or any(m == 0 for m in matches):
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(log_p)


def sentence_bleu(candidate: Words, references: Words | Sequence[Words], max_n: int = 4) -> float:
    """BLEU of one sentence: :func:`corpus_bleu` of a one-sentence corpus (chapter 7)."""
    return corpus_bleu([candidate], [references], max_n)


def bleu_by_length(
    candidates: Sequence[Words],
    references: Sequence[Words | Sequence[Words]],
    source_lengths: Sequence[int],
    bins: Sequence[tuple[int, int]],
    max_n: int = 4,
) -> list[float]:
    """Corpus BLEU of the sentences whose source length lies in each ``(low, high)`` bin, both ends included (chapter 7).

    A bin that holds no sentence is an error.
    """
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise TypeError(f"candidates must be a list of word lists, got {type(candidates).__name__}")
    if isinstance(source_lengths, str) or not isinstance(source_lengths, Sequence):
        raise TypeError(f"source_lengths must be a list of ints, got {type(source_lengths).__name__}")
    if isinstance(bins, str) or not isinstance(bins, Sequence) or len(bins) == 0:
        raise ValueError(f"bins must be a non-empty list of (low, high) pairs, got {bins!r}")
    for i, b in enumerate(bins):
        if not (
            isinstance(b, Sequence) and len(b) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in b)
        ):
            raise TypeError(f"bins[{i}] must be a pair (low, high) of ints, got {b!r}")
        if b[0] > b[1]:
            raise ValueError(f"bins[{i}] must have low <= high, got {tuple(b)}")
    if len(source_lengths) != len(candidates):
        raise ValueError(
            f"source_lengths must hold one length per candidate ({len(candidates)}), got {len(source_lengths)}"
        )
    out = []
    for lo, hi in bins:
        idx = [i for i, n in enumerate(source_lengths) if lo <= n <= hi]
        if not idx:
            raise ValueError(f"bins: no sentence has a source length in [{lo}, {hi}]")
        out.append(corpus_bleu([candidates[i] for i in idx], [references[i] for i in idx], max_n))
    return out


def _bleu_from_stats(matches: Sequence[float], totals: Sequence[float], c: float, r: float) -> float:
    if c == 0 or any(m == 0 for m in matches):
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / len(matches)
    return (1.0 if c > r else math.exp(1 - r / c)) * math.exp(log_p)


def paired_bootstrap_bleu(
    candidates_a: Sequence[Words],
    candidates_b: Sequence[Words],
    references: Sequence[Words | Sequence[Words]],
    *,
    num_samples: int = 1000,
    confidence: float = 0.95,
    max_n: int = 4,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Corpus BLEU of ``b`` minus that of ``a``, with a paired bootstrap interval (Koehn, 2004) (chapter 7).

    Resamples the test sentences with replacement ``num_samples`` times and
    computes both systems' corpus BLEU on each resample (the same sentences
    for both: paired). Returns ``(difference, low, high)``: the difference on
    the whole test set and the central ``confidence`` interval of the
    resampled differences. An interval that excludes 0 says the test set
    supports the ordering; one that includes it says it does not.
    """
    if isinstance(candidates_a, str) or not isinstance(candidates_a, Sequence):
        raise TypeError(f"candidates_a must be a list of word lists, got {type(candidates_a).__name__}")
    if (
        isinstance(candidates_b, str)
        or not isinstance(candidates_b, Sequence)
        or len(candidates_b) != len(candidates_a)
    ):
        raise ValueError("candidates_b must be a list of word lists as long as candidates_a")
    _check_sentences("candidates_a", candidates_a, references)
    _check_sentences("candidates_b", candidates_b, references)
    check_positive_int("max_n", max_n)

    def sentence_stats(candidates: Sequence[Words]) -> np.ndarray:
        rows = []  # per sentence: matches, totals, candidate length, reference length
        for candidate, refs in zip(candidates, references):
            m, t, c, r = bleu_stats([candidate], [refs], max_n)
            rows.append([*m, *t, c, r])
        return np.array(rows, dtype=np.float64).reshape(len(rows), 2 * max_n + 2)

    def score(rows: np.ndarray) -> float:  # corpus BLEU: sum the counts over the sentences first
        s = rows.sum(axis=0)
        return _bleu_from_stats(
            s[:max_n].tolist(), s[max_n : 2 * max_n].tolist(), float(s[2 * max_n]), float(s[2 * max_n + 1])
        )

    return paired_bootstrap(
        sentence_stats(candidates_a),
        sentence_stats(candidates_b),
        score,
        num_samples=num_samples,
        confidence=confidence,
        seed=seed,
    )


_NO_SPACE_BEFORE = (",", ".")


def detokenize(words: Words) -> str:
    """Undo the word split of :func:`~lstm_companion.tokenize_nmt` for sacreBLEU (chapter 7).

    Joins the words with spaces and removes the space the preprocessing put
    before ``,`` and ``.``. The space before ``!`` and ``?`` stays, as French
    typography writes it (the preprocessing keeps French and English alike,
    and sacreBLEU's own tokenizer splits the marks off again either way).
    """
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"words must be a sequence of str tokens, got {type(words).__name__}")
    text = " ".join(words)
    for mark in _NO_SPACE_BEFORE:
        text = text.replace(" " + mark, mark)
    return text


def sacre_bleu(candidates: Sequence[Words], references: Sequence[Words | Sequence[Words]]) -> tuple[float, str]:
    """sacreBLEU's corpus BLEU of tokenised translations, on the 0-1 scale, and its signature (chapter 7).

    Both sides are :func:`detokenize`-d, then scored by ``sacrebleu.BLEU``
    with its defaults (13a tokenizer, exponential smoothing, every sentence's
    references however many). Needs the ``sacrebleu`` package (the
    companion's ``[apps]`` extra); a missing package is an ImportError that
    says how to install it.
    """
    try:
        import sacrebleu  # type: ignore[import-untyped,unused-ignore]
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sacre_bleu needs the sacrebleu package: pip install 'lstm-companion[apps]' (or pip install sacrebleu)"
        ) from err
    for name, value in (("candidates", candidates), ("references", references)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a list of word lists, got {type(value).__name__}")
    if len(candidates) != len(references):
        raise ValueError(
            f"candidates and references must have the same length, got {len(candidates)} and {len(references)}"
        )
    if not candidates:
        raise ValueError("candidates must not be empty")
    _check_sentences("candidates", candidates, references)
    refs = [[detokenize(r) for r in _as_references(refs_i, i)] for i, refs_i in enumerate(references)]
    hyps = [detokenize(c) for c in candidates]
    # Reference stream k holds every sentence's k-th reference, None where a sentence has fewer:
    # sacreBLEU's documented way to give sentences different numbers of references (its type
    # hints say str only).
    streams = cast(
        "list[list[str]]",
        [[r[k] if k < len(r) else None for r in refs] for k in range(max(len(r) for r in refs))],
    )
    metric = sacrebleu.BLEU()
    score = metric.corpus_score(hyps, streams)
    return float(score.score) / 100.0, str(metric.get_signature())
