"""Corpus BLEU (chapter 7): a hand-worked example and the rules of Papineni et al. (2002)."""

from __future__ import annotations

import importlib.util
import math

import pytest
from bad_input import bad_input_test, case, seq2seq, translation_data

import lstm_companion as lc
from lstm_companion import bleu_by_length, bleu_stats, corpus_bleu, ngrams, sentence_bleu


def test_hand_worked_corpus_bleu() -> None:
    # Sentence 1. candidate "the cat sat on the mat" (6 words), reference "the cat sat on a mat" (6 words).
    #   1-grams: the x2 (reference has one "the": clipped to 1), cat, sat, on, mat  -> 5 of 6 match
    #   2-grams: the cat, cat sat, sat on | on the, the mat                          -> 3 of 5
    #   3-grams: the cat sat, cat sat on | sat on the, on the mat                    -> 2 of 4
    #   4-grams: the cat sat on | cat sat on the, sat on the mat                     -> 1 of 3
    # Sentence 2. candidate "il pleut" (2 words), references "il pleut ." (3) and
    #   "il pleut beaucoup aujourd'hui" (4): closest reference length is 3.
    #   1-grams 2 of 2, 2-grams 1 of 1, no 3- or 4-grams (0 of 0).
    # Corpus: p1 = 7/8, p2 = 4/6, p3 = 2/4, p4 = 1/3; c = 6 + 2 = 8, r = 6 + 3 = 9.
    # BP = exp(1 - 9/8) = exp(-0.125) = 0.88250 (the candidates are shorter than the references).
    # BLEU = BP * (7/8 * 2/3 * 1/2 * 1/3) ** (1/4) = 0.88250 * (7/72) ** 0.25 = 0.88250 * 0.55840 = 0.49278.
    candidates = [["the", "cat", "sat", "on", "the", "mat"], ["il", "pleut"]]
    references = [
        [["the", "cat", "sat", "on", "a", "mat"]],
        [["il", "pleut", "."], ["il", "pleut", "beaucoup", "aujourd'hui"]],
    ]
    matches, totals, c, r = bleu_stats(candidates, references)
    assert matches == [7, 4, 2, 1] and totals == [8, 6, 4, 3] and (c, r) == (8, 9)
    assert corpus_bleu(candidates, references) == pytest.approx(math.exp(-0.125) * (7 / 72) ** 0.25, rel=1e-12)
    assert corpus_bleu(candidates, references) == pytest.approx(0.49278, abs=1e-5)


def test_single_reference_may_be_a_plain_word_list() -> None:
    cand = ["a", "b", "c", "d", "e"]
    assert corpus_bleu([cand], [cand]) == pytest.approx(1.0)
    assert corpus_bleu([cand], [[cand]]) == corpus_bleu([cand], [cand])
    assert sentence_bleu(cand, cand) == pytest.approx(1.0)


def test_clipping_uses_the_reference_where_an_ngram_is_most_frequent() -> None:
    # "the the the the": reference 1 has "the" twice, reference 2 once -> 2 of 4 unigrams count.
    m, t, _, _ = bleu_stats([["the"] * 4], [[["the", "cat", "the", "mat"], ["the", "dog"]]], max_n=1)
    assert (m, t) == ([2], [4])


def test_brevity_penalty_and_closest_length_tie() -> None:
    # Candidate of 4 words, references of 3 and 5 words: equally close, the shorter (3) is used -> no penalty.
    _, _, c, r = bleu_stats([["a", "b", "c", "d"]], [[["a", "b", "c"], ["a", "b", "c", "d", "e"]]])
    assert (c, r) == (4, 3)
    # A candidate that is a correct prefix is penalised only by BP: exp(1 - 6/4) for 4 of 6 words.
    ref = ["a", "b", "c", "d", "e", "f"]
    assert corpus_bleu([ref[:4]], [ref]) == pytest.approx(math.exp(1 - 6 / 4))


def test_no_matching_4gram_gives_zero_and_empty_candidate_is_allowed() -> None:
    assert corpus_bleu([["a", "b", "c"]], [["a", "b", "c"]]) == 0.0  # no 4-gram at all
    assert corpus_bleu([["a", "b", "c"]], [["a", "b", "c"]], max_n=3) == pytest.approx(1.0)
    assert corpus_bleu([[]], [["a", "b"]]) == 0.0
    assert ngrams(["a", "b", "a", "b"], 2) == {("a", "b"): 2, ("b", "a"): 1}


def test_bleu_by_length() -> None:
    good, bad = ["a", "b", "c", "d"], ["w", "x", "y", "z"]
    scores = bleu_by_length([good, bad, good], [good, good, good], [2, 5, 6], [(1, 3), (4, 6)])
    assert scores[0] == pytest.approx(1.0)
    assert scores[1] == pytest.approx(corpus_bleu([bad, good], [good, good]))
    with pytest.raises(ValueError, match=r"no sentence has a source length in \[7, 9\]"):
        bleu_by_length([good], [good], [2], [(7, 9)])
    with pytest.raises(ValueError, match="source_lengths must hold one length per candidate"):
        bleu_by_length([good], [good], [2, 3], [(1, 3)])


def test_paired_bootstrap_bleu():
    import lstm_companion as lc

    refs = [["le", "chat", "est", "noir", "ce", "soir"], ["il", "pleut", "sur", "la", "ville", "grise"]] * 40
    good = [list(r) for r in refs]
    half = [list(r) if i % 2 else r[:3] + ["x", "y", "z"] for i, r in enumerate(refs)]
    diff, low, high = lc.paired_bootstrap_bleu(half, good, refs, num_samples=200)
    assert diff == pytest.approx(corpus_bleu(good, refs) - corpus_bleu(half, refs), abs=1e-12)
    assert 0 < low <= diff <= high  # b is better on every resample
    assert lc.paired_bootstrap_bleu(good, good, refs, num_samples=50) == (0.0, 0.0, 0.0)
    again = lc.paired_bootstrap_bleu(half, good, refs, num_samples=200)
    assert again == (diff, low, high)  # seeded
    with pytest.raises(ValueError, match="candidates_b must be a list of word lists as long as candidates_a"):
        lc.paired_bootstrap_bleu(half, good[:-1], refs)
    with pytest.raises(ValueError, match="confidence must be a float in"):
        lc.paired_bootstrap_bleu(half, good, refs, confidence=1.5)
    with pytest.raises(ValueError, match="num_samples must be an int > 0"):
        lc.paired_bootstrap_bleu(half, good, refs, num_samples=0)


def test_detokenize_undoes_the_word_split() -> None:
    from lstm_companion import detokenize

    assert detokenize(["bonjour", ",", "le", "monde", "."]) == "bonjour, le monde."
    assert detokenize(["qu'est-ce", "que", "c'est", "?"]) == "qu'est-ce que c'est ?"  # French spacing kept
    assert detokenize([]) == ""
    with pytest.raises(TypeError, match="words must be a sequence of str tokens"):
        detokenize("le chat")


def test_sacre_bleu_is_the_books_bleu_on_13a_tokens() -> None:
    """sacreBLEU and corpus_bleu differ only by tokenization (and smoothing, which a corpus rarely needs)."""
    pytest.importorskip("sacrebleu")
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    from lstm_companion import detokenize, sacre_bleu

    candidates = [
        "qu'est-ce que tu attendais ?".split(),
        "je ne sais pas quoi dire .".split(),
        "il fait très <unk> aujourd'hui .".split(),
        "elle est partie , hier .".split(),
    ]
    references = [
        ["qu'est-ce que tu attendais ?".split(), "à quoi t'attendais-tu ?".split()],
        ["je ne sais pas quoi dire .".split()],
        ["il fait très froid aujourd'hui .".split(), "il fait froid aujourd'hui .".split()],
        ["elle est partie hier .".split()],
    ]
    score, signature = sacre_bleu(candidates, references)
    assert "nrefs:var" in signature and "tok:13a" in signature
    tok = Tokenizer13a()
    retok = lambda words: tok(detokenize(words)).split()
    ours = corpus_bleu([retok(c) for c in candidates], [[retok(r) for r in refs] for refs in references])
    assert abs(score - ours) < 1e-9, (score, ours)
    # on the book's own tokens the score differs: 13a splits "<unk>" into "< unk >"
    assert retok(["<unk>"]) == ["<", "unk", ">"]
    assert corpus_bleu(candidates, references) - score > 1e-3


# ---- bad input


REFS = [["a", "b", "c", "d"]] * 3  # three identical reference sentences
needs_sacrebleu = pytest.mark.skipif(importlib.util.find_spec("sacrebleu") is None, reason="needs sacrebleu")


BAD_INPUT = [
    case("ngrams-None", lambda: lc.ngrams(None, 2), TypeError, r"\btokens\b.*NoneType"),
    case(
        "bleu-references-count",
        lambda: lc.corpus_bleu([["a"]], []),
        ValueError,
        r"\breferences\b.*one entry per candidate",
    ),
    case("bleu-max_n-0", lambda: lc.bleu_stats([["a"]], [["a"]], max_n=0), ValueError, r"\bmax_n\b"),
    case(
        "bleu_by_length-bin-reversed",
        lambda: lc.bleu_by_length([["a"]], [["a"]], [1], [(3, 1)]),
        ValueError,
        r"bins\[0\] must have low <= high",
    ),
    case(
        "bleu_by_length-bin-int", lambda: lc.bleu_by_length([["a"]], [["a"]], [1], [3]), TypeError, r"bins\[0\].*pair"
    ),
    case(
        "evaluate_bleu-max_steps-0",
        lambda: lc.evaluate_bleu(seq2seq(), translation_data(), max_steps=0),
        ValueError,
        r"\bmax_steps\b.*0",
    ),
    case("evaluate_bleu-data-None", lambda: lc.evaluate_bleu(seq2seq(), None), TypeError, r"\bdata\b.*NoneType"),
    case(
        "corpus_bleu-references-count",
        lambda: corpus_bleu([["a"]], [["a"], ["b"]]),
        ValueError,
        r"references.*one entry per candidate",
    ),
    case("corpus_bleu-empty", lambda: corpus_bleu([], []), ValueError, r"candidates must be a non-empty"),
    case(
        "corpus_bleu-candidate-str",
        lambda: corpus_bleu(["a b"], [["a", "b"]]),
        TypeError,
        r"candidates\[0\] must be a list of words",
    ),
    case("corpus_bleu-reference-empty", lambda: corpus_bleu([["a"]], [[]]), ValueError, r"references\[0\] is empty"),
    case(
        "corpus_bleu-reference-str",
        lambda: corpus_bleu([["a"]], [[["a"], "b"]]),
        TypeError,
        r"references\[0\]\[1\] must be a list of words",
    ),
    case(
        "corpus_bleu-max_n-0", lambda: corpus_bleu([["a"]], [["a"]], max_n=0), ValueError, r"max_n must be an int > 0"
    ),
    case(
        "paired_bootstrap-candidates_a-None",
        lambda: lc.paired_bootstrap_bleu(None, REFS, REFS),
        TypeError,
        r"candidates_a must be a list of word lists, got NoneType",
    ),
    case(
        "paired_bootstrap-references-short",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS[:2]),
        ValueError,
        r"references must hold one entry per candidate \(3\), got 2",
    ),
    case(
        "paired_bootstrap-candidate-str",
        lambda: lc.paired_bootstrap_bleu(["a b"] * 3, REFS, REFS),
        TypeError,
        r"candidates_a\[0\] must be a list of words \(str\), got 'a b'",
    ),
    case(
        "paired_bootstrap-candidates_b-str",
        lambda: lc.paired_bootstrap_bleu(REFS, [["a"], ["b"], "c"], REFS),
        TypeError,
        r"candidates_b\[2\] must be a list of words",
    ),
    case(
        "paired_bootstrap-empty",
        lambda: lc.paired_bootstrap_bleu([], [], []),
        ValueError,
        r"candidates_a must be a non-empty list of word lists",
    ),
    case(
        "paired_bootstrap-confidence-nan",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS, confidence=math.nan),
        ValueError,
        r"confidence must be a float in \(0, 1\), got nan",
    ),
    case(
        "paired_bootstrap-confidence-0",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS, confidence=0.0),
        ValueError,
        r"confidence must be a float in \(0, 1\), got 0\.0",
    ),
    case(
        "paired_bootstrap-seed-float",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS, seed=0.5),
        TypeError,
        r"seed must be an int, got float",
    ),
    case(
        "paired_bootstrap-max_n-0",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS, max_n=0),
        ValueError,
        r"max_n must be an int > 0, got 0",
    ),
    case(
        "paired_bootstrap-num_samples-float",
        lambda: lc.paired_bootstrap_bleu(REFS, REFS, REFS, num_samples=10.0),
        TypeError,
        r"num_samples must be an int > 0, got float",
    ),
    case(
        "sacre_bleu-candidates-None",
        lambda: lc.sacre_bleu(None, REFS),
        TypeError,
        r"candidates must be a list of word lists, got NoneType",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-references-None",
        lambda: lc.sacre_bleu(REFS, None),
        TypeError,
        r"references must be a list of word lists, got NoneType",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-candidate-str",
        lambda: lc.sacre_bleu(["a b"], REFS[:1]),
        TypeError,
        r"candidates\[0\] must be a list of words \(str\), got 'a b'",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-count",
        lambda: lc.sacre_bleu(REFS, REFS[:2]),
        ValueError,
        r"candidates and references must have the same length, got 3 and 2",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-empty",
        lambda: lc.sacre_bleu([], []),
        ValueError,
        r"candidates must not be empty",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-reference-empty",
        lambda: lc.sacre_bleu([["a"]], [[]]),
        ValueError,
        r"references\[0\] is empty",
        marks=needs_sacrebleu,
    ),
    case(
        "sacre_bleu-references-missing",
        lambda: lc.sacre_bleu([["a"]], []),
        ValueError,
        r"candidates and references must have the same length, got 1 and 0",
        marks=needs_sacrebleu,
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
