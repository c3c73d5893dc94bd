"""Tests of ``lstm_companion.recipes``: the shared, cached character LM (chapters 3 and 4)."""

from __future__ import annotations

import copy
from dataclasses import fields

import pytest
import torch
from bad_input import bad_input_test, case

import lstm_companion as lc
from lstm_companion import LSTMScratch, RNNScratch


@pytest.mark.parametrize("kind", lc.CHAR_LM_KINDS)
def test_settings_are_valid(kind):
    settings = lc.CHAR_LM_SETTINGS[kind]
    config = lc.char_lm_config(kind)  # runs TrainConfig.check()
    assert config.optimizer in ("sgd", "adam")
    assert config.patience is not None and config.restore_best  # early stopping on the held-out split
    allowed = {f.name for f in fields(lc.TrainConfig)} | set(lc.recipes.char_lm._MODEL_KEYS)
    assert set(settings) <= allowed
    assert settings["num_hiddens"] > 0 and 0 < settings["val_fraction"] < 1
    assert 0 < settings["lr_drop"] < 1 and settings["lr_drop_epochs"] >= 1


def test_both_kinds_have_the_same_size_and_data():
    lstm, rnn = lc.CHAR_LM_SETTINGS["lstm"], lc.CHAR_LM_SETTINGS["rnn"]
    for key in ("num_hiddens", "val_fraction", "model_seed"):
        assert lstm[key] == rnn[key], key


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
    tiny = copy.deepcopy(lc.CHAR_LM_SETTINGS)
    for settings in tiny.values():
        settings.update(num_hiddens=8, num_epochs=1, batch_size=256, num_steps=16)
    monkeypatch.setattr(lc.recipes.char_lm, "CHAR_LM_SETTINGS", tiny)
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
    assert first.settings == tiny_settings[kind] and first.settings is not tiny_settings[kind]

    second = lc.char_lm(kind, device="cpu", progress=False)
    assert second.loaded
    assert second.history == first.history
    for (n1, p1), (n2, p2) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2), n1
    ppl = lc.evaluate_perplexity(second.model, second.val_corpus)
    assert abs(ppl - second.history.best_val_ppl) < 1e-3 * ppl
    # one epoch before the drop (the cap), at most lr_drop_epochs after it
    assert first.epochs_before_drop == second.epochs_before_drop == 1
    assert 2 <= len(first.history.val_ppl) <= 1 + tiny_settings[kind]["lr_drop_epochs"]


def test_changed_settings_train_again(tiny_settings):
    assert not lc.char_lm("rnn", device="cpu", progress=False).loaded
    tiny_settings["rnn"]["lr"] = tiny_settings["rnn"]["lr"] / 2
    assert not lc.char_lm("rnn", device="cpu", progress=False).loaded


def test_lr_drop_keeps_the_best_weights(shared_data, monkeypatch):
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    corpus, vocab = lc.load_time_machine()
    train, val = corpus[:10_000], corpus[10_000:12_000]
    torch.manual_seed(0)
    model = lc.RNNLM(lc.RNNScratch(len(vocab), 8), len(vocab))
    config = lc.TrainConfig(num_epochs=2, batch_size=32, num_steps=16, lr=3e-2, optimizer="adam", patience=1)
    history, n_first = lc.train_lm_with_lr_drop(
        model, train, val, config, lr_drop=0.1, lr_drop_epochs=2, progress=False
    )
    assert n_first == lc.epochs_before_drop(history.val_ppl, 2, 1)
    assert n_first <= len(history.val_ppl) <= n_first + 2
    assert history.best_val_ppl == min(history.val_ppl)
    assert len(history.step_loss) == len(history.step_grad_norm)
    ppl = lc.evaluate_perplexity(model, val)
    assert abs(ppl - history.best_val_ppl) < 1e-4 * ppl


def test_unknown_setting_is_an_error(monkeypatch):
    bad = copy.deepcopy(lc.CHAR_LM_SETTINGS)
    bad["lstm"]["dropout"] = 0.1
    monkeypatch.setattr(lc.recipes.char_lm, "CHAR_LM_SETTINGS", bad)
    with pytest.raises(ValueError, match="unknown keys"):
        lc.char_lm("lstm")


@pytest.mark.parametrize(
    "key, value",
    [
        ("patience", 0),
        ("patience", None),
        ("lr_drop", 1.5),
        ("lr_drop", 0),
        ("lr_drop_epochs", 0),
        ("num_hiddens", -3),
    ],
)
def test_bad_setting_value_is_an_error(monkeypatch, key, value):
    bad = copy.deepcopy(lc.CHAR_LM_SETTINGS)
    bad["rnn"][key] = value
    monkeypatch.setattr(lc.recipes.char_lm, "CHAR_LM_SETTINGS", bad)
    with pytest.raises(ValueError, match=key):
        lc.char_lm_config("rnn")


def test_missing_setting_is_an_error(monkeypatch):
    bad = copy.deepcopy(lc.CHAR_LM_SETTINGS)
    del bad["lstm"]["lr_drop"]
    monkeypatch.setattr(lc.recipes.char_lm, "CHAR_LM_SETTINGS", bad)
    with pytest.raises(ValueError, match="lacks the keys"):
        lc.char_lm_config("lstm")


# ---- bad input

BAD_INPUT = [
    case("char_lm-kind", lambda: lc.char_lm_config("gru"), ValueError, r"\bkind\b.*'gru'"),
    case(
        "recipes-train_lm_with_lr_drop-lr_drop",
        lambda: lc.train_lm_with_lr_drop(
            lc.RNNLM(lc.RNNScratch(5, 3), 5),
            torch.zeros(200, dtype=torch.long),
            torch.zeros(200, dtype=torch.long),
            lc.TrainConfig(num_epochs=1),
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
            lc.TrainConfig(num_epochs=1),
            lr_drop=0.1,
            lr_drop_epochs=0,
        ),
        ValueError,
        r"lr_drop_epochs",
    ),
    case("recipes-char_lm-kind", lambda: lc.char_lm("gru"), ValueError, r"kind must be one of"),
    case("recipes-char_lm_config-kind", lambda: lc.char_lm_config("transformer"), ValueError, r"kind must be one of"),
]

test_bad_input = bad_input_test(BAD_INPUT)
