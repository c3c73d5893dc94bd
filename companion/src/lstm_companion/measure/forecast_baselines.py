"""The baselines a forecasting LSTM must beat, each scored on the same origins (chapter 13).

Each forecasts ``y[t : t + horizon]`` from data before ``t``
only:

- :func:`naive_forecast` (the last value) and :func:`seasonal_naive_forecast`
  (the value one period before);
- :func:`fit_linear_direct` / :func:`predict_linear_direct`: one linear map
  from the normalised window to the whole horizon, fitted by ridge least
  squares (a DLinear-style direct model, Zeng et al. 2023);
- statsmodels' models (the ``apps`` extra), parameters estimated once on the
  data before ``fit_end`` (the start of the validation or the test period)
  and their states updated with the data up to each origin:
  :func:`mstl_forecast` (MSTL's two seasonal components repeated, plus an
  ETS(A,N,N) model of the deseasonalised series, refitted at each origin),
  :func:`airline_forecast` (SARIMA(0,1,1)(0,1,1)\\ :sub:`12` of the log
  series, Box and Jenkins' airline model) and :func:`holt_winters_forecast`
  (additive trend, multiplicative season).

The metrics are in :mod:`lstm_companion.measure.forecasting`; the windows
and origins in :mod:`lstm_companion.data.series`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from .._checks import check_finite_tensor, check_nonneg_float, check_positive_int, check_tensor
from ..data.series import ForecastWindows

__all__ = [
    "naive_forecast",
    "seasonal_naive_forecast",
    "fit_linear_direct",
    "predict_linear_direct",
    "StatForecast",
    "mstl_forecast",
    "airline_forecast",
    "holt_winters_forecast",
]


def _check_origins(values: torch.Tensor, origins: list[int], horizon: int, first: int = 1) -> torch.Tensor:
    check_tensor("values", values, ndim=1, floating=True)
    check_finite_tensor("values", values)
    check_positive_int("horizon", horizon)
    if not isinstance(origins, list) or not origins:
        raise TypeError(f"origins must be a non-empty list of ints, got {type(origins).__name__}")
    for t in origins:
        if isinstance(t, bool) or not isinstance(t, int) or not first <= t <= values.shape[0]:
            raise ValueError(f"origins must be ints in [{first}, {values.shape[0]}], got {t!r}")
    return torch.tensor(origins)


def naive_forecast(values: torch.Tensor, origins: list[int], horizon: int) -> torch.Tensor:
    """The last observed value, ``y[t - 1]``, for every step of the horizon (chapter 13)."""
    t = _check_origins(values, origins, horizon)
    return values[t - 1].double()[:, None].expand(-1, horizon).clone()


def seasonal_naive_forecast(values: torch.Tensor, origins: list[int], horizon: int, period: int) -> torch.Tensor:
    """``y[t + k - period * ceil((k + 1) / period)]``: the same season of the last observed period (chapter 13)."""
    check_positive_int("period", period)
    t = _check_origins(values, origins, horizon, first=period)
    k = torch.arange(horizon)
    back = period * ((k // period) + 1)  # (horizon,)
    return values[t[:, None] + k[None, :] - back[None, :]].double()


def fit_linear_direct(windows: ForecastWindows, ridge: float = 1e-3) -> torch.Tensor:
    """A linear map from each flattened normalised window (and a bias) to the whole horizon (chapter 13).

    Ridge least squares on ``windows.X`` and ``windows.Y`` (float64); returns
    the weights ``(history * num_inputs + 1, horizon)``. With least squares,
    DLinear's split of the window into trend and remainder changes nothing
    (both parts are linear in the window), so one map is fitted.
    """
    if not isinstance(windows, ForecastWindows):
        raise TypeError(f"windows must be a ForecastWindows, got {type(windows).__name__}")
    check_nonneg_float("ridge", ridge)
    A = _design(windows)
    eye = torch.eye(A.shape[1], dtype=torch.float64)
    eye[-1, -1] = 0  # no penalty on the bias
    weights: torch.Tensor = torch.linalg.solve(A.T @ A + ridge * A.shape[0] * eye, A.T @ windows.Y.double())
    return weights


def _design(windows: ForecastWindows) -> torch.Tensor:
    X = windows.X.double().reshape(windows.X.shape[0], -1)
    return torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)


def predict_linear_direct(weights: torch.Tensor, windows: ForecastWindows) -> torch.Tensor:
    """The linear direct model's forecasts at ``windows``' origins, in the series' units (chapter 13)."""
    if not isinstance(windows, ForecastWindows):
        raise TypeError(f"windows must be a ForecastWindows, got {type(windows).__name__}")
    A = _design(windows)
    check_tensor("weights", weights, shape=(A.shape[1], windows.Y.shape[1]), floating=True)
    return windows.denormalise(A @ weights.double())


@dataclass
class StatForecast:
    """A statistical model's forecasts and central prediction intervals (chapter 13)."""

    mean: torch.Tensor  # (num_origins, horizon)
    intervals: dict[float, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)  # level -> (low, high)


def _check_levels(levels: tuple[float, ...]) -> None:
    if not isinstance(levels, tuple):
        raise TypeError(f"levels must be a tuple of floats in (0, 1), got {type(levels).__name__}")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, float) or not 0.0 < level < 1.0:
            raise ValueError(f"levels must be floats in (0, 1), got {level!r}")


def _check_fit_end(fit_end: int, origins: list[int], least: int) -> None:
    if isinstance(fit_end, bool) or not isinstance(fit_end, int) or fit_end < least:
        raise ValueError(f"fit_end must be an int >= {least}, got {fit_end!r}")
    if min(origins) < fit_end:
        raise ValueError(f"every origin must be >= fit_end ({fit_end}): the parameters may not see targets")


def mstl_forecast(
    values: torch.Tensor,
    origins: list[int],
    horizon: int,
    *,
    periods: tuple[int, ...],
    fit_end: int,
    window: int = 1344,
    levels: tuple[float, ...] = (0.8, 0.95),
) -> StatForecast:
    """MSTL seasonal components repeated plus ETS(A,N,N) on the deseasonalised series (chapter 13).

    statsmodels' ``MSTL`` decomposes the ``window`` values before ``fit_end``
    once; each seasonal component is continued by repeating its last period.
    At each origin ``t`` the deseasonalised values up to ``t`` (the last
    ``window``) get an ETS(A,N,N) model (``ETSModel``, refitted), whose
    forecast and intervals are added to the continued seasonal components.
    The intervals hold the ETS model's uncertainty only (the seasonal pattern
    is taken as known).
    """
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.seasonal import MSTL

    t_all = _check_origins(values, origins, horizon)
    check_positive_int("window", window)
    if not isinstance(periods, tuple) or not periods or any(check_positive_int("periods", p) <= 0 for p in periods):
        raise TypeError(f"periods must be a non-empty tuple of ints, got {periods!r}")
    _check_fit_end(fit_end, origins, window)
    if window < 2 * max(periods):
        raise ValueError(f"window must hold two of the longest period ({max(periods)}), got {window}")
    _check_levels(levels)
    y = values.double().numpy()
    fit = MSTL(y[fit_end - window : fit_end], periods=periods).fit()
    seasonal_fit = np.asarray(fit.seasonal).reshape(window, -1)  # (window, num_periods)
    n_total = int(t_all.max()) + horizon
    seasonal = np.zeros(n_total)
    for c, p in enumerate(periods):
        comp = np.zeros(n_total)
        comp[fit_end - window : fit_end] = seasonal_fit[:, c]
        for i in range(fit_end, n_total):
            comp[i] = comp[i - p]
        seasonal += comp
    means: list[np.ndarray] = []
    bounds: dict[float, tuple[list[np.ndarray], list[np.ndarray]]] = {level: ([], []) for level in levels}
    for t in origins:
        deseasonalised = pd.Series(y[t - window : t] - seasonal[t - window : t])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ets = ETSModel(deseasonalised, error="add", trend=None).fit(disp=False)
        pred = ets.get_prediction(window, window + horizon - 1)
        future = seasonal[t : t + horizon]
        means.append(np.asarray(pred.predicted_mean) + future)
        for level in levels:
            frame = pred.summary_frame(alpha=1 - level)
            bounds[level][0].append(frame["pi_lower"].to_numpy() + future)
            bounds[level][1].append(frame["pi_upper"].to_numpy() + future)
    return _stat_result(means, bounds)


def _stat_result(
    means: list[np.ndarray], bounds: dict[float, tuple[list[np.ndarray], list[np.ndarray]]]
) -> StatForecast:
    return StatForecast(
        torch.tensor(np.stack(means), dtype=torch.float64),
        {
            level: (torch.tensor(np.stack(lo), dtype=torch.float64), torch.tensor(np.stack(hi), dtype=torch.float64))
            for level, (lo, hi) in bounds.items()
        },
    )


def airline_forecast(
    values: torch.Tensor,
    origins: list[int],
    horizon: int,
    *,
    fit_end: int,
    period: int = 12,
    levels: tuple[float, ...] = (0.8, 0.95),
) -> StatForecast:
    """Box and Jenkins' airline model, SARIMA(0,1,1)(0,1,1) of the log series (chapter 13).

    statsmodels' ``SARIMAX`` estimates the two moving-average parameters (and
    the noise variance) on ``log y[:fit_end]``; at each origin ``t`` the same
    parameters filter ``log y[:t]`` and forecast. Forecasts and interval
    bounds are exponentiated back (the forecast is the median of the
    log-normal forecast distribution).
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    _check_origins(values, origins, horizon)
    check_positive_int("period", period)
    _check_fit_end(fit_end, origins, 2 * period + 2)
    _check_levels(levels)
    if bool((values <= 0).any()):
        raise ValueError("values must be positive (the airline model is fitted to their logarithm)")
    logs = values.double().log().numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SARIMAX(logs[:fit_end], order=(0, 1, 1), seasonal_order=(0, 1, 1, period)).fit(disp=False)
    means: list[np.ndarray] = []
    bounds: dict[float, tuple[list[np.ndarray], list[np.ndarray]]] = {level: ([], []) for level in levels}
    for t in origins:
        res = fitted.apply(logs[:t])
        pred = res.get_forecast(horizon)
        means.append(np.exp(np.asarray(pred.predicted_mean)))
        for level in levels:
            ci = np.asarray(pred.conf_int(alpha=1 - level))
            bounds[level][0].append(np.exp(ci[:, 0]))
            bounds[level][1].append(np.exp(ci[:, 1]))
    return _stat_result(means, bounds)


def holt_winters_forecast(
    values: torch.Tensor, origins: list[int], horizon: int, *, fit_end: int, period: int = 12
) -> torch.Tensor:
    """Holt-Winters with additive trend and multiplicative season (chapter 13).

    statsmodels' ``ExponentialSmoothing`` estimates the smoothing parameters
    and the initial states on ``y[:fit_end]``; at each origin ``t`` the same
    parameters run over ``y[:t]`` and forecast ``horizon`` steps.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    _check_origins(values, origins, horizon)
    check_positive_int("period", period)
    _check_fit_end(fit_end, origins, 2 * period)
    y = values.double().numpy()

    def model(data: np.ndarray) -> ExponentialSmoothing:
        return ExponentialSmoothing(
            data, trend="add", seasonal="mul", seasonal_periods=period, initialization_method="estimated"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model(y[:fit_end]).fit()
        params = {k: fitted.params[k] for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal")}
        init = (fitted.params["initial_level"], fitted.params["initial_trend"], fitted.params["initial_seasons"])
        out = []
        for t in origins:
            m = ExponentialSmoothing(
                y[:t],
                trend="add",
                seasonal="mul",
                seasonal_periods=period,
                initialization_method="known",
                initial_level=init[0],
                initial_trend=init[1],
                initial_seasonal=init[2],
            )
            out.append(np.asarray(m.fit(**params, optimized=False).forecast(horizon)))
    return torch.tensor(np.stack(out), dtype=torch.float64)
