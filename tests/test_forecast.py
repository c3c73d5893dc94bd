"""Tests of ``lstm_companion.forecast`` (chapter 5): sunspots, windows, autoregression, errors."""

from __future__ import annotations

import pytest
import torch
from bad_input import INF, NAN, bad_input_test, case

import lstm_companion as lc

# ------------------------------------------------------------------ data


def test_load_sunspots():
    pytest.importorskip("statsmodels")
    years, values = lc.load_sunspots()
    assert years.shape == values.shape == (309,)
    assert int(years[0]) == 1700 and int(years[-1]) == 2008
    assert torch.equal(years, torch.arange(1700, 2009))
    assert values.dtype == torch.float64 and float(values.min()) >= 0
    assert 40 < float(values.mean()) < 60  # the long-run mean of this series is about 50


# ------------------------------------------------------------------ standardizer


def test_standardizer_uses_the_training_statistics():
    train = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    s = lc.Standardizer.fit(train)
    assert s.mean == 2.5 and abs(s.std - float(train.std(correction=0))) < 1e-12
    z = s.transform(torch.tensor([2.5, 100.0], dtype=torch.float64))
    assert z[0] == 0 and z[1] > 50  # later values are scaled with the training statistics, not their own
    x = torch.randn(10, dtype=torch.float64)
    assert torch.allclose(s.inverse(s.transform(x)), x)


# ------------------------------------------------------------------ windows


def test_sliding_windows_by_hand():
    series = torch.arange(10, dtype=torch.float64)
    X, y = lc.sliding_windows(series, 3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    assert X[0, :, 0].tolist() == [0, 1, 2] and y[0] == 3
    assert X[-1, :, 0].tolist() == [6, 7, 8] and y[-1] == 9
    X, y = lc.sliding_windows(series, 3, start=8)  # a held-out segment: targets 8 and 9
    assert y.tolist() == [8, 9] and X[0, :, 0].tolist() == [5, 6, 7]
    X, y = lc.sliding_windows(series, 2, stop=5)
    assert y.tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(window=0), ValueError, "window"),
        (dict(window=3, start=2), ValueError, "start and stop"),
        (dict(window=3, start=5, stop=5), ValueError, "start and stop"),
        (dict(window=3, stop=11), ValueError, "start and stop"),
        (dict(window=3, start=4.0), TypeError, "start must be an int"),
    ],
)
def test_sliding_windows_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lc.sliding_windows(torch.arange(10, dtype=torch.float64), **kwargs)


# ------------------------------------------------------------------ autoregression


def test_autoregression_recovers_known_coefficients():
    gen = torch.Generator().manual_seed(0)
    n = 2000
    x = torch.zeros(n, dtype=torch.float64)
    noise = torch.randn(n, generator=gen, dtype=torch.float64) * 0.1
    for t in range(2, n):
        x[t] = 0.3 + 1.2 * x[t - 1] - 0.5 * x[t - 2] + noise[t]
    X, y = lc.sliding_windows(x, 2, start=100)
    coef = lc.fit_autoregression(X, y)  # a_1, a_2, c
    assert torch.allclose(coef, torch.tensor([1.2, -0.5, 0.3], dtype=torch.float64), atol=0.05)
    pred = lc.predict_autoregression(coef, X)
    assert lc.rmse(pred, y) < 0.11  # about the noise level
    assert torch.allclose(lc.predict_autoregression(coef, X[..., 0]), pred)  # 2-D windows work too


# ------------------------------------------------------------------ errors


def test_rmse_and_mae():
    pred = torch.tensor([1.0, 2.0, 3.0])
    target = torch.tensor([1.0, 4.0, 0.0])
    assert lc.mae(pred, target) == pytest.approx(5 / 3)
    assert lc.rmse(pred, target) == pytest.approx((13 / 3) ** 0.5)
    with pytest.raises(ValueError, match="pred and target must have the same shape"):
        lc.rmse(pred, target[:2])
    with pytest.raises(TypeError, match="target must be a floating-point tensor"):
        lc.mae(pred, torch.tensor([1, 2, 3]))


# ---- bad input


BAD_INPUT = [
    case(
        "sunspots-window-0",
        lambda: lc.sliding_windows(torch.zeros(9, dtype=torch.float64), 0),
        ValueError,
        r"\bwindow\b",
    ),
    case(
        "standardizer-fit-nan",
        lambda: lc.Standardizer.fit(torch.tensor([1.0, NAN, 2.0])),
        ValueError,
        r"\btrain\b.*finite.*1 NaN",
    ),
    case("standardizer-std-0", lambda: lc.Standardizer(0.0, 0.0), ValueError, r"\bstd\b.*> 0"),
    case("standardizer-mean-inf", lambda: lc.Standardizer(INF, 1.0), ValueError, r"\bmean\b.*inf"),
    case(
        "standardizer-transform-None", lambda: lc.Standardizer(0.0, 1.0).transform(None), TypeError, r"\bx\b.*NoneType"
    ),
    case("forecast-fit-train", lambda: lc.Standardizer.fit(torch.ones(5)), ValueError, r"train must not be constant"),
    case(
        "forecast-fit-train-2",
        lambda: lc.Standardizer.fit(torch.ones(5, 1)),
        ValueError,
        r"train must have 1 dimensions",
    ),
    case(
        "forecast-fit-train-3",
        lambda: lc.Standardizer.fit(torch.arange(5)),
        TypeError,
        r"train must be a floating-point tensor",
    ),
    case(
        "forecast-sliding_windows-series",
        lambda: lc.sliding_windows(torch.zeros(10, 1), 3),
        ValueError,
        r"series must have 1 dimensions",
    ),
    case(
        "forecast-sliding_windows-series-2",
        lambda: lc.sliding_windows(torch.arange(10), 3),
        TypeError,
        r"series must be a floating-point tensor",
    ),
    case(
        "forecast-fit_autoregression-X",
        lambda: lc.fit_autoregression(
            lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[0],
            lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[1][:-1],
        ),
        ValueError,
        r"X and y must hold the same number of windows",
    ),
    case(
        "forecast-fit_autoregression-X-2",
        lambda: lc.fit_autoregression(
            lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[0][:3],
            lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[1][:3],
        ),
        ValueError,
        r"at least p \+ 1 = 4 windows",
    ),
    case(
        "forecast-fit_autoregression-X-3",
        lambda: lc.fit_autoregression(torch.zeros(10, 3, 2), torch.zeros(10)),
        ValueError,
        r"X must have one feature per step",
    ),
    case(
        "forecast-predict_autoregression-X",
        lambda: lc.predict_autoregression(
            lc.fit_autoregression(
                lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[0],
                lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[1],
            ),
            torch.zeros(4, 5),
        ),
        ValueError,
        r"windows of length p = 3",
    ),
    case(
        "forecast-predict_autoregression-X-2",
        lambda: lc.predict_autoregression(
            lc.fit_autoregression(
                lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[0],
                lc.sliding_windows(torch.randn(50, dtype=torch.float64), 3)[1],
            ),
            torch.zeros(4),
        ),
        ValueError,
        r"X must have shape",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
