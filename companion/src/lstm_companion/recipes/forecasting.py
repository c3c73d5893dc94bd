"""Chapter 13's forecasting recipe: the two series laid out for rolling-origin evaluation, and cached LSTMs.

- :data:`TAYLOR_SETUP` and :data:`AIR_SETUP`: windows, horizons, periods and
  origins of the two series, shared with ``scripts/forecasting.py`` (whose
  several-seed table is ``results/forecasting.json``);
- :func:`forecast_data`: a :class:`ForecastData` for ``"taylor"`` or
  ``"airpassengers"`` (raw values, or ``transform="log_diff"``: logarithms
  differenced at lag 12): the series, the origins, the windows of the
  training, validation and test origins and the MASE scale;
- :data:`FORECASTERS` and :func:`cached_forecaster`: an
  :class:`~lstm_companion.LSTMForecaster` of each kind (``"lstm"``,
  ``"attention"``, ``"gaussian"``) seeded, trained with
  :func:`~lstm_companion.train_forecaster` and cached by
  :func:`~lstm_companion.load_or_train`;
- :func:`forecast_targets`: the actual values at a set of origins.

The loaders and windows are in :mod:`lstm_companion.data.series`, the model
in :mod:`lstm_companion.models.forecaster`, the metrics and baselines in
:mod:`lstm_companion.measure.forecasting`.
"""

from __future__ import annotations

from dataclasses import dataclass
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
)
from ..measure.forecasting import seasonal_naive_scale
from ..models.forecaster import LSTMForecaster
from ..runtime import get_device, seed_everything
from ..training.checkpoint import load_or_train
from ..training.forecasting import ForecastConfig, train_forecaster
from ..training.loop import History

__all__ = [
    "TAYLOR_SETUP",
    "AIR_SETUP",
    "FORECASTERS",
    "ForecastData",
    "forecast_data",
    "forecast_targets",
    "cached_forecaster",
]

#: Taylor's demand: a week of history (336 half-hours) forecasts the next day (48); weeks 1-9 fit
#: (every 4th origin), week 10 validates and weeks 11-12 test, one origin per day at midnight.
TAYLOR_SETUP: dict[str, Any] = {
    "history": 336,
    "horizon": 48,
    "val_start": 9 * 336,
    "test_start": 10 * 336,
    "step": 48,
    "train_step": 4,
    "first": 336,
    "mase_period": 48,
    "num_hiddens": 32,
    "num_epochs": 10,
    "batch_size": 32,
    "lr": 3e-3,
}

#: The airline passengers: two years of history forecast the next year; targets up to 1955
#: fit, origins in 1957 validate (targets up to the end of 1958) and origins from 1959 test
#: (every month an origin, for as long as the whole year ahead is known).
AIR_SETUP: dict[str, Any] = {
    "history": 24,
    "horizon": 12,
    "val_start": 96,
    "test_start": 120,
    "step": 1,
    "train_step": 1,
    "first": 36,
    "mase_period": 12,
    "num_hiddens": 16,
    "num_epochs": 150,
    "batch_size": 16,
    "lr": 3e-3,
}

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
    transform: str  # "raw" or "log_diff"
    series: TimeSeries
    split: ForecastSplit
    modelled: torch.Tensor  # the series the windows are cut from (the values, or their log differences)
    features: torch.Tensor | None  # calendar features appended to the inputs, or None
    train: ForecastWindows
    val: ForecastWindows
    test: ForecastWindows
    mase_scale: float  # mean |y[t] - y[t - mase_period]| over the values before val_start
    setup: dict[str, Any]


def forecast_data(name: str, transform: str = "raw") -> ForecastData:
    """The windows of ``"taylor"`` or ``"airpassengers"`` for fitting, validation and test (chapter 13).

    Windows are normalised by their own mean and by the standard deviation of
    the modelled series before the validation period. Taylor's inputs carry
    the calendar (half-hour of the day, day of the week). ``transform="log_diff"``
    (the airline series only) models ``log y[t] - log y[t - 12]``.
    """
    if name not in ("taylor", "airpassengers"):
        raise ValueError(f"name must be 'taylor' or 'airpassengers', got {name!r}")
    if transform not in ("raw", "log_diff") or (name == "taylor" and transform != "raw"):
        raise ValueError(f"transform must be 'raw' (or 'log_diff' for airpassengers), got {transform!r}")
    series = load_taylor() if name == "taylor" else load_airpassengers()
    setup = dict(TAYLOR_SETUP if name == "taylor" else AIR_SETUP)
    n = series.values.shape[0]
    split = rolling_origins(
        n,
        history=setup["history"],
        horizon=setup["horizon"],
        val_start=setup["val_start"],
        test_start=setup["test_start"],
        step=setup["step"],
        train_step=setup["train_step"],
        first=setup["first"],
    )
    values = series.values
    modelled = values if transform == "raw" else log_seasonal_difference(values, series.periods[0])
    features = calendar_features(n, series.periods) if name == "taylor" else None
    fit_part = modelled[: split.val_start]
    scale = float(fit_part[~fit_part.isnan()].std())

    def windows(origins: list[int]) -> ForecastWindows:
        return forecast_windows(
            modelled, origins, history=split.history, horizon=split.horizon, scale=scale, features=features
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
        seasonal_naive_scale(values[: split.val_start], setup["mase_period"]),
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
    model = LSTMForecaster(data.train.X.shape[2], setup["num_hiddens"], setup["horizon"], **FORECASTERS[kind])
    config = ForecastConfig(
        num_epochs=setup["num_epochs"], batch_size=setup["batch_size"], lr=setup["lr"], seed=seed
    )
    settings = {"data": data.name, "transform": data.transform, "kind": kind, "setup": setup, **config.to_dict()}
    history, loaded = load_or_train(
        f"forecaster-{data.name}-{data.transform}-{kind}",
        model,
        settings,
        lambda: train_forecaster(model, data.train, data.val, config, device=dev),
        device=dev,
    )
    model.to(dev).eval()
    return model, history, loaded
