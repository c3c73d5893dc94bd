"""Training the LSTM forecasters of chapter 13 on the one loop, with validation-based model choice.

:func:`train_forecaster` trains an :class:`~lstm_companion.LSTMForecaster`
on the windows of :func:`~lstm_companion.forecast_windows` with the
optimiser of its :class:`~lstm_companion.FitConfig` (the recipe's: Adam):
mean squared error of the normalised targets for a point model, the Gaussian
negative log-likelihood (:func:`~lstm_companion.gaussian_nll`) for a
Gaussian one. After each epoch the mean absolute error on the validation
windows is measured, and (with ``restore_best``) the model ends with the
weights of its best epoch:
validation chooses, the test windows are never seen. :func:`predict_forecaster`
returns the forecasts (and standard deviations) in the series' units.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..data.series import ForecastWindows
from ..models.forecaster import LSTMForecaster, gaussian_nll
from ..runtime import get_device, model_device
from .config import FitConfig, check_fit_config
from .loop import History, fit
from .supervised import epoch_batches

__all__ = ["train_forecaster", "predict_forecaster"]


def _check_windows(name: str, windows: object, model: LSTMForecaster) -> ForecastWindows:
    if not isinstance(windows, ForecastWindows):
        raise TypeError(f"{name} must be a ForecastWindows, got {type(windows).__name__}")
    if windows.X.shape[2] != model.num_inputs or windows.Y.shape[1] != model.horizon:
        raise ValueError(
            f"{name} has {windows.X.shape[2]} inputs and horizon {windows.Y.shape[1]}, "
            f"the model {model.num_inputs} and {model.horizon}"
        )
    return windows


@torch.no_grad()
def _normalised(model: LSTMForecaster, windows: ForecastWindows) -> tuple[torch.Tensor, torch.Tensor | None]:
    was_training = model.training
    model.eval()
    try:
        mean, std = model(windows.X.to(model_device(model)))
    finally:
        model.train(was_training)
    return mean.cpu(), None if std is None else std.cpu()


def train_forecaster(
    model: LSTMForecaster,
    train: ForecastWindows,
    val: ForecastWindows,
    config: FitConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` on ``train``'s windows; with ``config.restore_best``, keep the best validation MAE's epoch.

    The validation score (``History.val_score``, metric ``"val_mae"``) is the
    mean absolute error of the normalised validation targets. On the CPU,
    torch's threads are fitted to the cores (:func:`~lstm_companion.fit`
    calls :func:`~lstm_companion.get_device`).
    """
    if not isinstance(model, LSTMForecaster):
        raise TypeError(f"model must be an LSTMForecaster, got {type(model).__name__}")
    _check_windows("train", train, model)
    _check_windows("val", val, model)
    config = check_fit_config(config)
    if config.batch_size > train.X.shape[0]:
        raise ValueError(f"batch_size must be <= the number of training windows {train.X.shape[0]}")
    dev = get_device(device)
    gen = config.batch_generator()

    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        mean, std = model(train.X[idx].to(dev))
        target = train.Y[idx].to(dev)
        loss = F.mse_loss(mean, target) if std is None else gaussian_nll(mean, std, target)
        return loss, len(idx), None

    def validate(model: nn.Module) -> float:
        mean, _ = _normalised(model, val)  # type: ignore[arg-type]
        return float((mean - val.Y).abs().mean())

    return fit(
        model,
        lambda epoch: epoch_batches(train.X.shape[0], config.batch_size, gen),
        loss_fn,
        config,
        validate=validate,
        metric="val_mae",
        device=dev,
        progress=progress,
    )


def predict_forecaster(model: LSTMForecaster, windows: ForecastWindows) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Forecasts ``(num_origins, horizon)`` in the series' units, and the standard deviations or None (chapter 13)."""
    if not isinstance(model, LSTMForecaster):
        raise TypeError(f"model must be an LSTMForecaster, got {type(model).__name__}")
    _check_windows("windows", windows, model)
    mean, std = _normalised(model, windows)
    return windows.denormalise(mean), None if std is None else std.double() * windows.scale
