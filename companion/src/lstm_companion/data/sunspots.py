"""The yearly sunspot numbers, standardised and cut into windows for one-step-ahead forecasting (chapter 5).

Chapter 5 forecasts the yearly sunspot numbers (1700-2008) with an LSTM and
compares it with two baselines that any forecast must beat: the naive
forecast (next year = this year) and a linear autoregression fitted by least
squares. Everything a model learns from, including the normalisation, comes
from the training segment only.

- :func:`load_sunspots`: the series, from the copy bundled with statsmodels
  (no download; the ``apps`` extra).
- :class:`Standardizer`: ``(x - mean) / std`` with the training segment's
  statistics.
- :func:`sliding_windows`: ``(window, next value)`` pairs for a range of
  target positions.

Series are 1-D tensors; windows are ``(num_windows, window, 1)``, one input
feature per step, sample-first like the tasks of
:mod:`lstm_companion.data.synthetic`, so
:class:`~lstm_companion.LastStateModel` and
:func:`~lstm_companion.train_on_task` take them as they are. The
autoregression (:func:`~lstm_companion.fit_autoregression`,
:func:`~lstm_companion.predict_autoregression`) is in
:mod:`lstm_companion.measure.baselines`, the error measures
(:func:`~lstm_companion.rmse`, :func:`~lstm_companion.mae`) in
:mod:`lstm_companion.measure.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import check_finite_float, check_finite_tensor, check_positive_float, check_positive_int, check_tensor

__all__ = ["load_sunspots", "Standardizer", "sliding_windows", "check_windows_2d"]


def load_sunspots() -> tuple[torch.Tensor, torch.Tensor]:
    """Yearly mean sunspot numbers, 1700-2008, from ``statsmodels.datasets.sunspots`` (chapter 5).

    Returns ``(years, values)``: int64 years and float64 sunspot numbers, each
    of shape ``(309,)``. The data ship with statsmodels, so nothing is
    downloaded. (This is the series as statsmodels distributes it, the
    "version 1" sunspot numbers of the SIDC; the 2015 recalibration
    ("version 2") is not used.)
    """
    try:
        from statsmodels.datasets import sunspots
    except ImportError as err:  # pragma: no cover - statsmodels is a dependency of the book's environment
        raise ImportError("load_sunspots needs statsmodels: pip install statsmodels") from err
    data = sunspots.load_pandas().data
    years = torch.tensor(data["YEAR"].to_numpy(), dtype=torch.float64).round().long()  # (309,)
    values = torch.tensor(data["SUNACTIVITY"].to_numpy(), dtype=torch.float64)  # (309,)
    return years, values


@dataclass
class Standardizer:
    """``(x - mean) / std`` with statistics fitted on the training segment only (chapter 5)."""

    mean: float  # mean of the training segment
    std: float  # standard deviation of the training segment (population, ddof=0)

    def __post_init__(self) -> None:
        check_finite_float("mean", self.mean)
        check_positive_float("std", self.std)

    @classmethod
    def fit(cls, train: torch.Tensor) -> Standardizer:
        """Statistics of ``train``, a 1-D series with at least two distinct values."""
        check_tensor("train", train, ndim=1, floating=True)
        check_finite_tensor("train", train)
        std = float(train.std(correction=0))
        if not std > 0:
            raise ValueError(f"train must not be constant (its standard deviation is {std})")
        return cls(float(train.mean()), std)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise ``x`` with the training statistics."""
        check_tensor("x", x, floating=True, nonempty=False)
        return (x - self.mean) / self.std

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`transform`: back to the series' own units."""
        check_tensor("z", z, floating=True, nonempty=False)
        return z * self.std + self.mean


def sliding_windows(
    series: torch.Tensor, window: int, start: int | None = None, stop: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``series[t - window : t]`` and targets ``series[t]`` for ``t`` in ``[start, stop)`` (chapter 5).

    ``start`` defaults to ``window`` (the first target with a full window),
    ``stop`` to ``len(series)``. One-step-ahead forecasting of a held-out
    segment ``[n_train, n)`` uses ``start=n_train``: each test target is
    predicted from the ``window`` true values before it, some of which lie in
    the training segment. Returns ``X`` of shape ``(num_windows, window, 1)``
    and ``y`` of shape ``(num_windows,)``, in the series' dtype.
    """
    check_tensor("series", series, ndim=1, floating=True)
    check_positive_int("window", window)
    n = series.shape[0]
    start = window if start is None else start
    stop = n if stop is None else stop
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not window <= start < stop <= n:
        raise ValueError(
            f"start and stop must satisfy window <= start < stop <= len(series), i.e. {window} <= start < stop "
            f"<= {n}, got start={start}, stop={stop}"
        )
    targets = torch.arange(start, stop)  # (num_windows,)
    index = targets[:, None] + torch.arange(-window, 0)[None, :]  # (num_windows, window)
    return series[index].unsqueeze(-1), series[targets]  # (num_windows, window, 1), (num_windows,)


def check_windows_2d(name: str, X: torch.Tensor) -> torch.Tensor:
    """Windows of one feature, ``(num_windows, window)`` or ``(num_windows, window, 1)``, as 2-D (or a clear error)."""
    check_tensor(name, X, floating=True)
    if X.dim() == 3:
        if X.shape[2] != 1:
            raise ValueError(
                f"{name} must have one feature per step, shape (num_windows, window, 1), got {tuple(X.shape)}"
            )
        return X[..., 0]
    if X.dim() != 2:
        raise ValueError(
            f"{name} must have shape (num_windows, window) or (num_windows, window, 1), got {tuple(X.shape)}"
        )
    return X
