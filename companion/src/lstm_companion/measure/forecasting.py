"""Forecast errors and intervals, origin by origin (chapter 13).

Metrics, one value per forecast origin (rows of ``(num_origins, horizon)``
forecasts and actuals), so that two methods can be compared origin by origin
with :func:`~lstm_companion.paired_bootstrap`:

- :func:`mase`: mean absolute scaled error (Hyndman and Koehler, 2006), the
  mean absolute error divided by ``scale``, the in-sample mean absolute error
  of the seasonal naive forecast on the training segment
  (:func:`seasonal_naive_scale`). Below 1: better than the seasonal naive
  forecast did in sample.
- :func:`smape`: symmetric mean absolute percentage error as in the M4
  competition, ``200 / h * sum |y - f| / (|y| + |f|)`` (percent, 0 to 200).
- :func:`origin_rmse`: root mean squared error per origin.
- :func:`interval_coverage`: the fraction of actuals inside an interval;
  :func:`gaussian_interval` the central interval of a normal forecast.
- :func:`attention_by_lag`: attention weights summed by lag (how far back the
  attended step lies from the step being forecast).

The baselines a forecasting LSTM must beat are in
:mod:`lstm_companion.measure.forecast_baselines`; the windows and origins in
:mod:`lstm_companion.data.series`.
"""

from __future__ import annotations

import math

import torch

from .._checks import check_finite_tensor, check_positive_int, check_tensor

__all__ = [
    "seasonal_naive_scale",
    "mase",
    "smape",
    "origin_rmse",
    "interval_coverage",
    "gaussian_interval",
    "attention_by_lag",
]


def _pair(forecast: torch.Tensor, actual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    check_tensor("forecast", forecast, ndim=2, floating=True)
    check_tensor("actual", actual, ndim=2, floating=True)
    if forecast.shape != actual.shape:
        raise ValueError(
            f"forecast and actual must have the same shape (num_origins, horizon), "
            f"got {tuple(forecast.shape)} and {tuple(actual.shape)}"
        )
    check_finite_tensor("forecast", forecast)
    check_finite_tensor("actual", actual)
    return forecast.double(), actual.double()


def seasonal_naive_scale(train: torch.Tensor, period: int) -> float:
    """MASE's scale: ``mean |y[t] - y[t - period]|`` over the training segment ``train`` (chapter 13)."""
    check_tensor("train", train, ndim=1, floating=True)
    check_positive_int("period", period)
    check_finite_tensor("train", train)
    if train.shape[0] <= period:
        raise ValueError(f"train must be longer than period ({period}), got {train.shape[0]} values")
    scale = float((train[period:] - train[:-period]).abs().double().mean())
    if not scale > 0:
        raise ValueError(f"the seasonal naive error of train is {scale}: MASE is undefined for it")
    return scale


def mase(forecast: torch.Tensor, actual: torch.Tensor, scale: float) -> torch.Tensor:
    """Mean absolute scaled error of each origin's forecast, ``mean_k |y - f| / scale`` (chapter 13)."""
    f, y = _pair(forecast, actual)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return (y - f).abs().mean(dim=1) / scale


def smape(forecast: torch.Tensor, actual: torch.Tensor) -> torch.Tensor:
    """M4's symmetric MAPE of each origin, ``200 / h * sum |y - f| / (|y| + |f|)``, in percent (chapter 13).

    A step where both ``y`` and ``f`` are 0 counts as 0 error.
    """
    f, y = _pair(forecast, actual)
    denominator = y.abs() + f.abs()
    ratio = torch.where(denominator > 0, (y - f).abs() / denominator.clamp_min(1e-300), torch.zeros_like(y))
    return 200 * ratio.mean(dim=1)


def origin_rmse(forecast: torch.Tensor, actual: torch.Tensor) -> torch.Tensor:
    """Root mean squared error of each origin's forecast, in the series' units (chapter 13)."""
    f, y = _pair(forecast, actual)
    return ((y - f) ** 2).mean(dim=1).sqrt()


def interval_coverage(actual: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> float:
    """The fraction of ``actual`` values with ``low <= actual <= high`` (chapter 13)."""
    check_tensor("actual", actual, floating=True)
    for name, bound in (("low", low), ("high", high)):
        check_tensor(name, bound, shape=tuple(actual.shape), floating=True)
        check_finite_tensor(name, bound)
    check_finite_tensor("actual", actual)
    if bool((low > high).any()):
        raise ValueError("low must not exceed high")
    return float(((actual >= low) & (actual <= high)).double().mean())


def gaussian_interval(mean: torch.Tensor, std: torch.Tensor, level: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The central ``level`` interval of ``N(mean, std^2)``, elementwise (chapter 13)."""
    check_tensor("mean", mean, floating=True)
    check_tensor("std", std, shape=tuple(mean.shape), floating=True)
    if isinstance(level, bool) or not isinstance(level, float) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be a float in (0, 1), got {level!r}")
    if bool((std < 0).any()):
        raise ValueError("std must be non-negative")
    z = math.sqrt(2) * float(
        torch.erfinv(torch.tensor(level, dtype=torch.float64))
    )  # the normal (1 + level) / 2 quantile
    return mean - z * std, mean + z * std


def attention_by_lag(weights: torch.Tensor) -> torch.Tensor:
    """Attention mass by lag, averaged over origins and horizon steps (chapter 13).

    ``weights`` ``(num_origins, horizon, history)``: for horizon step ``k``
    (0-based; it forecasts ``y[t + k]``) the weight on input position ``j``
    (``y[t - history + j]``). The lag is ``k + history - j``, from 1 to
    ``history + horizon - 1``. Returns ``mass`` of shape ``(history +
    horizon,)`` with ``mass[lag]`` the mean over origins and horizon steps of
    the weight at that lag (``mass[0]`` is 0); it sums to 1.
    """
    check_tensor("weights", weights, ndim=3, floating=True)
    check_finite_tensor("weights", weights)
    num_origins, horizon, history = weights.shape
    lag = (torch.arange(horizon)[:, None] + history - torch.arange(history)[None, :]).reshape(-1)
    mass = torch.zeros(history + horizon, dtype=torch.float64)
    mass.index_add_(0, lag, weights.double().mean(dim=0).reshape(-1))
    return mass / horizon
