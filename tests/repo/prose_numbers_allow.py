"""The allow-list of tests/repo/test_prose_numbers.py: numerals in prose that are settings, not results.

Each entry maps a file to ``{phrase: why}``. A phrase is a piece of the
file's prose (after tests/repo/prose_numbers.py has stripped glue, math and code)
that holds a numeral which is a setting of the experiment (a size, a split
fraction, a seed), a definition or a fact about a paper, not a measured
result. Every phrase must still occur in its file (the test fails on a stale
entry), so the list stays short and true.
"""

from __future__ import annotations

# One entry per file; edit only your file's entry.
ALLOWED: dict[str, dict[str, str]] = {
    "notebooks/01_rnn.ipynb": {
        "(26 letters": "the English alphabet",
        "At temperature 0.5": "a sampling setting of the cell that generates the text",
    },
    "notebooks/02_vanishing_gradients.ipynb": {},
    "notebooks/03_lstm_equations.ipynb": {},
    "notebooks/04_lstm_scratch.ipynb": {
        "temperature 0.5": "a sampling setting of the cell that generates the text",
        "distance 50": "a setting of the agreement task (the distances run are 10, 20, 50, 100)",
        "distances of 50": "a setting of the agreement task",
        "50 steps": "the agreement task's distance 50, a setting",
        "at 20 (": "the agreement task's distance 20, a setting",
        "then at 50:": "the agreement task's distance 50, a setting",
        "learning rate 0.003": "a training setting of the agreement task",
        "300 updates": "a training setting of the agreement task",
        "12 more, 20 in all": "arithmetic of the exercise's solution (8 + 12 = 20)",
    },
    "notebooks/05_nn_lstm.ipynb": {
        "MNIST's 28 × 28 digits": "the size of MNIST's images, a fact about a data set the chapter does not use",
    },
    "notebooks/06_bilstm.ipynb": {},
    "notebooks/07_attention.ipynb": {
        "words or of 30": "an illustration of sentence lengths, not a measurement",
        "central 95 %": "the definition of the interval the bootstrap reports",
        "over 200 random queries": "a setting of the exercise's check",
        "the first 20 held-out sentences": "a setting of the exercise's check",
    },
    "notebooks/08_variants.ipynb": {
        "about 5,400 runs in all": "Greff et al.'s count of their runs, from the paper",
        "(200 random-search trials": "Greff et al.'s search budget, from the paper",
        "about 15 % more units": "sqrt(4/3) = 1.15, derived in the solution's previous line",
        "2,000, 4,000 and 8,000 characters": "the stream lengths the exercise asks for",
        "28 pairs": "the number of pairs of eight models, C(8, 2)",
    },
    "notebooks/09_what_cells_learn.ipynb": {
        "0.5 when the unit cannot tell": "a definition: the AUC of a unit that cannot tell two positions apart",
    },
    "notebooks/10_fast_lstm.ipynb": {},
    "notebooks/11_word_lm.ipynb": {
        "test perplexities (82.7 for": "a published result of Zaremba et al. (2014), a fact about the paper",
        "57.3 for the AWD-LSTM": "a published result of Merity et al. (2018), a fact about the paper",
        "at rate 0.3, per step or locked": "a setting of the table's rows (lc.WORD_LM_REGULARISERS)",
        "weight drop at 0.3": "a setting of the table's rows",
        "embedding dropout at 0.1": "a setting of the table's rows",
        "rows of 35 tokens": "the truncation length, a setting of the exercise's minibatch",
        "400 draws": "a setting of the exercise's check",
        "= 0.1, 0.3, 0.5, 0.75 and 0.9": "the discounts the exercise scans, settings",
    },
    "book/intro.md": {},
    "notebooks/14_xlstm.ipynb": {
        "up to 1.3 billion parameters": "a fact about the xLSTM paper's models, cited, not reproduced",
        "300 billion tokens": "a fact about the xLSTM paper's training data, cited, not reproduced",
        "175 times faster": "Feng et al. (2024)'s GPU figure, cited, not reproduced",
        "to 8,192, on one thread": "the lengths bench/scan_speed.py sweeps, a setting",
        "2,048 on this machine": "the length of the live timing, a setting",
        "lengths to 40, tested": "the parity task's training lengths, a setting",
        "of length 40 and": "the parity task's test lengths, a setting",
        "At length 40, the longest training": "the parity task's longest training length, a setting",
        "above 90% with every seed": "the threshold that defines 'solved' in the sentence, a setting",
        "below 65% (chance is 50%)": "the threshold that defines 'failed', and chance for two classes",
        "widened by 0.05": "the tolerance of the live check, stated with it",
    },
    "book/notation.md": {},
    "book/running.md": {
        "48 ablation runs": "checked by tests/repo/test_stated_numbers.py (against results/ablations.json)",
    },
}
