"""Two seasonal series shipped with the package, and windows for direct multi-step forecasting (chapter 13).

- :func:`load_taylor`: half-hourly electricity demand in England and Wales,
  Monday 5 June to Sunday 27 August 2000 (4,032 values in megawatts; seasonal
  periods 48, a day, and 336, a week), the series of Taylor (2003).
- :func:`load_airpassengers`: Box and Jenkins' monthly international airline
  passengers, 1949-1960 (144 values in thousands; a trend and a yearly
  seasonality that grows with the level).

Both files ship inside the package (``series_data/``), byte-identical to the
book's data folder, and are registered in
:data:`~lstm_companion.DATA_FILES`; a loader checks the sha256 of the file it
reads and raises :class:`~lstm_companion.ChecksumError` naming the file when
it is damaged.

Forecasting from an **origin** ``t`` means predicting ``y[t : t + horizon]``
from ``y[t - history : t]``: the window ends just before the first target,
so no target is ever inside its own input window.
:func:`rolling_origins` lays out the origins of a series: training windows
whose targets all end before a validation period, a fixed list of
validation origins, and a later test period, and checks that no test target
is inside any training window (input or target). :func:`forecast_windows`
cuts the windows for a list of origins, each normalised by its own level (the
mean of its input window) and a global scale, with optional calendar
features (:func:`calendar_features`). :func:`log_seasonal_difference` and
:func:`undo_log_seasonal_difference` are the log-and-difference transform
chapter 13 compares with raw values on the airline series.

The metrics and the baselines are in :mod:`lstm_companion.measure.forecasting`,
the LSTM forecasters in :mod:`lstm_companion.models.forecaster`.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .._checks import check_finite_float, check_finite_tensor, check_positive_float, check_positive_int, check_tensor
from ..runtime import file_hash
from .download import DATA_FILES, ChecksumError

__all__ = [
    "SERIES_DIR",
    "TimeSeries",
    "load_taylor",
    "load_airpassengers",
    "ForecastSplit",
    "rolling_origins",
    "calendar_features",
    "ForecastWindows",
    "forecast_windows",
    "log_seasonal_difference",
    "undo_log_seasonal_difference",
]

#: The folder of the package that holds ``taylor.csv`` and ``airpassengers.csv``.
SERIES_DIR = Path(__file__).resolve().parent / "series_data"


@dataclass(frozen=True)
class TimeSeries:
    """A univariate series with its time stamps and seasonal periods (chapter 13)."""

    name: str
    times: list[str]  # one time stamp per value, as the file writes it
    values: torch.Tensor  # (n,) float64
    periods: tuple[int, ...]  # seasonal periods, shortest first
    unit: str


def _read(name: str, path: str | os.PathLike[str] | None, value_column: str) -> tuple[list[str], torch.Tensor]:
    spec = DATA_FILES[name]
    file = Path(path) if path is not None else SERIES_DIR / name
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, an os.PathLike or None, got {type(path).__name__}")
    if not file.is_file():
        raise FileNotFoundError(f"{name} not found at {file}")
    got = file_hash(file, "sha256")
    if got != spec.sha256:
        raise ChecksumError(
            f"{file} has the wrong sha256: expected {spec.sha256}, got {got} "
            f"(size {file.stat().st_size} bytes); the file is damaged or is not {name}"
        )
    with open(file, newline="") as handle:
        rows = list(csv.DictReader(handle))
    times = [row[next(iter(row))] for row in rows]
    values = torch.tensor([float(row[value_column]) for row in rows], dtype=torch.float64)
    return times, values


def load_taylor(path: str | os.PathLike[str] | None = None) -> TimeSeries:
    """Taylor's (2003) half-hourly electricity demand, 12 weeks of summer 2000 (chapter 13).

    Reads the package's copy (or ``path``), checked against its sha256.
    Returns 4,032 values in megawatts from Monday 2000-06-05 00:00, with
    seasonal periods ``(48, 336)``.
    """
    times, values = _read("taylor.csv", path, "demand_mw")
    return TimeSeries("taylor", times, values, (48, 336), "MW")


def load_airpassengers(path: str | os.PathLike[str] | None = None) -> TimeSeries:
    """Box and Jenkins' monthly airline passengers, 1949-01 to 1960-12 (chapter 13).

    Reads the package's copy (or ``path``), checked against its sha256.
    Returns 144 values in thousands of passengers, seasonal period ``(12,)``.
    """
    times, values = _read("airpassengers.csv", path, "passengers")
    return TimeSeries("airpassengers", times, values, (12,), "thousands")


def _check_int(name: str, value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


@dataclass(frozen=True)
class ForecastSplit:
    """Where a rolling-origin evaluation fits, selects and tests (chapter 13).

    ``train`` are the origins of the fitting windows (every target before
    ``val_start``), ``val`` and ``test`` the fixed evaluation origins.
    """

    history: int
    horizon: int
    val_start: int  # first time step of the validation period
    test_start: int  # first time step of the test period
    train: list[int]
    val: list[int]
    test: list[int]


def rolling_origins(
    n: int,
    *,
    history: int,
    horizon: int,
    val_start: int,
    test_start: int,
    step: int,
    train_step: int = 1,
    first: int | None = None,
) -> ForecastSplit:
    """Forecast origins for fitting, validation and test (chapter 13).

    Training origins run from ``first`` (default ``history``) every
    ``train_step`` steps for as long as the whole target ``[t, t + horizon)``
    ends at or before ``val_start``. Validation origins are ``val_start,
    val_start + step, ...`` while their targets end at or before
    ``test_start``; test origins ``test_start, test_start + step, ...`` while
    their targets end at or before ``n``. Raises ``ValueError`` if a period
    holds no origin, and asserts that no test target lies inside a training
    window (its input or its target).
    """
    for name, value in (("n", n), ("history", history), ("horizon", horizon), ("step", step)):
        check_positive_int(name, value)
    check_positive_int("train_step", train_step)
    _check_int("val_start", val_start)
    _check_int("test_start", test_start)
    first = history if first is None else _check_int("first", first)
    if first < history:
        raise ValueError(f"first must be >= history ({history}) so that the first window fits, got {first}")
    if not first + horizon <= val_start < test_start <= n - horizon:
        raise ValueError(
            "need first + horizon <= val_start < test_start <= n - horizon, i.e. "
            f"{first} + {horizon} <= {val_start} < {test_start} <= {n} - {horizon}"
        )
    train = list(range(first, val_start - horizon + 1, train_step))
    val = list(range(val_start, test_start - horizon + 1, step))
    test = list(range(test_start, n - horizon + 1, step))
    if not val:
        raise ValueError(f"the validation period [{val_start}, {test_start}) is shorter than horizon={horizon}")
    test_steps = set(range(test_start, n))
    for t in train:
        assert not test_steps & set(range(t - history, t + horizon)), f"training window at origin {t} holds test data"
    return ForecastSplit(history, horizon, val_start, test_start, train, val, test)


def calendar_features(n: int, periods: tuple[int, ...], start: int = 0) -> torch.Tensor:
    """Sine and cosine of the position within each seasonal period (chapter 13).

    For the half-hourly demand, ``periods=(48, 336)`` gives the half-hour of
    the day and the day of the week (the series starts on a Monday at
    midnight). Returns ``(n, 2 * len(periods))`` float64, the columns
    ``sin, cos`` of ``2 pi (start + i) / p`` for each period ``p``.
    """
    check_positive_int("n", n)
    _check_int("start", start)
    if not isinstance(periods, tuple) or not periods:
        raise TypeError(f"periods must be a non-empty tuple of ints, got {periods!r}")
    for p in periods:
        check_positive_int("periods", p)
    i = torch.arange(start, start + n, dtype=torch.float64)
    cols = []
    for p in periods:
        angle = 2 * math.pi * i / p
        cols += [torch.sin(angle), torch.cos(angle)]
    return torch.stack(cols, dim=1)


@dataclass(frozen=True)
class ForecastWindows:
    """Normalised input windows and targets at a list of origins (chapter 13).

    ``X[i]`` is ``(y[t - history : t] - level[i]) / scale`` (with calendar
    features appended as further columns), ``Y[i]`` is ``(y[t : t + horizon]
    - level[i]) / scale``; ``level[i]`` is the mean of the input window, or one
    global offset.
    """

    X: torch.Tensor  # (num_origins, history, 1 + num_features) float32
    Y: torch.Tensor  # (num_origins, horizon) float32
    level: torch.Tensor  # (num_origins,) float64
    scale: float
    origins: list[int]

    def denormalise(self, pred: torch.Tensor) -> torch.Tensor:
        """A normalised forecast ``(num_origins, horizon)`` in the series' own units (float64)."""
        check_tensor("pred", pred, shape=(len(self.origins), None), floating=True)
        return pred.double() * self.scale + self.level[:, None]

    def targets(self) -> torch.Tensor:
        """The targets in the series' own units, ``(num_origins, horizon)`` float64."""
        return self.denormalise(self.Y)


def forecast_windows(
    series: torch.Tensor,
    origins: list[int],
    *,
    history: int,
    horizon: int,
    scale: float,
    features: torch.Tensor | None = None,
    offset: float | None = None,
    allow_partial_target: bool = False,
) -> ForecastWindows:
    """Windows ``y[t - history : t]`` and targets ``y[t : t + horizon]`` for each origin ``t`` (chapter 13).

    ``scale`` divides every window after its level (the mean of its input
    window) is subtracted; use a spread of the training segment (such as its
    standard deviation). ``features`` ``(n, num_features)`` are appended to
    the inputs at the same steps (e.g. :func:`calendar_features`). A target
    that would run past the end of the series is an error unless
    ``allow_partial_target`` (then ``Y`` is NaN there: forecasting the future).
    """
    check_tensor("series", series, ndim=1, floating=True)
    check_positive_int("history", history)
    check_positive_int("horizon", horizon)
    check_positive_float("scale", scale)
    if not isinstance(origins, list) or not origins:
        raise TypeError(f"origins must be a non-empty list of ints, got {type(origins).__name__}")
    n = series.shape[0]
    for t in origins:
        _check_int("origins", t)
        if t < history or (t + horizon > n and not allow_partial_target) or t > n:
            raise ValueError(
                f"origins must lie in [history, len(series) - horizon] = [{history}, {n - horizon}], got {t}"
            )
    if features is not None:
        check_tensor("features", features, ndim=2, floating=True)
        if features.shape[0] != n:
            raise ValueError(f"features must have one row per step of series ({n}), got shape {tuple(features.shape)}")
        check_finite_tensor("features", features)
    padded = torch.cat([series, torch.full((horizon,), math.nan, dtype=series.dtype)])
    t_index = torch.tensor(origins)
    inputs = padded[t_index[:, None] + torch.arange(-history, 0)[None, :]]  # (num_origins, history)
    check_finite_tensor("series (inside an input window)", inputs)
    if offset is None:
        level = inputs.double().mean(dim=1)  # (num_origins,)
    else:
        level = torch.full((len(origins),), check_finite_float("offset", offset), dtype=torch.float64)
    targets = padded[t_index[:, None] + torch.arange(horizon)[None, :]]  # (num_origins, horizon)
    X = ((inputs.double() - level[:, None]) / scale).unsqueeze(-1)
    if features is not None:
        X = torch.cat([X, features.double()[t_index[:, None] + torch.arange(-history, 0)[None, :]]], dim=2)
    Y = (targets.double() - level[:, None]) / scale
    return ForecastWindows(X.float(), Y.float(), level, float(scale), list(origins))


def log_seasonal_difference(values: torch.Tensor, period: int) -> torch.Tensor:
    """``z[t] = log y[t] - log y[t - period]``, NaN for ``t < period`` (chapter 13).

    The same indices as ``values``, so origins keep their meaning. Needs
    positive values.
    """
    check_tensor("values", values, ndim=1, floating=True)
    check_positive_int("period", period)
    check_finite_tensor("values", values)
    if bool((values <= 0).any()):
        raise ValueError("values must be positive to take logarithms")
    if period >= values.shape[0]:
        raise ValueError(f"period must be shorter than values ({values.shape[0]}), got {period}")
    logs = values.log()
    z = torch.full_like(values, math.nan)
    z[period:] = logs[period:] - logs[:-period]
    return z


def undo_log_seasonal_difference(
    z_forecast: torch.Tensor, values: torch.Tensor, origins: list[int], period: int
) -> torch.Tensor:
    """Forecasts of ``y`` from forecasts of ``z``: ``y[t + k] = y[t + k - period] exp(z[t + k])`` (chapter 13).

    ``z_forecast`` is ``(num_origins, horizon)`` with ``horizon <= period``, so
    every ``y[t + k - period]`` is known at origin ``t``.
    """
    check_tensor("values", values, ndim=1, floating=True)
    check_positive_int("period", period)
    check_tensor("z_forecast", z_forecast, shape=(len(origins), None), floating=True)
    horizon = z_forecast.shape[1]
    if horizon > period:
        raise ValueError(f"z_forecast's horizon ({horizon}) must be <= period ({period})")
    t = torch.tensor(origins)
    index = t[:, None] + torch.arange(horizon)[None, :] - period
    if int(index.min()) < 0:
        raise ValueError(f"origins must be >= period ({period}), got {min(origins)}")
    return values[index] * torch.exp(z_forecast.double())
