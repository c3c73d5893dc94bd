"""Tests of chapter 13's forecasting: the packaged series, windows and origins, metrics, baselines, forecasters."""

from __future__ import annotations

import math
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

import lstm_companion as lc

# ------------------------------------------------------------------ loaders


def test_packaged_series_are_byte_identical_to_the_registry_and_the_shared_data(shared_data):
    for name in ("taylor.csv", "airpassengers.csv"):
        packaged = lc.SERIES_DIR / name
        assert lc.file_hash(packaged) == lc.DATA_FILES[name].sha256
        assert lc.file_hash(packaged, "sha1") == lc.DATA_FILES[name].sha1
        assert packaged.read_bytes() == (shared_data / name).read_bytes()
        assert lc.fetch(name, local_dir=shared_data) == shared_data / name  # the registry checks the shared copy


def test_load_taylor_and_airpassengers():
    taylor = lc.load_taylor()
    assert taylor.values.shape == (4032,) and taylor.values.dtype == torch.float64
    assert taylor.periods == (48, 336) and taylor.times[0] == "2000-06-05 00:00"
    assert taylor.times[-1] == "2000-08-27 23:30" and float(taylor.values[0]) == 22262.0
    air = lc.load_airpassengers()
    assert air.values.shape == (144,) and air.periods == (12,)
    assert air.values[:3].tolist() == [112.0, 118.0, 132.0] and air.times[-1] == "1960-12"
    assert float(air.values[-1]) == 432.0


def test_a_damaged_series_file_is_named(tmp_path):
    bad = tmp_path / "taylor.csv"
    shutil.copyfile(lc.SERIES_DIR / "taylor.csv", bad)
    bad.write_bytes(bad.read_bytes().replace(b"22262", b"22263", 1))
    with pytest.raises(lc.ChecksumError, match=r"taylor\.csv has the wrong sha256"):
        lc.load_taylor(bad)
    with pytest.raises(FileNotFoundError, match="airpassengers.csv not found"):
        lc.load_airpassengers(tmp_path / "missing.csv")


# ------------------------------------------------------------------ origins and windows


def test_rolling_origins_never_put_test_data_in_a_training_window():
    split = lc.rolling_origins(200, history=20, horizon=10, val_start=120, test_start=150, step=5)
    assert split.train[0] == 20 and split.train[-1] + 10 == 120  # the last training target ends at val_start
    assert split.val == [120, 125, 130, 135, 140] and split.test == [150, 155, 160, 165, 170, 175, 180, 185, 190]
    test_steps = set(range(150, 200))
    for t in split.train:
        assert not test_steps & set(range(t - 20, t + 10))
    for t in split.val:
        assert t + 10 <= 150  # validation targets end before the test period
    with pytest.raises(ValueError, match="val_start < test_start"):
        lc.rolling_origins(200, history=20, horizon=10, val_start=150, test_start=120, step=5)
    with pytest.raises(ValueError, match="first must be >= history"):
        lc.rolling_origins(200, history=20, horizon=10, val_start=120, test_start=150, step=5, first=3)
    with pytest.raises(TypeError, match="val_start must be an int"):
        lc.rolling_origins(200, history=20, horizon=10, val_start=1.5, test_start=150, step=5)


def test_forecast_windows_hold_no_target_in_their_own_input():
    series = torch.arange(100, dtype=torch.float64)
    w = lc.forecast_windows(series, [10, 50], history=8, horizon=5, scale=2.0)
    assert w.X.shape == (2, 8, 1) and w.Y.shape == (2, 5)
    raw_in = w.X[..., 0].double() * 2 + w.level[:, None]
    assert torch.allclose(raw_in[1], torch.arange(42, 50, dtype=torch.float64))
    assert torch.allclose(w.targets()[1], torch.arange(50, 55, dtype=torch.float64))
    for i in range(2):
        assert not set(raw_in[i].round().tolist()) & set(w.targets()[i].round().tolist())
    assert torch.allclose(w.level, torch.tensor([5.5, 45.5], dtype=torch.float64))
    g = lc.forecast_windows(series, [10], history=8, horizon=5, scale=1.0, offset=3.0)
    assert torch.equal(g.level, torch.tensor([3.0], dtype=torch.float64))
    f = lc.forecast_windows(series, [10], history=8, horizon=5, scale=1.0, features=torch.ones(100, 2))
    assert f.X.shape == (1, 8, 3)


def test_forecast_windows_bad_input():
    series = torch.arange(30, dtype=torch.float64)
    with pytest.raises(ValueError, match="origins must lie in"):
        lc.forecast_windows(series, [28], history=8, horizon=5, scale=1.0)
    with pytest.raises(ValueError, match="origins must lie in"):
        lc.forecast_windows(series, [3], history=8, horizon=5, scale=1.0)
    with pytest.raises(ValueError, match="scale"):
        lc.forecast_windows(series, [10], history=8, horizon=5, scale=0.0)
    with pytest.raises(ValueError, match="features must have one row per step"):
        lc.forecast_windows(series, [10], history=8, horizon=5, scale=1.0, features=torch.ones(5, 2))
    with pytest.raises(TypeError, match="series must be a floating-point"):
        lc.forecast_windows(torch.arange(30), [10], history=8, horizon=5, scale=1.0)
    nan = series.clone()
    nan[5] = math.nan
    with pytest.raises(ValueError, match="NaN"):
        lc.forecast_windows(nan, [10], history=8, horizon=5, scale=1.0)


def test_calendar_features_repeat_with_their_periods():
    f = lc.calendar_features(700, (48, 336))
    assert f.shape == (700, 4)
    assert torch.allclose(f[0], torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64))
    assert torch.allclose(f[:48, :2], f[48:96, :2]) and torch.allclose(f[:336], f[336:672])
    with pytest.raises(TypeError, match="periods must be a non-empty tuple"):
        lc.calendar_features(10, [48])


def test_log_seasonal_difference_round_trip():
    air = lc.load_airpassengers().values
    z = lc.log_seasonal_difference(air, 12)
    assert torch.isnan(z[:12]).all() and math.isclose(float(z[12]), math.log(115 / 112))
    origins = [30, 60]
    exact = torch.stack([z[t : t + 12] for t in origins])
    back = lc.undo_log_seasonal_difference(exact, air, origins, 12)
    assert torch.allclose(back, torch.stack([air[t : t + 12] for t in origins]))
    with pytest.raises(ValueError, match="positive"):
        lc.log_seasonal_difference(torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64), 1)
    with pytest.raises(ValueError, match="horizon"):
        lc.undo_log_seasonal_difference(torch.zeros(1, 13, dtype=torch.float64), air, [30], 12)


# ------------------------------------------------------------------ metrics


def test_metrics_against_hand_worked_values():
    actual = torch.tensor([[10.0, 20.0], [4.0, 0.0]], dtype=torch.float64)
    forecast = torch.tensor([[12.0, 18.0], [4.0, 0.0]], dtype=torch.float64)
    # MASE with scale 4: mean |e| = 2 and 0 -> 0.5 and 0
    assert lc.mase(forecast, actual, 4.0).tolist() == [0.5, 0.0]
    # sMAPE: 200/2 * (2/22 + 2/38) for the first origin; 0 (0/0 counts as 0) for the second
    expected = 100 * (2 / 22 + 2 / 38)
    assert torch.allclose(lc.smape(forecast, actual), torch.tensor([expected, 0.0], dtype=torch.float64))
    assert lc.origin_rmse(forecast, actual).tolist() == [2.0, 0.0]
    # the seasonal naive scale of [1, 2, 4, 7] at period 1: mean of 1, 2, 3
    assert lc.seasonal_naive_scale(torch.tensor([1.0, 2.0, 4.0, 7.0], dtype=torch.float64), 1) == 2.0


@pytest.mark.slow  # importing scikit-learn's metrics takes seconds
def test_metrics_against_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    gen = torch.Generator().manual_seed(0)
    actual = torch.rand(5, 7, generator=gen, dtype=torch.float64) + 1
    forecast = torch.rand(5, 7, generator=gen, dtype=torch.float64) + 1
    for i in range(5):
        rmse = math.sqrt(metrics.mean_squared_error(actual[i].numpy(), forecast[i].numpy()))
        mae = metrics.mean_absolute_error(actual[i].numpy(), forecast[i].numpy())
        assert math.isclose(float(lc.origin_rmse(forecast, actual)[i]), rmse, rel_tol=1e-12)
        assert math.isclose(float(lc.mase(forecast, actual, 0.5)[i]), mae / 0.5, rel_tol=1e-12)


def test_metrics_bad_input():
    a = torch.ones(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="same shape"):
        lc.mase(a, torch.ones(2, 4, dtype=torch.float64), 1.0)
    with pytest.raises(ValueError, match="scale must be a positive finite number"):
        lc.mase(a, a, 0.0)
    with pytest.raises(ValueError, match="forecast must not contain NaN|forecast.*NaN"):
        lc.smape(torch.full((2, 3), math.nan, dtype=torch.float64), a)
    with pytest.raises(ValueError, match="MASE is undefined"):
        lc.seasonal_naive_scale(torch.ones(10, dtype=torch.float64), 2)
    with pytest.raises(ValueError, match="low must not exceed high"):
        lc.interval_coverage(a, a + 1, a)
    with pytest.raises(ValueError, match="level must be a float in"):
        lc.gaussian_interval(a, a, 80)


def test_interval_coverage_and_gaussian_interval():
    actual = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    assert lc.interval_coverage(actual, actual - 0.5, actual + torch.tensor([0.5, 0.0, -0.2, -0.2]).double()) == 0.5
    low, high = lc.gaussian_interval(torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64), 0.95)
    assert math.isclose(float(high), 1.959964, rel_tol=1e-6) and math.isclose(float(low), -1.959964, rel_tol=1e-6)
    stats = pytest.importorskip("scipy.stats")
    _, high80 = lc.gaussian_interval(torch.zeros(1, dtype=torch.float64), torch.full((1,), 2.0).double(), 0.8)
    assert math.isclose(float(high80), 2 * stats.norm.ppf(0.9), rel_tol=1e-9)


def test_attention_by_lag_sums_weights_at_each_lag():
    weights = torch.zeros(1, 2, 4, dtype=torch.float64)
    weights[0, 0, 3] = 1.0  # step 0 on the last input: lag 1
    weights[0, 1, 0] = 1.0  # step 1 on the first input: lag 1 + 4 = 5
    mass = lc.attention_by_lag(weights)
    assert mass.shape == (6,) and mass.tolist() == [0.0, 0.5, 0.0, 0.0, 0.0, 0.5]
    assert math.isclose(float(lc.attention_by_lag(torch.full((3, 2, 4), 0.25)).sum()), 1.0)


def test_paired_bootstrap_on_a_mean():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    diff, low, high = lc.paired_bootstrap(a, a + 1.0, num_samples=100)
    assert (diff, low, high) == (1.0, 1.0, 1.0)  # every resample differs by exactly 1: paired
    diff, low, high = lc.paired_bootstrap(a, a[::-1].copy(), num_samples=500, seed=3)
    assert diff == 0.0 and low < 0 < high
    with pytest.raises(ValueError, match="stats_b must have the shape of stats_a"):
        lc.paired_bootstrap(a, a[:3])
    with pytest.raises(ValueError, match="stats_a must be finite"):
        lc.paired_bootstrap(np.array([math.nan]), np.array([1.0]))
    with pytest.raises(ValueError, match="confidence"):
        lc.paired_bootstrap(a, a, confidence=95)
    with pytest.raises(TypeError, match="score must be a function"):
        lc.paired_bootstrap(a, a, score=3)


# ------------------------------------------------------------------ baselines


def test_naive_and_seasonal_naive():
    y = torch.arange(20, dtype=torch.float64)
    assert lc.naive_forecast(y, [10], 3).tolist() == [[9.0, 9.0, 9.0]]
    # period 4, horizon 6: steps 10..15 take 6, 7, 8, 9, then 6, 7 (one period back from the last seen)
    assert lc.seasonal_naive_forecast(y, [10], 6, 4).tolist() == [[6.0, 7.0, 8.0, 9.0, 6.0, 7.0]]
    with pytest.raises(ValueError, match="origins must be ints in"):
        lc.seasonal_naive_forecast(y, [2], 3, 4)


def test_linear_direct_recovers_a_linear_rule():
    series = torch.sin(torch.arange(300, dtype=torch.float64) * 2 * math.pi / 12)
    w = lc.forecast_windows(series, list(range(24, 280)), history=24, horizon=6, scale=1.0)
    weights = lc.fit_linear_direct(w, ridge=0.0)
    test = lc.forecast_windows(series, [285, 290], history=24, horizon=6, scale=1.0)
    assert torch.allclose(lc.predict_linear_direct(weights, test), test.targets(), atol=1e-8)
    with pytest.raises(TypeError, match="windows must be a ForecastWindows"):
        lc.fit_linear_direct(series)


@pytest.mark.slow
def test_airline_and_holt_winters_match_statsmodels():
    statsmodels = pytest.importorskip("statsmodels")  # noqa: F841
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = lc.load_airpassengers().values
    fc = lc.airline_forecast(y, [120], 12, fit_end=120)
    res = SARIMAX(np.log(y[:120].numpy()), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False)
    pred = res.get_forecast(12)
    assert np.allclose(fc.mean[0].numpy(), np.exp(pred.predicted_mean), rtol=1e-6)
    assert np.allclose(fc.intervals[0.8][1][0].numpy(), np.exp(pred.conf_int(alpha=0.2)[:, 1]), rtol=1e-6)
    hw = lc.holt_winters_forecast(y, [120], 12, fit_end=120)
    direct = ExponentialSmoothing(
        y[:120].numpy(), trend="add", seasonal="mul", seasonal_periods=12, initialization_method="estimated"
    ).fit()
    assert np.allclose(hw[0].numpy(), direct.forecast(12), rtol=1e-6)
    with pytest.raises(ValueError, match="every origin must be >= fit_end"):
        lc.airline_forecast(y, [100], 12, fit_end=120)


@pytest.mark.slow
def test_mstl_forecast_adds_the_repeated_seasons_to_ets():
    pytest.importorskip("statsmodels")
    y = lc.load_taylor().values[:2016]
    fc = lc.mstl_forecast(y, [1344], 48, periods=(48, 336), fit_end=1344, window=1344)
    assert fc.mean.shape == (1, 48) and set(fc.intervals) == {0.8, 0.95}
    low80, high80 = fc.intervals[0.8]
    low95, high95 = fc.intervals[0.95]
    assert bool((low95 <= low80).all() and (low80 <= fc.mean).all() and (fc.mean <= high80).all())
    assert bool((high80 <= high95).all())
    actual = y[1344:1392].double()[None]
    assert float(lc.mase(fc.mean, actual, 1.0).mean()) < float(y.std())  # a forecast in the right units
    with pytest.raises(ValueError, match="two of the longest period"):
        lc.mstl_forecast(y, [1344], 48, periods=(48, 336), fit_end=1344, window=400)


# ------------------------------------------------------------------ forecasters


@pytest.mark.parametrize("attention", [None, "general", "additive"])
def test_forecaster_shapes_and_weights(attention):
    torch.manual_seed(0)
    model = lc.LSTMForecaster(3, 8, 5, attention=attention, gaussian=True)
    mean, std = model(torch.randn(4, 12, 3))
    assert mean.shape == std.shape == (4, 5) and bool((std > 0).all())
    if attention is not None:
        assert model.last_weights.shape == (4, 5, 12)
        assert torch.allclose(model.last_weights.sum(-1), torch.ones(4, 5))
    point = lc.LSTMForecaster(3, 8, 5, attention=attention)
    assert point(torch.randn(2, 12, 3))[1] is None


@pytest.mark.slow
def test_forecaster_gradcheck_float64():
    torch.manual_seed(0)
    model = lc.LSTMForecaster(2, 4, 3, attention="general", gaussian=True).double()
    X = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: model(x)[0], (X,))
    assert torch.autograd.gradcheck(lambda x: model(x)[1], (X,))


def test_gaussian_nll_matches_torch():
    mean, std, target = torch.randn(3, 4), torch.rand(3, 4) + 0.5, torch.randn(3, 4)
    ref = torch.nn.GaussianNLLLoss(full=True)(mean, target, std**2)
    assert torch.allclose(lc.gaussian_nll(mean, std, target), ref, atol=1e-6)


def test_forecaster_bad_input():
    with pytest.raises(ValueError, match="attention must be None"):
        lc.LSTMForecaster(1, 4, 3, attention="cosine")
    model = lc.LSTMForecaster(2, 4, 3)
    with pytest.raises(ValueError, match="X must have shape"):
        model(torch.randn(2, 5, 3))
    with pytest.raises(TypeError, match="dtype"):
        model(torch.randn(2, 5, 2, dtype=torch.float64))


@pytest.mark.slow
def test_train_forecaster_learns_a_sine_and_keeps_the_best_epoch():
    torch.set_num_threads(1)
    series = torch.sin(torch.arange(400, dtype=torch.float64) * 2 * math.pi / 12)
    train = lc.forecast_windows(series, list(range(24, 300, 2)), history=24, horizon=4, scale=0.7)
    val = lc.forecast_windows(series, list(range(300, 390, 6)), history=24, horizon=4, scale=0.7)
    torch.manual_seed(0)
    model = lc.LSTMForecaster(1, 8, 4)
    hist = lc.train_forecaster(model, train, val, lc.FitConfig(num_epochs=8, lr=1e-2, batch_size=16))
    assert hist.val_score[hist.best_epoch] == min(hist.val_score)
    assert hist.val_score[hist.best_epoch] < 0.5 * hist.val_score[0]
    forecast, std = lc.predict_forecaster(model, val)
    assert forecast.shape == (15, 4) and std is None
    with pytest.raises(ValueError, match="inputs and horizon"):
        lc.train_forecaster(lc.LSTMForecaster(1, 8, 5), train, val, lc.FitConfig())
    with pytest.raises(TypeError, match="config must be a FitConfig"):
        lc.train_forecaster(model, train, val, {})


def test_forecast_data_layout():
    data = lc.forecast_data("taylor")
    assert data.split.val == list(range(3024, 3312 + 1, 48)) and len(data.split.test) == 14
    assert data.split.train[-1] + 48 <= data.split.val_start
    assert data.train.X.shape[1:] == (336, 5)
    air = lc.forecast_data("airpassengers", "log_diff")
    assert air.split.test == list(range(120, 133)) and air.mase_scale > 0
    with pytest.raises(ValueError, match="transform must be one of"):
        lc.forecast_data("taylor", "log_diff")
    with pytest.raises(ValueError, match="name must be"):
        lc.forecast_data("sunspots")


def test_forecast_setups_are_checked_when_built():
    with pytest.raises(ValueError, match=r"ForecastSetup\.horizon must be an int > 0, got 0"):
        replace(lc.TAYLOR_SETUP, horizon=0)
    with pytest.raises(TypeError, match=r"ForecastSetup\.fit must be a FitConfig, got dict"):
        replace(lc.AIR_SETUP, fit={"lr": 1e-3})
    record = lc.AIR_SETUP.record()
    assert record["history"] == 24 and record["fit"]["num_epochs"] == 150 and "seed" not in record["fit"]
