"""Corpus BLEU (Papineni et al., 2002), written out (chapter 7).

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
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .._checks import check_positive_int
from ..data.tatoeba import TranslationData
from ..models.seq2seq import Seq2Seq, translate

__all__ = ["evaluate_bleu", "Sentence", "ngrams", "bleu_stats", "corpus_bleu", "sentence_bleu", "bleu_by_length"]


def evaluate_bleu(
    model: Seq2Seq, data: TranslationData, *, max_steps: int | None = None, batch_size: int = 500
) -> tuple[float, list[list[str]]]:
    """Corpus BLEU-4 of greedy translations of the held-out sentences, and the translations (chapter 7).

    ``max_steps`` defaults to ``2 * max_words + 2``.
    """
    steps = max_steps or 2 * data.config.max_words + 2
    hyps = [
        t.words
        for t in translate(model, data.test_src, data.src_vocab, data.tgt_vocab, max_steps=steps, batch_size=batch_size)
    ]
    return corpus_bleu(hyps, data.test_refs), hyps


Sentence = Sequence[str]


def ngrams(tokens: Sentence, n: int) -> Counter[tuple[str, ...]]:
    """Counts of the ``n``-grams of ``tokens`` (chapter 7)."""
    check_positive_int("n", n)
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _as_references(refs: object, i: int) -> list[list[str]]:
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise TypeError(f"references[{i}] must be a word list or a list of word lists, got {type(refs).__name__}")
    if len(refs) == 0:
        raise ValueError(f"references[{i}] is empty: every candidate needs at least one reference")
    if all(isinstance(w, str) for w in refs):
        return [list(refs)]  # type: ignore[arg-type]
    out = []
    for j, r in enumerate(refs):
        if isinstance(r, str) or not isinstance(r, Sequence) or not all(isinstance(w, str) for w in r):
            raise TypeError(f"references[{i}][{j}] must be a list of words (str), got {r!r}")
        out.append(list(r))
    return out


def bleu_stats(
    candidates: Sequence[Sentence], references: Sequence[Sentence | Sequence[Sentence]], max_n: int = 4
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


def corpus_bleu(
    candidates: Sequence[Sentence], references: Sequence[Sentence | Sequence[Sentence]], max_n: int = 4
) -> float:
    """Corpus BLEU-``max_n`` in ``[0, 1]`` with uniform weights and the brevity penalty (chapter 7)."""
    matches, totals, c, r = bleu_stats(candidates, references, max_n)
    if c == 0 or any(m == 0 for m in matches):
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(log_p)


def sentence_bleu(candidate: Sentence, references: Sentence | Sequence[Sentence], max_n: int = 4) -> float:
    """BLEU of one sentence: :func:`corpus_bleu` of a one-sentence corpus (chapter 7)."""
    return corpus_bleu([candidate], [references], max_n)


def bleu_by_length(
    candidates: Sequence[Sentence],
    references: Sequence[Sentence | Sequence[Sentence]],
    source_lengths: Sequence[int],
    bins: Sequence[tuple[int, int]],
    max_n: int = 4,
) -> list[float]:
    """Corpus BLEU of the sentences whose source length lies in each ``(low, high)`` bin, both ends included (chapter 7).

    A bin that holds no sentence is an error.
    """
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
