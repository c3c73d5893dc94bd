"""Tests of ``lstm_companion.fit``, the book's one training loop, and of ``History``."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from bad_input import bad_input_test, case
from torch import nn
from torch.nn import functional as F

import lstm_companion as lc


def _regression(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 3, generator=gen)
    return X, X @ torch.tensor([1.0, -2.0, 0.5])


def _loss_fn(X: torch.Tensor, y: torch.Tensor):
    def loss_fn(model: nn.Module, idx: torch.Tensor, state: None) -> tuple[torch.Tensor, int, None]:
        return F.mse_loss(model(X[idx])[:, 0], y[idx]), len(idx), None

    return loss_fn


def _batches(n: int, batch_size: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return lambda epoch: lc.epoch_batches(n, batch_size, gen)


def test_fit_learns_and_records_every_step():
    X, y = _regression()
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    config = lc.FitConfig(num_epochs=5, lr=0.1, optimizer="sgd", clip=None)
    hist = lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, device="cpu", progress=False)
    assert len(hist.step_loss) == len(hist.step_grad_norm) == 5 * 4
    assert len(hist.train_loss) == 5 and hist.train_loss[-1] < 0.1 * hist.train_loss[0]
    assert hist.val_score == [] and hist.best_epoch == -1 and not hist.diverged and hist.seconds > 0


def test_train_loss_is_weighted_by_counts():
    X, y = _regression()
    model = nn.Linear(3, 1)
    config = lc.FitConfig(num_epochs=1, lr=1e-9, optimizer="sgd", clip=None)
    hist = lc.fit(model, _batches(64, 48), _loss_fn(X, y), config, device="cpu", progress=False)
    # two minibatches of 48 and 16 samples: the epoch's loss is their weighted mean
    expected = (48 * hist.step_loss[0] + 16 * hist.step_loss[1]) / 64
    assert hist.train_loss[0] == pytest.approx(expected, rel=1e-12)


def test_early_stopping_restores_the_best_epoch():
    X, y = _regression()
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    scores = iter([5.0, 3.0, 4.0, 6.0, 1.0])
    weights = []

    def validate(m: nn.Module) -> float:
        weights.append(m.weight.detach().clone())
        return next(scores)

    config = lc.FitConfig(num_epochs=5, lr=0.05, optimizer="sgd", patience=2)
    hist = lc.fit(
        model,
        _batches(64, 16),
        _loss_fn(X, y),
        config,
        validate=validate,
        metric="perplexity",
        device="cpu",
        progress=False,
    )
    assert hist.val_ppl == [5.0, 3.0, 4.0, 6.0]  # stopped after two epochs without a better score
    assert hist.best_epoch == 1 and hist.best_val_ppl == 3.0
    assert torch.equal(model.weight, weights[1])  # the best epoch's weights are back


def test_higher_is_better_for_accuracies():
    X, y = _regression()
    model = nn.Linear(3, 1)
    scores = iter([0.5, 0.7, 0.6])
    config = lc.FitConfig(num_epochs=3, lr=0.01, optimizer="adam")
    hist = lc.fit(
        model,
        _batches(64, 32),
        _loss_fn(X, y),
        config,
        validate=lambda m: next(scores),
        metric="accuracy",
        higher_is_better=True,
        device="cpu",
        progress=False,
    )
    assert hist.best_epoch == 1 and hist.best_val_acc == 0.7
    with pytest.raises(AttributeError, match="'accuracy', not 'perplexity'"):
        _ = hist.val_ppl


def test_carry_state_detaches_and_resets_each_epoch():
    seen: list[tuple[int, object]] = []

    def loss_fn(model: nn.Module, batch: int, state: torch.Tensor | None):
        seen.append((batch, None if state is None else state.requires_grad))
        out = model(torch.ones(1, 2)).sum()
        return out**2, 1, out.unsqueeze(0)

    config = lc.FitConfig(num_epochs=2, lr=0.01, optimizer="sgd")
    lc.fit(nn.Linear(2, 1), lambda epoch: range(3), loss_fn, config, carry_state=True, device="cpu", progress=False)
    # each epoch starts from None; later minibatches get the previous state, detached
    assert seen == [(0, None), (1, False), (2, False)] * 2


def test_nonfinite_loss_stops_with_step_and_hint():
    def loss_fn(model: nn.Module, step: int, state: None):
        loss = model(torch.ones(1, 2)).sum() ** 2
        return (loss * math.inf if step == 2 else loss), 1, None

    config = lc.FitConfig(num_epochs=3, lr=0.01, optimizer="sgd")
    with pytest.warns(
        RuntimeWarning, match=r"loss became (inf|nan) at minibatch 2 \(epoch 0\); lower the learning rate"
    ):
        hist = lc.fit(nn.Linear(2, 1), lambda epoch: range(4), loss_fn, config, device="cpu", progress=False)
    assert hist.diverged and hist.diverged_step == 2 and len(hist.step_loss) == 3 and hist.train_loss == []


def test_on_epoch_and_max_seconds():
    X, y = _regression()
    calls = []
    config = lc.FitConfig(num_epochs=50, lr=0.01, optimizer="sgd", max_seconds=1e-9)
    hist = lc.fit(
        nn.Linear(3, 1),
        _batches(64, 16),
        _loss_fn(X, y),
        config,
        on_epoch=lambda e, h: calls.append((e, len(h.step_loss))),
        device="cpu",
        progress=False,
    )
    assert len(hist.step_loss) == 1 and calls == [(0, 1)]  # stopped after the first minibatch, epoch closed


def test_on_epoch_returning_true_stops_training():
    X, y = _regression()
    calls = []

    def on_epoch(epoch: int, hist: lc.History) -> bool:
        calls.append(epoch)
        return epoch == 2  # the caller's own stopping rule

    config = lc.FitConfig(num_epochs=10, lr=0.01, optimizer="sgd")
    hist = lc.fit(
        nn.Linear(3, 1), _batches(64, 16), _loss_fn(X, y), config, on_epoch=on_epoch, device="cpu", progress=False
    )
    assert calls == [0, 1, 2] and len(hist.train_loss) == 3


def test_dropout_seed_repeats_dropout_and_adamw_weight_decay():
    X, y = _regression()

    def run(dropout_seed: int | None, draws_between: int = 0) -> torch.Tensor:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Dropout(0.5), nn.Linear(3, 1))
        torch.rand(draws_between)  # something drawn from torch's generator after the model was built
        config = lc.FitConfig(num_epochs=2, lr=0.01, optimizer="adamw", weight_decay=0.1, dropout_seed=dropout_seed)
        lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, device="cpu", progress=False)
        return model[1].weight.detach().clone()

    assert torch.equal(run(3), run(3, draws_between=5))  # reseeded at the start of fit: the masks repeat
    assert not torch.equal(run(None), run(None, draws_between=5))  # unseeded: they go on from the draws
    assert torch.equal(run(None), run(None))


def test_seed_is_the_batch_order_only():
    """FitConfig's rule: ``seed`` draws the minibatch order from a generator of its own, never torch's."""
    config = lc.FitConfig(seed=7)
    a, b = config.batch_generator(), lc.FitConfig(seed=7).batch_generator()
    assert torch.equal(torch.randperm(20, generator=a), torch.randperm(20, generator=b))
    torch.manual_seed(0)
    before = torch.rand(3)
    torch.manual_seed(0)
    lc.FitConfig(seed=123).batch_generator()
    assert torch.equal(torch.rand(3), before)  # torch's global generator untouched
    X, y = lc.adding_problem(64, 5, seed=0)

    def run(seed: int) -> list[float]:
        torch.manual_seed(0)
        model = lc.LastStateModel(nn.LSTM(2, 4), 1)
        config = lc.FitConfig(num_updates=6, batch_size=16, lr=0.01, seed=seed)
        return lc.train_on_task(model, X, y, config, device="cpu", progress=False).step_loss

    assert run(1) == run(1) and run(1) != run(2)


def test_num_updates_stops_fit_across_epochs():
    X, y = _regression()
    config = lc.FitConfig(num_epochs=10, num_updates=7, lr=0.01)
    hist = lc.fit(nn.Linear(3, 1), _batches(64, 16), _loss_fn(X, y), config, device="cpu", progress=False)
    assert len(hist.step_loss) == 7 and len(hist.train_loss) == 2  # 4 updates per epoch: stopped in the second


def test_fit_config_is_frozen_and_records_itself():
    config = lc.FitConfig(lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 1.0  # type: ignore[misc]
    assert lc.FitConfig(**config.to_dict()) == config
    with pytest.raises(ValueError, match="config.num_updates must be set"):
        X, y = lc.adding_problem(16, 5, seed=0)
        lc.train_on_task(lc.LastStateModel(nn.LSTM(2, 4), 1), X, y, config, device="cpu", progress=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"num_epochs": 0}, "num_epochs must be an int > 0"),
        ({"lr": math.inf}, "lr must be"),
        ({"lr": math.nan}, "lr must be"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"weight_decay": 0.1, "optimizer": "adam"}, "weight_decay needs optimizer='adamw'"),
        ({"momentum": 0.9, "optimizer": "adam"}, "momentum needs optimizer='sgd'"),
        ({"momentum": -0.1, "optimizer": "sgd"}, "momentum must be"),
        ({"clip": 0.0}, "clip must be"),
        ({"patience": 0}, "patience must be an int > 0"),
        ({"max_seconds": -1.0}, "max_seconds must be"),
        ({"seed": 1.5}, "seed must be an int"),
        ({"seed": None}, "seed must be an int"),
        ({"dropout_seed": "0"}, "dropout_seed must be an int"),
        ({"num_updates": 0}, "num_updates must be an int > 0"),
        ({"batch_size": 0}, "batch_size must be an int > 0"),
        ({"num_steps": -1}, "num_steps must be an int > 0"),
        ({"sequential": 1}, "sequential must be a bool"),
        ({"restore_best": None}, "restore_best must be a bool"),
    ],
)
def test_fit_config_is_checked(change, message):
    config = lc.FitConfig(**change)
    with pytest.raises((ValueError, TypeError), match=message):
        lc.fit(nn.Linear(2, 1), lambda e: [], lambda m, b, s: (m.weight.sum(), 1, None), config, progress=False)


def test_fit_arguments_are_checked():
    config = lc.FitConfig()
    loss_fn = lambda m, b, s: (m.weight.sum(), 1, None)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        lc.fit("model", lambda e: [], loss_fn, config)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="batches must be a function"):
        lc.fit(nn.Linear(2, 1), [1, 2], loss_fn, config)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        lc.fit(nn.Linear(2, 1), lambda e: [], None, config)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a FitConfig"):
        lc.fit(nn.Linear(2, 1), lambda e: [], loss_fn, {"lr": 0.1})  # type: ignore[arg-type]
    frozen = nn.Linear(2, 1).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        lc.fit(frozen, lambda e: [], loss_fn, config)


def test_history_round_trip_and_damaged_record():
    hist = lc.History(step_loss=[1.0], train_loss=[0.5], val_score=[2.0], metric="perplexity", best_epoch=0)
    back = lc.History.from_dict(hist.to_dict())
    assert back == hist and back.train_ppl == [math.exp(0.5)] and back.best_val_ppl == 2.0
    with pytest.raises(ValueError, match="run.json is not a training history"):
        lc.History.from_dict({"loss": [1.0]}, source="run.json")
    with pytest.raises(ValueError, match="history is not a training history"):
        lc.History.from_dict([1, 2])


def test_clip_gradients_nonfinite_norm():
    model = nn.Linear(2, 1)
    model(torch.ones(1, 2)).sum().backward()
    model.weight.grad[0, 0] = math.nan
    with pytest.raises(ValueError, match="global norm is nan"):
        lc.clip_gradients(model.parameters(), 1.0, error_if_nonfinite=True)
    with pytest.warns(RuntimeWarning, match="global norm is nan: every gradient is set to nan"):
        norm = lc.clip_gradients(model.parameters(), 1.0)
    ref = nn.Linear(2, 1)
    ref(torch.ones(1, 2)).sum().backward()
    ref.weight.grad[0, 0] = math.nan
    torch.nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
    assert math.isnan(norm)
    assert all(torch.isnan(p.grad).all() for p in model.parameters())  # as clip_grad_norm_ leaves them
    assert all(torch.isnan(p.grad).all() for p in ref.parameters())


def test_fit_step_is_the_update_of_fit():
    """One ``fit_step`` by hand takes the update ``fit`` takes for the same minibatch, bit for bit."""
    X, y = _regression()
    idx = torch.arange(16)
    config = lc.FitConfig(num_epochs=1, lr=0.1, optimizer="sgd", momentum=0.9, clip=0.5)
    torch.manual_seed(0)
    a = nn.Linear(3, 1)
    b = nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    hist = lc.fit(a, lambda e: [idx, idx], _loss_fn(X, y), config, device="cpu", progress=False)
    opt = lc.make_optimizer(list(b.parameters()), config)
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["momentum"] == 0.9
    norms = [lc.fit_step(b, opt, _loss_fn(X, y)(b, idx, None)[0], 0.5) for _ in range(2)]
    assert norms == hist.step_grad_norm and norms[0] > 0.5  # the clip acted
    assert lc.max_abs_difference(a.state_dict(), b.state_dict()) == 0.0


def test_on_step_optimizer_and_scheduler():
    X, y = _regression()
    model = nn.Linear(3, 1)
    config = lc.FitConfig(num_epochs=3, lr=0.1, optimizer="sgd")
    opt = lc.make_optimizer(list(model.parameters()), config)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    seen: list[int] = []
    hist = lc.fit(
        model,
        _batches(64, 16),
        _loss_fn(X, y),
        config,
        on_step=lambda step, h: seen.append(step) or step == 6,
        optimizer=opt,
        scheduler=sched,
        device="cpu",
        progress=False,
    )
    assert seen == [1, 2, 3, 4, 5, 6] and len(hist.step_loss) == 6  # True at step 6 stopped the run
    assert len(hist.train_loss) == 2  # the second epoch ended there
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**6)  # the scheduler stepped once per update
    other = lc.make_optimizer(list(nn.Linear(3, 1).parameters()), config)
    with pytest.raises(ValueError, match="optimizer must hold exactly the model's trainable parameters"):
        lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, optimizer=other, progress=False)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, optimizer="sgd", progress=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scheduler must have a step"):
        lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, scheduler=3, progress=False)
    with pytest.raises(TypeError, match="on_step must be a function"):
        lc.fit(model, _batches(64, 16), _loss_fn(X, y), config, on_step=3, progress=False)  # type: ignore[arg-type]


def test_check_recipe_and_recipe_record():
    """The recipes' rule: fields checked from their annotations, the record nests fit less the per-run fields."""
    Recipe = dataclasses.make_dataclass(  # annotations as types, not strings: the rule reads both
        "Recipe",
        [("budget", int), ("shift", int), ("val_fraction", float), ("sizes", tuple[int, ...]), ("fit", lc.FitConfig)],
        frozen=True,
    )
    good = Recipe(10, 0, 0.1, (4, 8), lc.FitConfig(lr=0.1, seed=3))
    lc.check_recipe(good)
    record = lc.recipe_record(good, per_run=("seed",))
    assert record["sizes"] == [4, 8] and record["fit"]["lr"] == 0.1 and "seed" not in record["fit"]
    assert lc.recipe_record(good)["fit"]["seed"] == 3  # a seed no run overrides is part of the record
    bad = [
        (dataclasses.replace(good, budget=0), ValueError, r"Recipe\.budget must be an int > 0, got 0"),
        (dataclasses.replace(good, shift=True), TypeError, r"Recipe\.shift must be an int, got bool"),
        (dataclasses.replace(good, shift=-1), ValueError, r"Recipe\.shift must be an int >= 0, got -1"),
        (dataclasses.replace(good, val_fraction=0.0), ValueError, r"Recipe\.val_fraction must be a number in \(0, 1\)"),
        (dataclasses.replace(good, sizes=(4, 8.5)), TypeError, r"Recipe\.sizes\[1\] must be an int"),
        (dataclasses.replace(good, sizes=[4]), TypeError, r"Recipe\.sizes must be a non-empty tuple, got list"),
        (dataclasses.replace(good, fit=lc.FitConfig(lr=-1.0)), ValueError, r"Recipe\.fit: lr must be a number > 0"),
        (dataclasses.replace(good, fit={"lr": 0.1}), TypeError, r"Recipe\.fit must be a FitConfig, got dict"),
    ]
    for recipe, exc, pattern in bad:
        with pytest.raises(exc, match=pattern):
            lc.check_recipe(recipe)
    with pytest.raises(TypeError, match="recipe must be a dataclass instance, got dict"):
        lc.check_recipe({"fit": lc.FitConfig()})
    with pytest.raises(ValueError, match=r"per_run must name FitConfig fields, got \['sed'\]"):
        lc.recipe_record(good, per_run=("sed",))


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
    case(
        "fit_step-model-str",
        lambda: lc.fit_step("m", torch.optim.SGD(with_grad(), lr=0.1), torch.tensor(1.0), None),
        TypeError,
        r"\bmodel must be a torch\.nn\.Module",
    ),
    case(
        "fit_step-optimizer-str",
        lambda: lc.fit_step(nn.Linear(2, 1), "sgd", torch.tensor(1.0), None),
        TypeError,
        r"\boptimizer must be a torch\.optim\.Optimizer",
    ),
    case(
        "fit_step-loss-vector",
        lambda: lc.fit_step(nn.Linear(2, 1), torch.optim.SGD(with_grad(), lr=0.1), torch.ones(3), None),
        TypeError,
        r"\bloss must be a scalar tensor .*shape \(3,\)",
    ),
    case(
        "fit_step-loss-float",
        lambda: lc.fit_step(nn.Linear(2, 1), torch.optim.SGD(with_grad(), lr=0.1), 1.0, None),
        TypeError,
        r"\bloss must be a scalar tensor .*float",
    ),
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
