"""Tests of ``lstm_companion.digits`` and ``lc.mean_squared_error`` (chapter 5)."""

from __future__ import annotations

import pytest
import torch
from bad_input import bad_input_test, case
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


def test_load_digit_rows_bad_input():
    with pytest.raises(ValueError, match="test_fraction"):
        lc.load_digit_rows(1.0)
    with pytest.raises(ValueError, match="test_fraction"):
        lc.load_digit_rows(0.0)
    with pytest.raises(TypeError, match="seed"):
        lc.load_digit_rows(0.25, seed="0")


def test_logistic_regression_accuracy():
    pytest.importorskip("sklearn")
    split = lc.load_digit_rows(0.25, seed=0)
    acc = lc.logistic_regression_accuracy(*split)
    assert 0.93 <= acc <= 1.0


def test_logistic_regression_bad_input():
    X, y = torch.rand(20, 8, 8), torch.arange(20) % 2
    with pytest.raises(ValueError, match="X_train and its labels"):
        lc.logistic_regression_accuracy(X, y[:-1], X, y)
    with pytest.raises(ValueError, match="same number of pixels"):
        lc.logistic_regression_accuracy(X, y, torch.rand(20, 7, 8), y)
    with pytest.raises(TypeError, match="y_test must be an integer tensor"):
        lc.logistic_regression_accuracy(X, y, X, y.float())
    with pytest.raises(ValueError, match="C must be a number > 0"):
        lc.logistic_regression_accuracy(X, y, X, y, C=0.0)


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


def test_mean_squared_error_bad_input():
    X, y = lc.adding_problem(10, 5, seed=0)
    model = lc.LastStateModel(nn.LSTM(2, 3), 1)
    with pytest.raises(TypeError, match="y must be a floating-point tensor"):
        lc.mean_squared_error(model, X, y.long())
    with pytest.raises(ValueError, match="X and y must hold the same number"):
        lc.mean_squared_error(model, X, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        lc.mean_squared_error(model, X, y, batch_size=0)
    with pytest.raises(ValueError, match=r"model must return \(batch_size, 1\)"):
        lc.mean_squared_error(lc.LastStateModel(nn.LSTM(2, 3), 2), X, y)


# ---- bad input

NAN, INF = float("nan"), float("inf")


BAD_INPUT = [
    case("digits-test_fraction-nan", lambda: lc.load_digit_rows(NAN), ValueError, r"\btest_fraction\b.*nan"),
]

test_bad_input = bad_input_test(BAD_INPUT)
