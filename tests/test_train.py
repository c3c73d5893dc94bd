"""Tests of ``lstm_companion.train`` (training loop, clipping, devices, perplexities)
and ``lstm_companion.checkpoint`` (save, load, load-or-train)."""

from __future__ import annotations

import json
import math
import pickle

import pytest
import torch
from bad_input import CORPUS, bad_input_test, case, in_tmp, lm
from torch import nn

import lstm_companion as lc
from lstm_companion import (
    RNNLM,
    FitConfig,
    History,
    RNNScratch,
    Vocab,
    cache_key,
    clip_gradients,
    evaluate_perplexity,
    get_device,
    grad_norm,
    load_model,
    load_or_train,
    save_model,
    train_lm,
    uniform_perplexity,
    unigram_perplexity,
)

VOCAB = Vocab(list("abc"))


def enc(text: str) -> torch.Tensor:
    return torch.tensor(VOCAB.encode(list(text)))


TRAIN = enc("abc" * 100)  # 300 tokens: with batch_size=4, num_steps=8 every offset gives 9 minibatches
VAL = enc("abc" * 30)
VAL_REVERSED = enc("acb" * 30)  # what training on TRAIN makes less and less likely
BATCHES_PER_EPOCH = 9


def tiny_model(seed: int = 0, num_hiddens: int = 8) -> RNNLM:
    lc.seed_everything(seed)
    return RNNLM(RNNScratch(len(VOCAB), num_hiddens), len(VOCAB))


def adam(**kw) -> FitConfig:
    base = dict(num_epochs=4, batch_size=4, num_steps=8, lr=0.1, optimizer="adam")
    return FitConfig(**{**base, **kw})


def params_of(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def assert_same_params(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


# ---------------------------------------------------------------- clipping


def _grads_pair(scale: float):
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    b = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    b.load_state_dict(a.state_dict())
    X = torch.randn(6, 4)
    for m in (a, b):
        (m(X).sum() * scale).backward()
    return a, b


@pytest.mark.parametrize("scale", [100.0, 3.0])
def test_clip_gradients_equals_torch(scale):
    a, b = _grads_pair(scale)
    norm_mine = clip_gradients(a.parameters(), 1.0)
    norm_torch = torch.nn.utils.clip_grad_norm_(b.parameters(), 1.0)
    assert norm_mine == pytest.approx(float(norm_torch), rel=1e-6)
    assert norm_mine > 1.0
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa.grad, pb.grad, rtol=1e-5, atol=1e-7)
    assert grad_norm(a.parameters()) == pytest.approx(1.0, rel=1e-5)


def test_clip_gradients_below_threshold_does_nothing():
    a, _ = _grads_pair(1.0)
    before = [p.grad.clone() for p in a.parameters()]
    norm = clip_gradients(a.parameters(), 1e6)
    assert norm == pytest.approx(math.sqrt(sum(float(g.pow(2).sum()) for g in before)), rel=1e-6)
    for p, g in zip(a.parameters(), before, strict=True):
        assert torch.equal(p.grad, g)


def test_grad_norm_skips_params_without_grad():
    p, q = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    assert grad_norm([p, q]) == 0.0
    assert clip_gradients([p, q], 1.0) == 0.0
    p.grad = torch.tensor([3.0, 4.0])
    assert grad_norm([p, q]) == pytest.approx(5.0)
    assert clip_gradients([p, q], 1.0) == pytest.approx(5.0)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))
    assert q.grad is None


# ---------------------------------------------------------------- train_lm


def test_train_lm_learns_a_periodic_sequence():
    model = tiny_model()
    hist = train_lm(model, TRAIN, VAL, adam(num_epochs=4), device="cpu", progress=False)
    assert not hist.diverged
    assert hist.val_ppl[-1] < 1.5
    assert hist.best_val_ppl < 1.05
    assert hist.train_ppl[-1] < hist.train_ppl[0]
    assert evaluate_perplexity(model, VAL) < 1.5
    # History has one entry per minibatch and per epoch
    assert len(hist.step_loss) == len(hist.step_grad_norm) == 4 * BATCHES_PER_EPOCH
    assert len(hist.train_ppl) == len(hist.val_ppl) == 4
    assert 0 <= hist.best_epoch < 4 and hist.best_val_ppl == min(hist.val_ppl)
    assert hist.seconds > 0
    assert all(math.isfinite(x) for x in hist.step_loss + hist.step_grad_norm)


def test_train_lm_random_batches_and_no_validation():
    model = tiny_model()
    hist = train_lm(model, TRAIN, None, adam(num_epochs=2, sequential=False), progress=False)
    assert hist.val_ppl == [] and hist.best_epoch == -1 and hist.best_val_ppl == math.inf
    assert len(hist.train_ppl) == 2
    assert len(hist.step_loss) >= 2 * 8  # random mode: about (300 - 8) / 8 / 4 minibatches per epoch


def test_train_lm_records_norm_before_clipping():
    model = tiny_model()
    hist = train_lm(
        model,
        TRAIN,
        None,
        FitConfig(num_epochs=1, batch_size=4, num_steps=8, lr=1.0, optimizer="sgd", clip=1e-3),
        progress=False,
    )
    assert max(hist.step_grad_norm) > 1e-3


def test_early_stopping_and_restore_best():
    model = tiny_model()
    hist = train_lm(model, TRAIN, VAL_REVERSED, adam(num_epochs=20, patience=2), progress=False)
    # held-out perplexity gets worse after the first epoch: stop after `patience` bad epochs
    assert len(hist.val_ppl) == len(hist.train_ppl) == 3
    assert len(hist.step_loss) == 3 * BATCHES_PER_EPOCH
    assert hist.best_epoch == 0
    assert hist.val_ppl[1] > hist.val_ppl[0]
    # restore_best: the model holds the best epoch's weights, not the last ones
    assert evaluate_perplexity(model, VAL_REVERSED) == pytest.approx(hist.best_val_ppl, rel=1e-5)


def test_restore_best_false_keeps_last_weights():
    model = tiny_model()
    hist = train_lm(model, TRAIN, VAL_REVERSED, adam(num_epochs=3, restore_best=False), progress=False)
    assert hist.best_epoch == 0 and len(hist.val_ppl) == 3
    assert evaluate_perplexity(model, VAL_REVERSED) == pytest.approx(hist.val_ppl[-1], rel=1e-5)


def test_stop_on_nonfinite_marks_divergence():
    # with this seed, SGD with lr=1e38 and no clipping makes the loss inf on the 3rd minibatch
    model = tiny_model()
    cfg = FitConfig(num_epochs=3, batch_size=4, num_steps=8, lr=1e38, optimizer="sgd", clip=None)
    hist = train_lm(model, TRAIN, VAL, cfg, progress=False)
    assert hist.diverged
    assert not math.isfinite(hist.step_loss[-1])
    assert len(hist.step_loss) < BATCHES_PER_EPOCH  # stopped inside the first epoch
    assert hist.train_ppl == [] and hist.val_ppl == []


def test_divergence_with_finite_huge_loss_does_not_crash():
    model = tiny_model()
    cfg = FitConfig(num_epochs=2, batch_size=4, num_steps=8, lr=1e10, optimizer="sgd", clip=None)
    hist = train_lm(model, TRAIN, VAL, cfg, progress=False)
    assert hist.diverged or math.isinf(hist.train_ppl[0])


def test_evaluate_perplexity_of_a_hopeless_model_is_inf():
    model = tiny_model()
    with torch.no_grad():
        model.output.weight.zero_()
        model.output.bias.copy_(torch.tensor([1e4, 0.0, 0.0, 0.0]))  # always predicts <unk>, never in VAL
    assert evaluate_perplexity(model, VAL) == math.inf


def test_uniform_logits_give_vocab_size_perplexity():
    for V, text in [(4, "abc" * 50), (28, None)]:
        if text is None:
            corpus = torch.randint(1, V, (500,), generator=torch.Generator().manual_seed(0))
        else:
            corpus = enc(text)
        lc.seed_everything(0)
        model = RNNLM(RNNScratch(V, 5), V)
        with torch.no_grad():
            model.output.weight.zero_()
            model.output.bias.zero_()
        ppl = evaluate_perplexity(model, corpus, batch_size=3, num_steps=7)
        assert ppl == pytest.approx(V, rel=1e-4)
        assert uniform_perplexity(V) == V


def test_evaluate_perplexity_is_exp_mean_cross_entropy():
    model = tiny_model()
    corpus = enc("abcab" * 13)  # 65 tokens: one minibatch of 1 x 64 with the default settings
    with torch.no_grad():
        logits, _ = model(corpus[None, :-1])
        nll = nn.functional.cross_entropy(logits[0], corpus[1:])
    assert evaluate_perplexity(model, corpus) == pytest.approx(math.exp(float(nll)), rel=1e-5)
    model.train()
    evaluate_perplexity(model, corpus)
    assert model.training  # mode restored


def test_unigram_perplexity_by_hand():
    train, val = torch.tensor([1, 1, 2, 3]), torch.tensor([1, 2])
    # add-one counts of tokens 0..3: [1, 3, 2, 2] out of 8
    assert unigram_perplexity(train, val, 4) == pytest.approx(math.sqrt((8 / 3) * (8 / 2)))
    # no smoothing: p(1) = 1/2, p(2) = 1/4
    assert unigram_perplexity(train, val, 4, alpha=0.0) == pytest.approx(math.sqrt(2 * 4))
    assert uniform_perplexity(28) == 28.0


def test_unigram_beats_uniform_on_the_book(shared_data):
    corpus, vocab = lc.load_time_machine(local_dir=shared_data)
    train, val, _ = lc.split_corpus(corpus)
    ppl = unigram_perplexity(train, val, len(vocab))
    assert 15 < ppl < uniform_perplexity(len(vocab))


def test_train_config_defaults_are_valid():
    FitConfig().check()
    assert (
        History.from_dict(
            History(step_loss=[1.0], best_epoch=0, val_score=[2.0], metric="perplexity").to_dict()
        ).best_val_ppl
        == 2.0
    )


# ---------------------------------------------------------------- devices


def test_get_device_on_this_machine():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    auto = get_device()
    assert auto == get_device("auto")
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert auto == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", "cpu:abc"])
def test_get_device_bad_strings(bad):
    with pytest.raises(ValueError, match=r"\bdevice\b"):
        get_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_get_device_cuda_absent(name):
    with pytest.raises(ValueError, match=r"device=.*CUDA is not available"):
        get_device(name)


# ---------------------------------------------------------------- checkpoints


def test_save_and_load_model(tmp_path):
    a, b = tiny_model(0), tiny_model(1)
    path = save_model(a, tmp_path / "sub" / "m.pt")
    assert path.is_file() and sorted(p.name for p in path.parent.iterdir()) == ["m.pt"]
    assert load_model(b, path) is b
    assert_same_params(a, b)


def test_atomic_write_flushes_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = lc.runtime.os.fsync
    monkeypatch.setattr(lc.runtime.os, "fsync", lambda fd: synced.append(str(fd)) or real_fsync(fd))
    target = tmp_path / "a.txt"
    lc.atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert len(synced) == 2  # the file before the rename, its folder after it

    def refuse(tmp):
        tmp.write_text("half")
        raise OSError("read back wrong")

    with pytest.raises(OSError, match="read back wrong"):
        lc.atomic_write(target, refuse)
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    with pytest.raises(TypeError, match="path must be a pathlib.Path"):
        lc.atomic_write(str(target), lambda tmp: None)
    with pytest.raises(TypeError, match="write must be callable"):
        lc.atomic_write(target, "text")


def test_atomic_write_many_changes_no_target_when_one_write_fails(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    lc.atomic_write_many({a: lambda tmp: tmp.write_text("a1"), b: lambda tmp: tmp.write_text("b1")})
    assert (a.read_text(), b.read_text()) == ("a1", "b1")

    def fail(tmp):
        raise ValueError("second file refused")

    with pytest.raises(ValueError, match="second file refused"):
        lc.atomic_write_many({a: lambda tmp: tmp.write_text("a2"), b: fail})
    assert (a.read_text(), b.read_text()) == ("a1", "b1")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.txt", "sub"]
    with pytest.raises(TypeError, match="files must be a mapping"):
        lc.atomic_write_many([a])


class _Recorder:
    calls: list[str] = []


def _record(msg: str) -> str:
    _Recorder.calls.append(msg)
    return msg


class _Evil:
    def __reduce__(self):
        return (_record, ("code ran while loading a checkpoint",))


def test_load_model_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    state = tiny_model().state_dict()
    state["payload"] = _Evil()
    torch.save(state, path)
    _Recorder.calls.clear()
    with pytest.raises(ValueError, match="evil.pt is damaged or not a checkpoint") as info:
        load_model(tiny_model(), path)
    assert isinstance(info.value.__cause__, pickle.UnpicklingError)  # weights_only refused the code
    assert _Recorder.calls == []


class _Trainer:
    """A ``train`` callable for load_or_train that counts its calls."""

    def __init__(self, model: nn.Module):
        self.model, self.calls = model, 0

    def __call__(self) -> History:
        self.calls += 1
        return train_lm(self.model, TRAIN, VAL, adam(num_epochs=1), progress=False)


def test_load_or_train(tmp_path, monkeypatch):
    settings = {"num_hiddens": 8, "lr": 0.1, "epochs": 1}
    m1 = tiny_model(0)
    t1 = _Trainer(m1)
    h1, loaded = load_or_train("tiny", m1, settings, t1, cache=tmp_path)
    assert (loaded, t1.calls) == (False, 1)
    folder = tmp_path / "checkpoints"
    key = cache_key("tiny", settings)
    assert sorted(p.name for p in folder.iterdir()) == [f"{key}.json", f"{key}.pt"]  # nothing half-written

    loads = []
    real_load = torch.load

    def spy(*args, **kwargs):
        loads.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    m2 = tiny_model(1)  # other initial weights
    t2 = _Trainer(m2)
    h2, loaded = load_or_train("tiny", m2, dict(reversed(settings.items())), t2, cache=tmp_path)
    assert (loaded, t2.calls) == (True, 0)
    assert loads == [True]
    assert_same_params(m1, m2)
    assert h2 == h1

    m3 = tiny_model(1)
    t3 = _Trainer(m3)
    _, loaded = load_or_train("tiny", m3, {**settings, "lr": 0.2}, t3, cache=tmp_path)
    assert (loaded, t3.calls) == (False, 1)
    _, loaded = load_or_train("other", tiny_model(1), settings, _Trainer(tiny_model(1)), cache=tmp_path)
    assert loaded is False
    assert len(list(folder.glob("*.pt"))) == 3


def test_load_or_train_default_cache_is_the_env_folder(companion_cache):
    model = tiny_model()
    trainer = _Trainer(model)
    _, loaded = load_or_train("envcache", model, {"a": 1}, trainer)
    assert not loaded
    assert len(list((companion_cache / "checkpoints").glob("envcache-*.pt"))) == 1


def test_load_or_train_refuses_pickled_code(tmp_path):
    settings = {"x": 1}
    key = cache_key("evil", settings)
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    state = tiny_model().state_dict()
    state["payload"] = _Evil()
    torch.save(state, folder / f"{key}.pt")
    (folder / f"{key}.json").write_text(json.dumps(History().to_dict()))
    _Recorder.calls.clear()
    trainer = _Trainer(tiny_model())
    with pytest.warns(RuntimeWarning, match="damaged cache entry evil-"):
        _, loaded = load_or_train("evil", tiny_model(), settings, trainer, cache=tmp_path)
    assert _Recorder.calls == []  # the pickled code never ran: the entry is trained again instead
    assert not loaded and trainer.calls == 1


def test_cache_key(monkeypatch):
    k = cache_key("model_1-a", {"lr": 0.1, "h": 8})
    assert k.startswith("model_1-a-") and len(k) == len("model_1-a-") + 16
    assert k == cache_key("model_1-a", {"h": 8, "lr": 0.1})  # order of settings does not matter
    assert k != cache_key("model_1-a", {"lr": 0.2, "h": 8})
    assert k != cache_key("model_1-a", {"lr": 0.1, "h": 8}, device="cuda")
    monkeypatch.setattr(lc.training.cache, "code_hash", lambda: "0" * 64)  # a change to the package's code
    assert k != cache_key("model_1-a", {"lr": 0.1, "h": 8})


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "../x", "x.pt", "a\\b", "a\n"])
def test_cache_key_rejects_bad_names(bad):
    with pytest.raises(ValueError, match=r"\bname\b"):
        cache_key(bad, {})


# ---- bad input

V = 5  # vocabulary size of bad_input's lm() and CORPUS


def train(**cfg):
    base = dict(num_epochs=1, batch_size=2, num_steps=4, lr=1.0, optimizer="sgd")
    return lambda: lc.train_lm(lm(), CORPUS, None, lc.FitConfig(**{**base, **cfg}), progress=False)


def linear_and_sgd():
    model = nn.Linear(2, 2)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def save_state(**changes):
    """A callable that saves a training state of a small linear model with ``changes`` to the arguments."""

    def run(folder):
        model, optimizer = linear_and_sgd()
        return lc.save_training_state(folder / "s.pt", **{"model": model, "optimizer": optimizer, "step": 1, **changes})

    return in_tmp(run)


def load_state(damage=None, **kw):
    """A callable that saves a training state, damages it with ``damage(path)`` and loads it with ``kw``."""

    def run(folder):
        model, optimizer = linear_and_sgd()
        path = lc.save_training_state(folder / "s.pt", model=model, optimizer=optimizer, step=1)
        if damage is not None:
            damage(path)
        return lc.load_training_state(path, **{"model": nn.Linear(2, 2), **kw})

    return in_tmp(run)


BAD_INPUT = [
    # weights with a JSON record (the translator's format)
    case("save_with_record-folder-None", lambda: lc.save_with_record(None, "m", {}, {}), TypeError, r"\bfolder\b"),
    case(
        "save_with_record-name-path",
        in_tmp(lambda folder: lc.save_with_record(folder, "a/b", {}, {})),
        ValueError,
        r"\bname\b.*'a/b'",
    ),
    case(
        "save_with_record-state-not-tensors",
        in_tmp(lambda folder: lc.save_with_record(folder, "m", {"w": 1.0}, {})),
        TypeError,
        r"\bstate\b must be a state dict",
    ),
    case(
        "save_with_record-record-list",
        in_tmp(lambda folder: lc.save_with_record(folder, "m", {}, [])),
        TypeError,
        r"\brecord\b must be a mapping",
    ),
    case(
        "load_with_record-no-record",
        in_tmp(lambda folder: lc.load_with_record(folder, "m")),
        FileNotFoundError,
        r"m\.json was not found",
    ),
    case("config-optimizer", train(optimizer="rmsprop"), ValueError, r"\boptimizer\b.*'rmsprop'"),
    case("config-lr-negative", train(lr=-0.1), ValueError, r"\blr\b.*-0\.1"),
    case("config-lr-nan", train(lr=float("nan")), ValueError, r"\blr\b.*nan"),
    case("config-lr-inf", train(lr=float("inf")), ValueError, r"\blr\b.*finite.*inf"),
    case("config-clip-0", train(clip=0), ValueError, r"\bclip\b"),
    case("config-num_epochs-0", train(num_epochs=0), ValueError, r"\bnum_epochs\b"),
    case("config-patience-0", train(patience=0), ValueError, r"\bpatience\b"),
    case("config-batch_size-bool", train(batch_size=True), TypeError, r"\bbatch_size\b"),
    case(
        "train-device-string",
        lambda: lc.train_lm(lm(), CORPUS, None, lc.FitConfig(), device="gpu"),
        ValueError,
        r"\bdevice\b.*'gpu'",
    ),
    case("evaluate-2d-corpus", lambda: lc.evaluate_perplexity(lm(), CORPUS.reshape(10, 10)), ValueError, r"\bcorpus\b"),
    case(
        "evaluate-too-short",
        lambda: lc.evaluate_perplexity(lm(), torch.arange(10) % V),
        ValueError,
        r"\bcorpus\b.*too short",
    ),
    case(
        "evaluate-num_steps-0", lambda: lc.evaluate_perplexity(lm(), CORPUS, num_steps=0), ValueError, r"\bnum_steps\b"
    ),
    case(
        "evaluate-batch_size-0",
        lambda: lc.evaluate_perplexity(lm(), CORPUS, batch_size=0),
        ValueError,
        r"\bbatch_size\b",
    ),
    case("cache_key-name", lambda: lc.cache_key("my model", {}), ValueError, r"\bname\b.*'my model'"),
    case("cache_key-empty-name", lambda: lc.cache_key("", {}), ValueError, r"\bname\b"),
    case(
        "load_or_train-name",
        lambda: lc.load_or_train("../up", lm(), {}, lambda: None),
        ValueError,
        r"\bname\b.*'\.\./up'",
    ),
    case("load_model-missing-file", lambda: lc.load_model(lm(), "no/such/file.pt"), FileNotFoundError, r"file\.pt"),
    case("save_training_state-step-negative", save_state(step=-1), ValueError, r"step must be an int >= 0, got -1"),
    case("save_training_state-step-float", save_state(step=1.5), ValueError, r"step must be an int >= 0, got 1\.5"),
    case(
        "save_training_state-model-None",
        save_state(model=None),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case(
        "save_training_state-optimizer-None",
        save_state(optimizer=None),
        TypeError,
        r"optimizer must be a torch\.optim\.Optimizer, got NoneType",
    ),
    case(
        "save_training_state-extra-object",
        save_state(extra={"x": object()}),
        TypeError,
        r"extra\['x'\] must hold only str, int, float, bool, None, tensors",
    ),
    case(
        "save_training_state-sampler-str",
        save_state(sampler="x"),
        TypeError,
        r"sampler must be a ShardedStreamSampler or None",
    ),
    case(
        "load_training_state-missing",
        in_tmp(lambda folder: lc.load_training_state(folder / "s.pt", model=nn.Linear(2, 2))),
        FileNotFoundError,
        r"no training state at .*s\.pt",
    ),
    case(
        "load_training_state-model-None",
        load_state(model=None),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case(
        "load_training_state-other-model",
        load_state(model=nn.Linear(3, 3)),
        ValueError,
        r"s\.pt: model: weight has shape \(2, 2\) in the file, \(3, 3\) in this model",
    ),
    case(
        "load_training_state-damaged",
        load_state(lambda path: path.write_bytes(b"xx")),
        ValueError,
        r"s\.pt is damaged or not a training state",
    ),
    case(
        "state_dict_sha256-None",
        lambda: lc.state_dict_sha256(None),
        TypeError,
        r"state must be a state dict \(a mapping of tensors\), got NoneType",
    ),
    case(
        "state_dict_sha256-module",
        lambda: lc.state_dict_sha256(nn.Linear(2, 2)),
        TypeError,
        r"state must be a state dict.*got Linear",
    ),
    case(
        "max_abs_difference-names",
        lambda: lc.max_abs_difference(nn.Linear(2, 2).state_dict(), {"weight": torch.zeros(2, 2)}),
        ValueError,
        r"a and b must have the same names; differ in \['bias'\]",
    ),
    case(
        "max_abs_difference-shapes",
        lambda: lc.max_abs_difference({"a": torch.zeros(2)}, {"a": torch.zeros(3)}),
        ValueError,
        r"a: shapes differ, \(2,\) and \(3,\)",
    ),
    case(
        "max_abs_difference-None",
        lambda: lc.max_abs_difference(None, {"a": torch.zeros(2)}),
        TypeError,
        r"a and b must be state dicts",
    ),
    case(
        "max_abs_difference-dtypes",
        lambda: lc.max_abs_difference({"a": torch.zeros(2)}, {"a": torch.zeros(2, dtype=torch.long)}),
        ValueError,
        r"a: dtypes differ, torch\.float32 and torch\.int64",
    ),
    case(
        "state_dict_sha256-float", lambda: lc.state_dict_sha256({"a": 1.0}), TypeError, r"state\['a'\] must be a tensor"
    ),
    case(
        "save_training_state-path-None",
        lambda: lc.save_training_state(
            None, model=nn.Linear(2, 2), optimizer=torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), step=1
        ),
        TypeError,
        r"\bpath must be a str or os\.PathLike",
    ),
    case(
        "load_training_state-path-None",
        lambda: lc.load_training_state(None, model=nn.Linear(2, 2)),
        TypeError,
        r"\bpath must be a str or os\.PathLike",
    ),
    case(
        "load_training_state-restore_rng-int",
        lambda: lc.load_training_state("s.pt", model=nn.Linear(2, 2), restore_rng=1),
        TypeError,
        r"\brestore_rng must be a bool",
    ),
    case("save_model-model-None", lambda: lc.save_model(None, "m.pt"), TypeError, r"\bmodel must be a torch\.nn"),
]

test_bad_input = bad_input_test(BAD_INPUT)
