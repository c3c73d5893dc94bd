"""Tests of ``lstm_companion.recipes``: the shared, cached character LM (chapters 3 and 4)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from bad_input import bad_input_test, case

import lstm_companion as lc
from lstm_companion import LSTMScratch, RNNScratch


@pytest.mark.parametrize("kind", lc.CHAR_LM_KINDS)
def test_recipes_are_valid_and_frozen(kind):
    recipe = lc.CHAR_LM_RECIPES[kind]
    lc.check_recipe(recipe)
    assert recipe.fit.patience is not None and recipe.fit.restore_best  # early stopping on the held-out split
    assert 0 < recipe.lr_drop < 1 and recipe.lr_drop_epochs >= 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.num_hiddens = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        lc.CHAR_LM_RECIPES[kind] = recipe  # type: ignore[index]
    record = recipe.record()
    assert record["num_hiddens"] == recipe.num_hiddens and record["fit"]["lr"] == recipe.fit.lr
    assert record["fit"]["seed"] == recipe.fit.seed  # char_lm trains with the recipe's own seed: in the cache key


def test_both_kinds_have_the_same_size_and_data():
    lstm, rnn = lc.CHAR_LM_RECIPES["lstm"], lc.CHAR_LM_RECIPES["rnn"]
    for key in ("num_hiddens", "val_fraction", "test_fraction", "model_seed"):
        assert getattr(lstm, key) == getattr(rnn, key), key


@pytest.mark.parametrize(
    "val_ppl, num_epochs, patience, expected",
    [
        ([5.0, 4.0, 3.0], 10, 1, 3),  # never stalled: ran to the end of the (joined) history
        ([5.0, 4.0, 4.5, 3.9, 3.8], 10, 1, 3),  # stopped at the first epoch without a new best
        ([5.0, 4.0, 4.5, 3.9, 4.1, 4.2, 3.0], 10, 2, 6),  # two in a row without a new best
        ([5.0, 4.0, 3.0, 2.5, 2.0], 3, 1, 3),  # the epoch cap
        ([5.0, 5.0, 4.0], 10, 1, 2),  # equal is not better
    ],
)
def test_epochs_before_drop(val_ppl, num_epochs, patience, expected):
    assert lc.epochs_before_drop(val_ppl, num_epochs, patience) == expected


@pytest.fixture
def tiny_settings(monkeypatch, shared_data):
    """A tiny model on the first 20,000 characters, so that training takes about a second."""
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    corpus, vocab = lc.load_time_machine()
    monkeypatch.setattr(lc.recipes.char_lm, "load_time_machine", lambda: (corpus[:20_000], vocab))
    tiny = {
        kind: dataclasses.replace(
            r, num_hiddens=8, fit=dataclasses.replace(r.fit, num_epochs=1, batch_size=256, num_steps=16)
        )
        for kind, r in lc.CHAR_LM_RECIPES.items()
    }
    monkeypatch.setattr(lc.recipes.char_lm, "CHAR_LM_RECIPES", tiny)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and immune to a busy machine
    yield tiny
    torch.set_num_threads(threads)


@pytest.mark.parametrize("kind, core_type", [("lstm", LSTMScratch), ("rnn", RNNScratch)])
def test_trains_once_then_loads_from_cache(tiny_settings, kind, core_type):
    first = lc.char_lm(kind, device="cpu", progress=False)
    assert not first.loaded
    assert isinstance(first.model, lc.RNNLM) and isinstance(first.model.core, core_type)
    assert first.model.num_hiddens == 8
    assert len(first.vocab) == 28
    parts = (first.train_corpus, first.val_corpus, first.test_corpus)
    assert [len(p) for p in parts] == [16_000, 2_000, 2_000]  # 80/10/10 of the 20,000 tokens
    assert first.recipe == tiny_settings[kind]

    second = lc.char_lm(kind, device="cpu", progress=False)
    assert second.loaded
    assert second.history == first.history
    for (n1, p1), (n2, p2) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2), n1
    ppl = lc.evaluate_perplexity(second.model, second.val_corpus)
    assert abs(ppl - second.history.best_val_ppl) < 1e-3 * ppl
    # one epoch before the drop (the cap), at most lr_drop_epochs after it
    assert first.epochs_before_drop == second.epochs_before_drop == 1
    assert 2 <= len(first.history.val_ppl) <= 1 + tiny_settings[kind].lr_drop_epochs


def test_changed_settings_train_again(tiny_settings):
    assert not lc.char_lm("rnn", device="cpu", progress=False).loaded
    rnn = tiny_settings["rnn"]
    tiny_settings["rnn"] = dataclasses.replace(rnn, fit=dataclasses.replace(rnn.fit, lr=rnn.fit.lr / 2))
    assert not lc.char_lm("rnn", device="cpu", progress=False).loaded


def test_lr_drop_keeps_the_best_weights(shared_data, monkeypatch):
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    corpus, vocab = lc.load_time_machine()
    train, val = corpus[:10_000], corpus[10_000:12_000]
    torch.manual_seed(0)
    model = lc.RNNLM(lc.RNNScratch(len(vocab), 8), len(vocab))
    config = lc.FitConfig(num_epochs=2, batch_size=32, num_steps=16, lr=3e-2, optimizer="adam", patience=1)
    history, n_first = lc.train_lm_with_lr_drop(
        model, train, val, config, lr_drop=0.1, lr_drop_epochs=2, progress=False
    )
    assert n_first == lc.epochs_before_drop(history.val_ppl, 2, 1)
    assert n_first <= len(history.val_ppl) <= n_first + 2
    assert history.best_val_ppl == min(history.val_ppl)
    assert len(history.step_loss) == len(history.step_grad_norm)
    ppl = lc.evaluate_perplexity(model, val)
    assert abs(ppl - history.best_val_ppl) < 1e-4 * ppl


@pytest.mark.parametrize(
    "change, name",
    [
        ({"fit": lc.FitConfig(patience=None)}, "patience"),
        ({"fit": {"lr": 0.1}}, "fit must be a FitConfig"),
        ({"lr_drop": 1.5}, "lr_drop"),
        ({"lr_drop": 0}, "lr_drop"),
        ({"lr_drop_epochs": 0}, "lr_drop_epochs"),
        ({"num_hiddens": -3}, "num_hiddens"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"model_seed": 0.5}, "model_seed"),
        ({"val_fraction": 0.0}, r"val_fraction must be a number in \(0, 1\)"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, r"val_fraction \+ test_fraction must be < 1"),
        ({"fit": lc.FitConfig(patience=1, restore_best=False)}, "restore_best must be True"),
    ],
)
def test_bad_recipe_is_an_error(change, name):
    with pytest.raises((ValueError, TypeError), match=name):
        dataclasses.replace(lc.CHAR_LM_RECIPES["rnn"], **change)  # a recipe is checked when it is built


# ---- bad input

BAD_INPUT = [
    case("char_lm-kind", lambda: lc.char_lm("gru"), ValueError, r"\bkind\b.*'gru'"),
    case(
        "recipes-train_lm_with_lr_drop-lr_drop",
        lambda: lc.train_lm_with_lr_drop(
            lc.RNNLM(lc.RNNScratch(5, 3), 5),
            torch.zeros(200, dtype=torch.long),
            torch.zeros(200, dtype=torch.long),
            lc.FitConfig(num_epochs=1),
            lr_drop=0.0,
            lr_drop_epochs=1,
        ),
        ValueError,
        r"lr_drop must be a number > 0, got 0\.0",
    ),
    case(
        "recipes-train_lm_with_lr_drop-lr_drop_epochs",
        lambda: lc.train_lm_with_lr_drop(
            lc.RNNLM(lc.RNNScratch(5, 3), 5),
            torch.zeros(200, dtype=torch.long),
            torch.zeros(200, dtype=torch.long),
            lc.FitConfig(num_epochs=1),
            lr_drop=0.1,
            lr_drop_epochs=0,
        ),
        ValueError,
        r"lr_drop_epochs",
    ),
    case(
        "recipes-train_lm_with_lr_drop-num_updates",
        lambda: lc.train_lm_with_lr_drop(
            lc.RNNLM(lc.RNNScratch(5, 3), 5),
            torch.zeros(200, dtype=torch.long),
            torch.zeros(200, dtype=torch.long),
            lc.FitConfig(num_epochs=1, num_updates=5),
            lr_drop=0.1,
            lr_drop_epochs=1,
        ),
        ValueError,
        r"config\.num_updates and config\.max_seconds must be None.*got 5 and None",
    ),
    case("recipes-char_lm-kind", lambda: lc.char_lm("gru"), ValueError, r"kind must be one of"),
    case("recipes-char_lm-kind-None", lambda: lc.char_lm(None), ValueError, r"kind must be one of"),
]

test_bad_input = bad_input_test(BAD_INPUT)
