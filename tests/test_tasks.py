"""Tests of ``lstm_companion.tasks`` (chapter 2): seeded long-range tasks, the last-state model, training."""

from __future__ import annotations

import matplotlib
from bad_input import V, bad_input_test, case, last_state

matplotlib.use("Agg")

import pytest
import torch
from torch import nn

import lstm_companion as lc
from lstm_companion import plots

# ------------------------------------------------------------------ agreement_task


def test_agreement_task_shapes_and_content():
    X, y = lc.agreement_task(101, 7, vocab_size=6, seed=0)
    assert X.shape == (101, 8) and y.shape == (101,)
    assert X.dtype == torch.long and y.dtype == torch.long
    assert torch.equal(X[:, 0], y)  # the subject token is its class
    assert int(X[:, 1:].min()) >= 2 and int(X[:, 1:].max()) <= 5  # fillers are never subjects
    assert set(y.tolist()) == {0, 1}
    assert abs(int(y.sum()) - 101 / 2) <= 0.5  # balanced up to one sample


def test_agreement_task_fillers_use_the_whole_filler_vocabulary():
    X, _ = lc.agreement_task(500, 20, vocab_size=10, seed=1)
    assert set(X[:, 1:].unique().tolist()) == set(range(2, 10))


def test_agreement_task_is_seeded():
    a = lc.agreement_task(50, 5, seed=3)
    b = lc.agreement_task(50, 5, seed=3)
    c = lc.agreement_task(50, 5, seed=4)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_agreement_task_ignores_the_global_random_state():
    torch.manual_seed(0)
    a = lc.agreement_task(20, 5, seed=9)
    torch.manual_seed(123)
    torch.rand(10)
    b = lc.agreement_task(20, 5, seed=9)
    assert torch.equal(a[0], b[0])


# ------------------------------------------------------------------ adding_problem


def test_adding_problem_shapes_markers_and_targets():
    X, y = lc.adding_problem(200, 30, seed=0)
    assert X.shape == (200, 30, 2) and y.shape == (200,)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    values, markers = X[..., 0], X[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert (markers.sum(1) == 2).all()  # exactly two markers
    assert (markers[:, :15].sum(1) == 1).all() and (markers[:, 15:].sum(1) == 1).all()  # one per half
    torch.testing.assert_close(y, (values * markers).sum(1))  # target = sum of the marked values


def test_adding_problem_shortest_sequence():
    X, y = lc.adding_problem(5, 2, seed=0)
    assert (X[..., 1] == 1).all()
    torch.testing.assert_close(y, X[..., 0].sum(1))


def test_adding_problem_is_seeded():
    a = lc.adding_problem(30, 10, seed=1)
    b = lc.adding_problem(30, 10, seed=1)
    c = lc.adding_problem(30, 10, seed=2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_adding_baseline_mse_is_the_variance_of_the_target():
    _, y = lc.adding_problem(40_000, 10, seed=0)
    assert lc.adding_baseline_mse() == pytest.approx(1 / 6)
    # standard error of the mean squared error over 40k samples is about 0.001
    assert float(((y - 1) ** 2).mean()) == pytest.approx(lc.adding_baseline_mse(), abs=0.01)


# ------------------------------------------------------------------ LastStateModel


@pytest.mark.parametrize("make_core", [lambda: lc.RNNScratch(6, 4), lambda: nn.RNN(6, 4), lambda: nn.LSTM(6, 4)])
def test_last_state_model_on_tokens(make_core):
    torch.manual_seed(0)
    model = lc.LastStateModel(make_core(), 2, vocab_size=6)
    X, _ = lc.agreement_task(5, 3, vocab_size=6)
    assert model(X).shape == (5, 2)


def test_last_state_model_uses_the_last_output():
    torch.manual_seed(0)
    core = nn.RNN(6, 4)
    model = lc.LastStateModel(core, 3, vocab_size=6)
    X, _ = lc.agreement_task(5, 3, vocab_size=6)
    outputs, _ = core(nn.functional.one_hot(X.T, 6).float())
    torch.testing.assert_close(model(X), model.output(outputs[-1]))


def test_last_state_model_on_features():
    torch.manual_seed(0)
    model = lc.LastStateModel(nn.RNN(2, 4), 1)
    X, _ = lc.adding_problem(7, 12)
    assert model(X).shape == (7, 1)


# ------------------------------------------------------------------ training and accuracy


def _small_run(seed=0, num_updates=60):
    X, y = lc.agreement_task(640, 2, vocab_size=5, seed=seed)
    torch.manual_seed(seed)
    model = lc.LastStateModel(nn.RNN(5, 8), 2, vocab_size=5)
    config = lc.FitConfig(num_updates=num_updates, batch_size=32, lr=0.5, optimizer="sgd", seed=seed)
    history = lc.train_on_task(model, X, y, config, device="cpu", progress=False)
    return model, history, X, y


def test_train_on_task_learns_a_short_dependency():
    model, history, X, y = _small_run()
    assert len(history.step_loss) == len(history.step_grad_norm) == 60
    assert sum(history.step_loss[-10:]) < sum(history.step_loss[:10])
    assert lc.accuracy(model, X, y) >= 0.95


def test_train_on_task_is_deterministic():
    _, a, _, _ = _small_run(seed=1, num_updates=25)
    _, b, _, _ = _small_run(seed=1, num_updates=25)
    assert a.step_loss == b.step_loss


def test_train_on_task_regression():
    X, y = lc.adding_problem(256, 6, seed=0)
    torch.manual_seed(0)
    model = lc.LastStateModel(nn.RNN(2, 8), 1)
    config = lc.FitConfig(num_updates=30, batch_size=32, lr=0.01, optimizer="adam", clip=None)
    history = lc.train_on_task(model, X, y, config, device="cpu", progress=False)
    assert len(history.step_loss) == 30 and all(v >= 0 for v in history.step_loss)


def test_accuracy_of_a_hand_built_latch_is_one():
    latch = nn.RNN(4, 1)
    with torch.no_grad():
        latch.weight_hh_l0.fill_(2.0)
        latch.weight_ih_l0.copy_(torch.tensor([[-5.0, 5.0, 0.0, 0.0]]))
        latch.bias_ih_l0.zero_()
        latch.bias_hh_l0.zero_()
    model = lc.LastStateModel(latch, 2, vocab_size=4)
    with torch.no_grad():
        model.output.weight.copy_(torch.tensor([[-1.0], [1.0]]))
        model.output.bias.zero_()
    X, y = lc.agreement_task(300, 60, vocab_size=4, seed=0)
    assert lc.accuracy(model, X, y, batch_size=64) == 1.0
    assert lc.accuracy(model, X, 1 - y) == 0.0


# ------------------------------------------------------------------ plots


def test_plot_accuracy_vs_distance():
    ax = plots.plot_accuracy_vs_distance([5, 10, 20], [[1.0, 0.8, 0.5], [1.0, 0.6, 0.5]])
    assert len(ax.lines) == 4  # two seeds, the mean, the chance line
    with pytest.raises(ValueError, match="accuracies"):
        plots.plot_accuracy_vs_distance([5, 10], [[1.0, 0.8, 0.5]])


# ------------------------------------------------------------------ bad input

TOKENS, LABELS = lc.agreement_task(8, 3, vocab_size=5)
FEATURES, TARGETS = lc.adding_problem(8, 4)


def _token_model():
    return lc.LastStateModel(nn.RNN(5, 3), 2, vocab_size=5)


def _train(X=TOKENS, y=LABELS, **cfg):
    return lambda: lc.train_on_task(
        _token_model(), X, y, lc.FitConfig(**{"num_updates": 2, "batch_size": 4, **cfg}), progress=False
    )


# ---- bad input


BAD_INPUT = [
    case("adding-num_steps-1", lambda: lc.adding_problem(4, 1), ValueError, r"\bnum_steps\b.*>= 2"),
    case("agreement-vocab-2", lambda: lc.agreement_task(4, 3, vocab_size=2), ValueError, r"\bvocab_size\b.*>= 3"),
    case("sign_of_sum-lengths", lambda: lc.sign_of_sum_task(4, 5, 2), ValueError, r"\bmax_length\b.*>= min_length"),
    case("lookahead-offset", lambda: lc.lookahead_task(4, 3, offset=3), ValueError, r"\boffset\b.*< num_steps=3"),
    case("lookahead-seed-float", lambda: lc.lookahead_task(4, 5, seed=1.5), TypeError, r"\bseed\b.*float"),
    case(
        "last_state-X-range",
        lambda: lc.LastStateModel(lc.RNNScratch(V, 4), 2, vocab_size=V)(torch.tensor([[0, 7]])),
        ValueError,
        r"\bX\b.*\[0, 5\).*7",
    ),
    case(
        "last_state-X-device",
        lambda: last_state()(torch.zeros(1, 2, 3, device="meta")),
        ValueError,
        r"\bX\b is on device meta",
    ),
    case(
        "last_state-X-inf",
        lambda: last_state()(torch.full((2, 2, 3), float("inf"))),
        ValueError,
        r"\bX must be finite.*12 infinite",
    ),
    case(
        "agreement_task-num_samples",
        lambda: lc.agreement_task(0, 5),
        ValueError,
        r"\bnum_samples must be an int > 0, got 0",
    ),
    case(
        "agreement_task-distance", lambda: lc.agreement_task(10, 0), ValueError, r"\bdistance must be an int > 0, got 0"
    ),
    case(
        "agreement_task-distance-2",
        lambda: lc.agreement_task(10, 5.0),
        TypeError,
        r"\bdistance must be an int > 0, got float 5\.0",
    ),
    case(
        "agreement_task-vocab_size",
        lambda: lc.agreement_task(10, 5, vocab_size=2),
        ValueError,
        r"\bvocab_size must be >= 3 \(two subject tokens",
    ),
    case(
        "agreement_task-seed",
        lambda: lc.agreement_task(10, 5, seed="0"),
        TypeError,
        r"\bseed must be an int, got str '0'",
    ),
    case(
        "adding_problem-num_samples",
        lambda: lc.adding_problem(-3, 10),
        ValueError,
        r"\bnum_samples must be an int > 0, got \-3",
    ),
    case(
        "adding_problem-num_steps",
        lambda: lc.adding_problem(10, 0),
        ValueError,
        r"\bnum_steps must be an int > 0, got 0",
    ),
    case(
        "adding_problem-num_steps-2",
        lambda: lc.adding_problem(10, 1),
        ValueError,
        r"\bnum_steps must be >= 2 to hold two markers,",
    ),
    case(
        "adding_problem-seed",
        lambda: lc.adding_problem(10, 10, seed=1.5),
        TypeError,
        r"\bseed must be an int, got float 1\.5",
    ),
    case(
        "LastStateModel-num_outputs",
        lambda: lc.LastStateModel(nn.RNN(5, 3), 0),
        ValueError,
        r"\bnum_outputs must be an int > 0, got 0",
    ),
    case(
        "LastStateModel-vocab_size",
        lambda: lc.LastStateModel(nn.RNN(5, 3), 2, vocab_size=6),
        ValueError,
        r"\bvocab_size=6 \(one\-hot inputs\), got 5",
    ),
    case(
        "LastStateModel-batch_first",
        lambda: lc.LastStateModel(nn.RNN(5, 3, batch_first=True), 2),
        ValueError,
        r"\bbatch_first=False\)",
    ),
    case(
        "LastStateModel-core",
        lambda: lc.LastStateModel(nn.Linear(5, 3), 2),
        TypeError,
        r"\bcore must expose num_hiddens/num_inputs or",
    ),
    case("token_model-X", lambda: _token_model()(TOKENS.float()), TypeError, r"\bX must be an integer tensor of token"),
    case(
        "token_model-X-2",
        lambda: _token_model()(TOKENS[0]),
        ValueError,
        r"\bX must have 2 dimensions, got 1 with shape",
    ),
    case(
        "token_model-X-3",
        lambda: _token_model()(TOKENS + 10),
        ValueError,
        r"\bX must hold token indices in \[0, 5\), got",
    ),
    case(
        "LastStateModel-X",
        lambda: lc.LastStateModel(nn.RNN(2, 3), 1)(FEATURES[..., :1]),
        ValueError,
        r"\bX must have shape \(\*, \*, 2\), got \(8, 4, 1\)",
    ),
    case("train-num_updates", _train(num_updates=0), ValueError, r"\bnum_updates must be an int > 0, got 0"),
    case("train-batch_size", _train(batch_size=100), ValueError, r"\bbatch_size must be <= the number of samples"),
    case("train-lr", _train(lr=0.0), ValueError, r"\blr must be a number > 0, got 0\.0"),
    case(
        "train-optimizer",
        _train(optimizer="rmsprop"),
        ValueError,
        r"\boptimizer must be one of \('sgd', 'adam', 'adamw'\), got",
    ),
    case("train-clip", _train(clip=-1.0), ValueError, r"\bclip must be a number > 0, got \-1\.0"),
    case("train-X_and_y", _train(y=LABELS[:5]), ValueError, r"\bX and y must hold the same number of"),
    case("train-y", _train(y=LABELS[:, None]), ValueError, r"\by must have 1 dimensions, got 2 with shape"),
    case(
        "accuracy-y",
        lambda: lc.accuracy(_token_model(), TOKENS, LABELS.float()),
        TypeError,
        r"\by must be an integer tensor of token",
    ),
    case(
        "accuracy-batch_size",
        lambda: lc.accuracy(_token_model(), TOKENS, LABELS, batch_size=0),
        ValueError,
        r"\bbatch_size must be an int > 0, got 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
