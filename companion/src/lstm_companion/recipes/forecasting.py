"""Chapter 13's forecasting recipe: the two series laid out for rolling-origin evaluation, and cached LSTMs.

- :data:`TAYLOR_SETUP` and :data:`AIR_SETUP`: frozen
  :class:`ForecastSetup` values, the windows, horizons, periods and origins of
  the two series and the forecasters' size and
  :class:`~lstm_companion.FitConfig`, shared with ``scripts/forecasting.py`` (whose
  several-seed table is ``results/forecasting.json``);
- :func:`forecast_data`: a :class:`ForecastData` for ``"taylor"`` or
  ``"airpassengers"`` (values normalised per window or globally, or
  ``transform="log_diff"``: logarithms differenced at lag 12): the series, the origins, the windows of the
  training, validation and test origins and the MASE scale;
- :data:`FORECASTERS` and :func:`cached_forecaster`: an
  :class:`~lstm_companion.LSTMForecaster` of each kind (``"lstm"``,
  ``"attention"``, ``"gaussian"``) seeded, trained with
  :func:`~lstm_companion.train_forecaster` and cached by
  :func:`~lstm_companion.load_or_train`;
- :func:`forecast_targets`: the actual values at a set of origins;
  :func:`lstm_forecasts`: a trained forecaster's forecasts in the series'
  units; :func:`forecaster_scores`: its test scores as the script records
  them.

The loaders and windows are in :mod:`lstm_companion.data.series`, the model
in :mod:`lstm_companion.models.forecaster`, the metrics and baselines in
:mod:`lstm_companion.measure.forecasting`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from .._checks import check_seed
from ..data.series import (
    ForecastSplit,
    ForecastWindows,
    TimeSeries,
    calendar_features,
    forecast_windows,
    load_airpassengers,
    load_taylor,
    log_seasonal_difference,
    rolling_origins,
    undo_log_seasonal_difference,
)
from ..measure.forecasting import (
    attention_by_lag,
    gaussian_interval,
    interval_coverage,
    mase,
    seasonal_naive_scale,
    smape,
)
from ..models.forecaster import LSTMForecaster
from ..runtime import get_device, model_device, seed_everything
from ..training.cache import load_or_train
from ..training.config import FitConfig, TrainingRecipe
from ..training.forecasting import predict_forecaster, train_forecaster
from ..training.loop import History

__all__ = [
    "ForecastSetup",
    "TAYLOR_SETUP",
    "AIR_SETUP",
    "FORECASTERS",
    "TRANSFORMS",
    "ForecastData",
    "forecast_data",
    "forecast_targets",
    "cached_forecaster",
    "lstm_forecasts",
    "forecaster_scores",
]


@dataclass(frozen=True)
class ForecastSetup(TrainingRecipe):
    """One series' rolling-origin layout, the forecasters' size and their training (chapter 13)."""

    PER_RUN = ("seed",)  # cached_forecaster sets each run's seed

    history: int  # steps of history each forecast reads
    horizon: int  # steps forecast at once
    val_start: int  # the first target step of the validation origins
    test_start: int  # the first target step of the test origins
    step: int  # steps between validation and test origins
    train_step: int  # every how many of those steps a training origin
    first: int  # the first origin
    mase_period: int  # the seasonal naive forecast's lag in MASE's scale
    num_hiddens: int  # the forecaster's LSTM units
    fit: FitConfig  # Adam, the best validation epoch kept; the seed is per run


#: Taylor's demand: a week of history (336 half-hours) forecasts the next day (48); weeks 1-9 fit
#: (every 4th origin), week 10 validates and weeks 11-12 test, one origin per day at midnight.
TAYLOR_SETUP = ForecastSetup(
    history=336,
    horizon=48,
    val_start=9 * 336,
    test_start=10 * 336,
    step=48,
    train_step=4,
    first=336,
    mase_period=48,
    num_hiddens=32,
    fit=FitConfig(num_epochs=12, batch_size=32, lr=5e-3, optimizer="adam"),
)

#: The airline passengers: two years of history forecast the next year; targets up to 1956
#: fit, origins from January 1957 to January 1958 validate (targets up to the end of 1958)
#: and origins from 1959 test (every month an origin, for as long as the whole year ahead
#: is known).
AIR_SETUP = ForecastSetup(
    history=24,
    horizon=12,
    val_start=96,
    test_start=120,
    step=1,
    train_step=1,
    first=36,
    mase_period=12,
    num_hiddens=16,
    fit=FitConfig(num_epochs=150, batch_size=16, lr=3e-3, optimizer="adam"),
)

#: The LSTM forecasters of chapter 13: keyword arguments of LSTMForecaster.
FORECASTERS: dict[str, dict[str, Any]] = {
    "lstm": {"attention": None, "gaussian": False},
    "attention": {"attention": "general", "gaussian": False},
    "gaussian": {"attention": None, "gaussian": True},
}


@dataclass(frozen=True)
class ForecastData:
    """A series laid out for rolling-origin evaluation (chapter 13)."""

    name: str
    transform: str  # "window", "global" or "log_diff"
    series: TimeSeries
    split: ForecastSplit
    modelled: torch.Tensor  # the series the windows are cut from (the values, or their log differences)
    features: torch.Tensor | None  # calendar features appended to the inputs, or None
    train: ForecastWindows
    val: ForecastWindows
    test: ForecastWindows
    mase_scale: float  # mean |y[t] - y[t - mase_period]| over the values before val_start
    setup: ForecastSetup


TRANSFORMS = ("window", "global", "log_diff")


def forecast_data(name: str, transform: str = "window") -> ForecastData:
    """The windows of ``"taylor"`` or ``"airpassengers"`` for fitting, validation and test (chapter 13).

    Windows are divided by the standard deviation of the modelled series
    before the validation period, after subtracting: with
    ``transform="window"`` each window's own mean; with ``"global"`` the mean
    of the values before the validation period (one standardisation for all,
    as chapter 5 does); with ``"log_diff"`` (the airline series) the series
    modelled is ``log y[t] - log y[t - 12]``, each window minus its mean.
    Taylor's inputs carry the calendar (half-hour of the day, day of the week).
    """
    if name not in ("taylor", "airpassengers"):
        raise ValueError(f"name must be 'taylor' or 'airpassengers', got {name!r}")
    if transform not in TRANSFORMS or (name == "taylor" and transform == "log_diff"):
        raise ValueError(
            f"transform must be one of {TRANSFORMS} ('log_diff' for airpassengers only), got {transform!r}"
        )
    series = load_taylor() if name == "taylor" else load_airpassengers()
    setup = TAYLOR_SETUP if name == "taylor" else AIR_SETUP
    n = series.values.shape[0]
    split = rolling_origins(
        n,
        history=setup.history,
        horizon=setup.horizon,
        val_start=setup.val_start,
        test_start=setup.test_start,
        step=setup.step,
        train_step=setup.train_step,
        first=setup.first,
    )
    values = series.values
    modelled = log_seasonal_difference(values, series.periods[0]) if transform == "log_diff" else values
    features = calendar_features(n, series.periods) if name == "taylor" else None
    fit_part = modelled[: split.val_start]
    scale = float(fit_part[~fit_part.isnan()].std())
    offset = float(fit_part.mean()) if transform == "global" else None

    def windows(origins: list[int]) -> ForecastWindows:
        return forecast_windows(
            modelled,
            origins,
            history=split.history,
            horizon=split.horizon,
            scale=scale,
            features=features,
            offset=offset,
        )

    return ForecastData(
        name,
        transform,
        series,
        split,
        modelled,
        features,
        windows(split.train),
        windows(split.val),
        windows(split.test),
        seasonal_naive_scale(values[: split.val_start], setup.mase_period),
        setup,
    )


def forecast_targets(data: ForecastData, origins: list[int]) -> torch.Tensor:
    """The actual values ``y[t : t + horizon]`` at each origin, ``(num_origins, horizon)`` float64 (chapter 13)."""
    if not isinstance(data, ForecastData):
        raise TypeError(f"data must be a ForecastData, got {type(data).__name__}")
    t = torch.tensor(origins)
    return data.series.values[t[:, None] + torch.arange(data.split.horizon)[None, :]].double()


def cached_forecaster(
    data: ForecastData, kind: str, seed: int, *, device: str | torch.device | None = None
) -> tuple[LSTMForecaster, History, bool]:
    """An LSTM forecaster of ``kind`` trained on ``data`` with ``seed``, cached (chapter 13).

    Returns ``(model, history, loaded)``; the model ends with its best
    validation epoch's weights, in eval mode.
    """
    if not isinstance(data, ForecastData):
        raise TypeError(f"data must be a ForecastData, got {type(data).__name__}")
    if kind not in FORECASTERS:
        raise ValueError(f"kind must be one of {sorted(FORECASTERS)}, got {kind!r}")
    check_seed(seed)
    dev = get_device(device)
    setup = data.setup
    seed_everything(seed)
    model = LSTMForecaster(data.train.X.shape[2], setup.num_hiddens, setup.horizon, **FORECASTERS[kind])
    config = replace(setup.fit, seed=seed)
    settings = {"data": data.name, "transform": data.transform, "kind": kind, "setup": setup.record(), "seed": seed}
    history, loaded = load_or_train(
        f"forecaster-{data.name}-{data.transform}-{kind}",
        model,
        settings,
        lambda: train_forecaster(model, data.train, data.val, config, device=dev),
        device=dev,
    )
    model.to(dev).eval()
    return model, history, loaded


def lstm_forecasts(
    data: ForecastData, model: LSTMForecaster, origins: str = "test"
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``model``'s forecasts of ``y`` at the ``"val"`` or ``"test"`` origins, and their std or None (chapter 13).

    For ``transform="log_diff"`` the forecasts of the log differences are
    turned back into values (:func:`~lstm_companion.undo_log_seasonal_difference`;
    no std then).
    """
    if not isinstance(data, ForecastData):
        raise TypeError(f"data must be a ForecastData, got {type(data).__name__}")
    if origins not in ("val", "test"):
        raise ValueError(f"origins must be 'val' or 'test', got {origins!r}")
    windows = data.val if origins == "val" else data.test
    mean, std = predict_forecaster(model, windows)
    if data.transform == "log_diff":
        return undo_log_seasonal_difference(mean, data.series.values, windows.origins, data.series.periods[0]), None
    return mean, std


def forecaster_scores(data: ForecastData, kind: str, seed: int) -> dict[str, Any]:
    """Test scores of :func:`cached_forecaster` ``(data, kind, seed)``, as ``scripts/forecasting.py`` records them.

    ``mase`` and ``smape`` are the means over the test origins (``mase_by_origin``
    per origin); ``max_forecast`` the largest forecast; a Gaussian model adds
    ``coverage_80`` and ``coverage_95``, an attention model ``mass_by_lag``
    (:func:`~lstm_companion.attention_by_lag` on the test windows).
    """
    model, history, _ = cached_forecaster(data, kind, seed)
    forecast, std = lstm_forecasts(data, model)
    actual = forecast_targets(data, data.split.test)
    by_origin = mase(forecast, actual, data.mase_scale)
    record: dict[str, Any] = {
        "data": data.name,
        "transform": data.transform,
        "kind": kind,
        "seed": seed,
        "mase": float(by_origin.mean()),
        "smape": float(smape(forecast, actual).mean()),
        "mase_by_origin": by_origin.tolist(),
        "max_forecast": float(forecast.max()),
        "best_epoch": history.best_epoch,
        "val_mae": history.val_score[history.best_epoch],
        "seconds": history.seconds,
    }
    if std is not None:
        for level in (0.8, 0.95):
            record[f"coverage_{round(level * 100)}"] = interval_coverage(
                actual, *gaussian_interval(forecast, std, level)
            )
    if model.attention is not None:
        with torch.no_grad():
            model(data.test.X.to(model_device(model)))
        assert model.last_weights is not None
        record["mass_by_lag"] = attention_by_lag(model.last_weights.cpu()).tolist()
    return record
