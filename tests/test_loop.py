"""Tests of ``lstm_companion.training.loop``: a NaN gradient norm, and the arguments of fit, FitConfig and clip_gradients."""

from __future__ import annotations

import math
import warnings

import torch
from bad_input import bad_input_test, case
from torch import nn

import lstm_companion as lc


def test_clip_gradients_reports_a_non_finite_norm():
    """A NaN gradient must not be "clipped" silently: clip_gradients raises, or warns and returns the NaN norm."""
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([math.nan, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            norm = lc.clip_gradients([p], 1.0)
        except (ValueError, FloatingPointError) as err:
            assert "norm" in str(err) or "grad" in str(err), str(err)
            return
    assert not math.isfinite(norm) and caught, f"clip_gradients returned {norm} for a NaN gradient without a warning"


# ---- bad input


def with_grad():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    return [p]


def batches(epoch):
    return [(torch.zeros(4, 2), torch.zeros(4, 1))]


def squared_error(model, batch, state):
    X, y = batch
    return ((model(X) - y) ** 2).mean(), X.shape[0], state


def fit_with(model=None, loss_fn=squared_error, config=None, **changes):
    """A callable that fits a linear model on one zero minibatch with ``FitConfig(**changes)``."""
    return lambda: lc.fit(
        nn.Linear(2, 1) if model is None else model,
        batches,
        loss_fn,
        lc.FitConfig(**changes) if config is None else config,
        progress=False,
    )


BAD_INPUT = [
    case("clip-max_norm-0", lambda: lc.clip_gradients(with_grad(), 0.0), ValueError, r"\bmax_norm\b"),
    case(
        "clip_gradients-max_norm-nan",
        lambda: lc.clip_gradients(with_grad(), float("nan")),
        ValueError,
        r"max_norm must be a finite number > 0, got nan",
    ),
    case(
        "clip_gradients-max_norm-inf",
        lambda: lc.clip_gradients(with_grad(), float("inf")),
        ValueError,
        r"max_norm must be a finite number > 0, got inf",
    ),
    case(
        "clip_gradients-max_norm-str",
        lambda: lc.clip_gradients(with_grad(), "1"),
        TypeError,
        r"max_norm must be a number > 0, got str",
    ),
    case("fit-lr-nan", fit_with(lr=float("nan")), ValueError, r"lr must be a finite number > 0, got nan"),
    case(
        "fit-momentum-adam", fit_with(momentum=0.9), ValueError, r"momentum needs optimizer='sgd', got optimizer='adam'"
    ),
    case(
        "fit-momentum-negative",
        fit_with(optimizer="sgd", momentum=-1.0),
        ValueError,
        r"momentum must be a number >= 0, got -1\.0",
    ),
    case("fit-num_epochs-0", fit_with(num_epochs=0), ValueError, r"num_epochs must be an int > 0, got 0"),
    case(
        "fit-weight_decay-inf",
        fit_with(weight_decay=float("inf")),
        ValueError,
        r"weight_decay must be a finite number >= 0, got inf",
    ),
    case(
        "fit-max_seconds-negative",
        fit_with(max_seconds=-1.0),
        ValueError,
        r"max_seconds must be a number > 0, got -1\.0",
    ),
    case("fit-clip-0", fit_with(clip=0.0), ValueError, r"clip must be a number > 0, got 0\.0"),
    case(
        "fit-config-None",
        lambda: lc.fit(nn.Linear(2, 1), batches, squared_error, None, progress=False),
        TypeError,
        r"config must be a FitConfig, got NoneType",
    ),
    case(
        "fit-model-None",
        lambda: lc.fit(None, batches, squared_error, lc.FitConfig(), progress=False),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case("fit-loss_fn-None", fit_with(loss_fn=None), TypeError, r"loss_fn must be a function \(model, batch, state\)"),
    case(
        "fit-batches-list",
        lambda: lc.fit(nn.Linear(2, 1), batches(0), squared_error, lc.FitConfig(), progress=False),
        TypeError,
        r"batches must be a function epoch -> minibatches, got list",
    ),
    case(
        "clip_gradients-params-None", lambda: lc.clip_gradients(None, 1.0), TypeError, r"\bparams must be an iterable"
    ),
    case(
        "clip_gradients-params-tensor",
        lambda: lc.clip_gradients(torch.ones(2), 1.0),
        TypeError,
        r"\bparams must be an iterable",
    ),
    case(
        "fit-optimizer-other-params",
        lambda: lc.fit(
            nn.Linear(2, 1),
            lambda e: [],
            lambda m, b, s: (m.weight.sum(), 1, None),
            lc.FitConfig(),
            optimizer=torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1),
        ),
        ValueError,
        r"\boptimizer must hold exactly the model's trainable parameters",
    ),
    case(
        "FitConfig-momentum-adam",
        lambda: lc.fit(
            nn.Linear(2, 1), lambda e: [], lambda m, b, s: (m.weight.sum(), 1, None), lc.FitConfig(momentum=0.9)
        ),
        ValueError,
        r"\bmomentum needs optimizer='sgd'",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
