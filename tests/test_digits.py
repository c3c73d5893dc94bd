"""Tests of ``lstm_companion.digits`` and ``lc.mean_squared_error`` (chapter 5)."""

from __future__ import annotations

import pytest
import torch
from bad_input import NAN, bad_input_test, case
from torch import nn

import lstm_companion as lc

# ------------------------------------------------------------------ digits


def test_load_digit_rows_split():
    pytest.importorskip("sklearn")
    split = lc.load_digit_rows(0.25, seed=0)
    assert split.X_train.shape[1:] == (8, 8) and split.X_train.dtype == torch.float32
    assert split.X_train.shape[0] + split.X_test.shape[0] == 1797
    assert split.X_test.shape[0] == 450
    assert float(split.X_train.min()) >= 0 and float(split.X_train.max()) <= 1
    assert split.y_train.dtype == torch.long and set(split.y_test.tolist()) == set(range(10))
    # stratified: every digit keeps its share (about a tenth) of the test images
    counts = torch.bincount(split.y_test, minlength=10)
    assert int(counts.min()) >= 40 and int(counts.max()) <= 50
    again = lc.load_digit_rows(0.25, seed=0)
    assert torch.equal(split.X_test, again.X_test)
    other = lc.load_digit_rows(0.25, seed=1)
    assert not torch.equal(split.X_test, other.X_test)


def test_logistic_regression_accuracy():
    pytest.importorskip("sklearn")
    split = lc.load_digit_rows(0.25, seed=0)
    acc = lc.logistic_regression_accuracy(*split)
    assert 0.93 <= acc <= 1.0


# ------------------------------------------------------------------ lc.mean_squared_error


def test_mean_squared_error_matches_by_hand_and_restores_mode():
    torch.manual_seed(0)
    X, y = lc.adding_problem(300, 10, seed=0)
    model = lc.LastStateModel(nn.LSTM(2, 4), 1)
    model.train()
    with torch.no_grad():
        expected = float(((model(X)[:, 0] - y) ** 2).mean())
    assert lc.mean_squared_error(model, X, y, batch_size=64) == pytest.approx(expected, rel=1e-5)
    assert model.training


def test_mean_squared_error_of_the_constant_one_is_about_one_sixth():
    X, y = lc.adding_problem(20_000, 10, seed=0)
    model = lc.LastStateModel(nn.RNN(2, 2), 1)
    with torch.no_grad():
        model.output.weight.zero_()
        model.output.bias.fill_(1.0)  # always predict 1, the mean target
    assert abs(lc.mean_squared_error(model, X, y) - lc.adding_baseline_mse()) < 0.01


# ---- bad input


IMAGES = torch.rand(20, 8, 8, generator=torch.Generator().manual_seed(0))  # 20 random 8x8 images
LABELS = torch.arange(20) % 2  # two classes
ADDING = lc.adding_problem(10, 5, seed=0)


BAD_INPUT = [
    case("digits-test_fraction-nan", lambda: lc.load_digit_rows(NAN), ValueError, r"\btest_fraction\b.*nan"),
    case("digits-load_digit_rows-test_fraction", lambda: lc.load_digit_rows(1.0), ValueError, r"test_fraction"),
    case("digits-load_digit_rows-test_fraction-2", lambda: lc.load_digit_rows(0.0), ValueError, r"test_fraction"),
    case(
        "digits-load_digit_rows-seed",
        lambda: lc.load_digit_rows(0.25, seed="0"),
        TypeError,
        r"seed must be an int, got str '0'",
    ),
    case(
        "digits-logistic_regression_accuracy-X_train",
        lambda: lc.logistic_regression_accuracy(
            IMAGES,
            LABELS[:-1],
            IMAGES,
            LABELS,
        ),
        ValueError,
        r"X_train and its labels",
    ),
    case(
        "digits-logistic_regression_accuracy-X_train-2",
        lambda: lc.logistic_regression_accuracy(
            IMAGES,
            LABELS,
            torch.rand(20, 7, 8),
            LABELS,
        ),
        ValueError,
        r"same number of pixels",
    ),
    case(
        "digits-logistic_regression_accuracy-y_test",
        lambda: lc.logistic_regression_accuracy(
            IMAGES,
            LABELS,
            IMAGES,
            LABELS.float(),
        ),
        TypeError,
        r"y_test must be an integer tensor",
    ),
    case(
        "digits-logistic_regression_accuracy-C",
        lambda: lc.logistic_regression_accuracy(
            IMAGES,
            LABELS,
            IMAGES,
            LABELS,
            C=0.0,
        ),
        ValueError,
        r"C must be a number > 0",
    ),
    case(
        "digits-mean_squared_error-y",
        lambda: lc.mean_squared_error(
            lc.LastStateModel(nn.LSTM(2, 3), 1),
            ADDING[0],
            ADDING[1].long(),
        ),
        TypeError,
        r"y must be a floating-point tensor",
    ),
    case(
        "digits-mean_squared_error-X",
        lambda: lc.mean_squared_error(
            lc.LastStateModel(nn.LSTM(2, 3), 1),
            ADDING[0],
            ADDING[1][:-1],
        ),
        ValueError,
        r"X and y must hold the same number",
    ),
    case(
        "digits-mean_squared_error-batch_size",
        lambda: lc.mean_squared_error(
            lc.LastStateModel(nn.LSTM(2, 3), 1),
            ADDING[0],
            ADDING[1],
            batch_size=0,
        ),
        ValueError,
        r"batch_size must be an int > 0, got 0",
    ),
    case(
        "digits-mean_squared_error-model",
        lambda: lc.mean_squared_error(
            lc.LastStateModel(nn.LSTM(2, 3), 2),
            ADDING[0],
            ADDING[1],
        ),
        ValueError,
        r"model must return \(batch_size, 1\)",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
