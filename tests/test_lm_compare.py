"""Scoring language models on the same targets, and checking a live rerun against a committed record.

Chapter 14's table scores stateful and stateless models with
``lc.window_perplexity``; chapter 11 scores its LSTM and the Kneser-Ney model
on the same test targets (``lc.evaluate_stream_perplexity`` with one row,
``KneserNeyLM.token_log_probs``); chapters 11 and 14 check their live reruns
with ``lc.rerun_check``, exactly where ``lc.same_machine`` says the record was
made here, within the seeds' spread elsewhere (both branches forced below).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from bad_input import V, bad_input_test, case
from test_distributed import TinyLM
from torch import nn

import lstm_companion as lc
import lstm_companion.machine as machine

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- the Transformer core


def test_causal_transformer_is_causal() -> None:
    torch.manual_seed(0)
    t = lc.CausalTransformer(3, 8, 2, max_len=20)
    x = torch.randn(2, 12, 3)
    y = x.clone()
    y[:, 7:] = torch.randn(2, 5, 3)  # change the future from step 7 on
    torch.testing.assert_close(t(x)[:, :7], t(y)[:, :7], rtol=0, atol=1e-6)
    assert not torch.allclose(t(x)[:, 7:], t(y)[:, 7:])


def test_causal_transformer_is_causal_in_eval_mode_without_grad() -> None:
    """The path window_perplexity takes (eval, no_grad) may dispatch to other kernels: causal there too."""
    torch.manual_seed(0)
    t = lc.CausalTransformer(3, 8, 2, max_len=20).eval()
    x = torch.randn(2, 12, 3)
    y = x.clone()
    y[:, 7:] = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(t(x)[:, :7], t(y)[:, :7], rtol=0, atol=1e-6)
        assert not torch.allclose(t(x)[:, 7:], t(y)[:, 7:])


def test_tagger_transformer_positions_count_as_parameters() -> None:
    short = lc.tagger_num_params("transformer", 5, 5, 8, num_heads=2, max_len=16)
    long = lc.tagger_num_params("transformer", 5, 5, 8, num_heads=2, max_len=32)
    assert long - short == 16 * 8  # one learned position vector per step


# --------------------------------------------------------------------------- window_perplexity


def _manual_window_ppl(model: nn.Module, corpus: torch.Tensor, window: int, context: int) -> float:
    """Every target after the first once, each from the window that scores it (a slow reference)."""
    total, count, stride = 0.0, 0, window - context
    with torch.no_grad():
        for start in range(0, len(corpus) - 1, stride):
            chunk = corpus[start : start + window + 1]
            if len(chunk) < 2:
                break
            logp = F.log_softmax(model(chunk[None, :-1])[0], -1)
            first = 0 if start == 0 else context
            for t in range(first, len(chunk) - 1):
                total -= float(logp[t, chunk[t + 1]])
                count += 1
            if start + window + 1 >= len(corpus):
                break
    assert count == len(corpus) - 1
    return math.exp(total / count)


@pytest.mark.parametrize(("window", "context", "length"), [(8, 3, 50), (8, 0, 41), (16, 15, 33), (64, 10, 20)])
def test_window_perplexity_scores_every_target_once(window: int, context: int, length: int) -> None:
    torch.manual_seed(0)
    model = lc.TokenTagger("lstm", 7, 7, 5)
    corpus = torch.randint(0, 7, (length,))
    got = lc.window_perplexity(model, corpus, window=window, context=context, batch_size=3)
    assert got == pytest.approx(_manual_window_ppl(model, corpus, window, context), rel=1e-6)


class _CountsContext(nn.Module):
    """Scores that reveal how many tokens each prediction saw: class 0's logit at step p is p + 1."""

    vocab_size = 3

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        B, T = tokens.shape
        seen = torch.arange(1, T + 1, dtype=torch.float32).expand(B, T)
        return torch.stack([seen, torch.zeros(B, T), torch.zeros(B, T)], dim=-1)


@pytest.mark.parametrize(("window", "context", "length"), [(8, 3, 50), (16, 15, 40), (5, 0, 23)])
def test_window_perplexity_context_is_as_documented(window: int, context: int, length: int) -> None:
    """Target t is predicted from t tokens in the first window, from context + 1 to window tokens after it."""
    stride = window - context
    total = 0.0
    for t in range(1, length):  # every target is token 0: its loss is log(1 + 2 exp(-seen))
        if t <= window:
            seen = t
        else:
            start = -(-(t - window) // stride) * stride  # the first window whose scored part holds t
            seen = t - start
            assert context + 1 <= seen <= window
        total += math.log(1 + 2 * math.exp(-seen))
    expected = math.exp(total / (length - 1))
    corpus = torch.zeros(length, dtype=torch.long)
    got = lc.window_perplexity(_CountsContext(), corpus, window=window, context=context, batch_size=2)
    assert got == pytest.approx(expected, rel=1e-6)


def test_window_perplexity_of_one_long_window_is_the_plain_perplexity() -> None:
    torch.manual_seed(1)
    model = lc.TokenTagger("transformer", 6, 6, 4, num_heads=2, max_len=64)
    corpus = torch.randint(0, 6, (40,))
    with torch.no_grad():
        plain = math.exp(float(F.cross_entropy(model(corpus[None, :-1])[0], corpus[1:])))
    assert lc.window_perplexity(model, corpus, window=64, context=0) == pytest.approx(plain, rel=1e-6)
    assert model.training  # the mode it was in


# --------------------------------------------------------------------------- the same targets as Kneser-Ney


def test_stream_perplexity_with_one_row_scores_every_target_with_the_state_carried() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    stream = torch.randint(0, 11, (53,))  # 52 targets: not a multiple of bptt
    with torch.no_grad():
        logits, _ = model(stream[None, :-1])
        plain = math.exp(float(F.cross_entropy(logits[0], stream[1:])))
    assert lc.evaluate_stream_perplexity(model, stream, batch_size=1, bptt=8) == pytest.approx(plain, rel=1e-6)


def test_kneser_ney_token_log_probs_and_seen_histories() -> None:
    gen = torch.Generator().manual_seed(0)
    train = torch.randint(0, 5, (200,), generator=gen)
    heldout = torch.randint(0, 6, (60,), generator=gen)  # id 5 never occurs in training
    kn = lc.KneserNeyLM(order=3).fit(train, 6)
    lp = kn.token_log_probs(heldout)
    assert lp.shape == (59,) and lp.dtype == torch.float64
    total, count = kn.log_prob(heldout)
    assert count == 59 and total == pytest.approx(float(lp.sum()), abs=1e-9)
    ids = heldout.tolist()
    for i in range(1, 60):
        assert lp[i - 1] == pytest.approx(math.log(kn.prob(ids[i], ids[:i])), abs=1e-12)
    seen = kn.history_seen(heldout)
    trigrams = {tuple(train[i : i + 3].tolist()) for i in range(len(train) - 2)}
    histories = {g[:2] for g in trigrams}
    for i in range(2, 60):  # a full 2-token history: seen iff some training trigram starts with it
        assert bool(seen[i - 1]) == (tuple(ids[i - 2 : i]) in histories)
    assert not seen.all() and seen.any()


# --------------------------------------------------------------------------- rerun_check and same_machine


def test_rerun_check_exact_rule() -> None:
    ok = lc.rerun_check(41.25, 41.25, [41.25, 40.0, 43.0], exact=True)
    assert ok["rule"] == "exact" and ok["ok"]
    off = lc.rerun_check(41.2501, 41.25, [41.25, 40.0, 43.0], exact=True)
    assert off["rule"] == "exact" and not off["ok"]  # a rounding difference fails where equality is the rule


def test_rerun_check_band_rule() -> None:
    seeds = [41.0, 40.0, 43.0]  # standard deviation 1.528
    inside = lc.rerun_check(42.4, 41.0, seeds, exact=False)
    assert inside["rule"] == "band" and inside["ok"]
    assert inside["low"] == pytest.approx(41.0 - 1.5275, abs=1e-3) and inside["high"] == pytest.approx(42.5275, 1e-4)
    assert not lc.rerun_check(42.6, 41.0, seeds, exact=False)["ok"]
    assert not lc.rerun_check(39.4, 41.0, seeds, exact=False)["ok"]


@pytest.mark.parametrize("here", [True, False])
def test_same_machine_both_ways(here: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapters branch on it: force each answer by changing the record or the machine."""
    record = lc.machine_summary()
    if not here:
        other = dict(record, cpu_model="Intel(R) Xeon(R) Platinum 8480+")
        monkeypatch.setattr(machine, "machine_summary", lambda: other)
    assert lc.same_machine(record) is here


def test_same_machine_needs_the_cpu_model_and_the_thread_count() -> None:
    record = lc.machine_summary()
    assert lc.same_machine(record)
    assert not lc.same_machine({k: v for k, v in record.items() if k != "cpu_model"})  # an older record
    assert not lc.same_machine(dict(record, num_threads=int(record["num_threads"]) + 1))  # type: ignore[call-overload]
    assert not lc.same_machine(dict(record, torch="0.0"))
    assert not lc.same_machine(dict(record, cpu_flags="0" * 16))  # same model name, other instruction set
    assert not lc.same_machine(
        dict(record, cpu_capability="AVX512" if record["cpu_capability"] != "AVX512" else "AVX2")
    )
    with pytest.raises(TypeError, match="record must be"):
        lc.same_machine("AMD EPYC")


# --------------------------------------------------------------------------- the timed training of chapter 14


def test_max_seconds_counts_updates_not_validation() -> None:
    model = nn.Linear(2, 1)

    def batches(epoch: int):  # type: ignore[no-untyped-def]
        for _ in range(2):
            yield torch.randn(4, 2), torch.randn(4, 1)

    def loss_fn(m, batch, state):  # type: ignore[no-untyped-def]
        x, y = batch
        return F.mse_loss(m(x), y), len(x), None

    def slow_validate(m: nn.Module) -> float:
        time.sleep(0.15)
        return 1.0

    config = lc.FitConfig(num_epochs=3, lr=0.01, optimizer="sgd", max_seconds=0.1)
    hist = lc.fit(model, batches, loss_fn, config, validate=slow_validate, device="cpu", progress=False)
    assert len(hist.train_loss) == 3  # 0.45 s of validation did not use up the 0.1 s of updates
    assert hist.seconds > 0.4 and hist.train_seconds < hist.seconds - 0.4


TINY_LM = replace(
    lc.LM_RECIPE,
    budget=3000,
    embed_size=8,
    window=16,
    context=8,
    batches_per_epoch=3,
    lrs=(3e-3,),
    fit=replace(lc.LM_RECIPE.fit, batch_size=4),
)


@pytest.fixture
def time_machine(monkeypatch: pytest.MonkeyPatch, shared_data):  # type: ignore[no-untyped-def]
    """The shared data folder, and one thread (tiny matrices; immune to a busy machine)."""
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("core", lc.LM_CORES)
def test_train_char_lm_timed_run_starts_like_the_live_slice(core: str, time_machine: None) -> None:
    """The chapter's live slice (num_epochs=2) repeats the first epochs of the script's timed run exactly."""
    timed_settings = replace(TINY_LM, fit=replace(TINY_LM.fit, num_epochs=3, max_seconds=1000.0))
    _, timed = lc.train_char_lm(core, 1, 3e-3, timed_settings)
    model, live = lc.train_char_lm(core, 1, 3e-3, TINY_LM, num_epochs=2)
    assert len(timed["val_ppl"]) == 3 and len(live["val_ppl"]) == 2
    assert live["val_ppl"] == timed["val_ppl"][:2]
    assert abs(live["params"] - 3000) < 600 and live["tokens"] == 2 * 3 * 4 * 16
    assert live["best_val_ppl"] == min(live["val_ppl"])
    test = lc.char_lm_test_perplexity(model, TINY_LM)
    assert 1.0 < test < 60.0  # after 6 updates: a finite perplexity, no claim of learning


def test_train_char_lm_bad_input(time_machine: None) -> None:
    with pytest.raises(ValueError, match="core must be one of"):
        lc.train_char_lm("mingru_neg", 0, 1e-3)
    with pytest.raises(ValueError, match="num_epochs"):
        lc.train_char_lm("lstm", 0, 1e-3, TINY_LM, num_epochs=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        lc.train_char_lm("lstm", "0", 1e-3, TINY_LM)  # type: ignore[arg-type]


def test_xlstm_lm_script_selects_on_validation_and_tests_the_chosen_only(
    time_machine: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/xlstm_lm.py, a few updates per run: the record the chapter reads and checks."""
    import importlib.util
    import json

    monkeypatch.setattr(lc, "LM_RECIPE", replace(TINY_LM, lrs=(1e-3, 3e-3), batches_per_epoch=40))
    monkeypatch.setenv(lc.FIXED_THREADS_ENV, "0")  # main sets it to "1"; restored after the test
    spec = importlib.util.spec_from_file_location("xlstm_lm", ROOT / "scripts" / "xlstm_lm.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "lm.json"
    script.main(["--max-seconds", "0.2", "--cores", "lstm", "transformer", "--out", str(out)])
    table = json.loads(out.read_text())
    assert table["settings"]["cores"] == ["lstm", "transformer"] and table["machine"]["num_threads"] == 1
    for core in ("lstm", "transformer"):
        seed0 = [r for r in table["runs"] if r["core"] == core and r["seed"] == 0]
        assert len(seed0) == 2  # one run per learning rate
        best = min(seed0, key=lambda r: r["best_val_ppl"])
        assert best["chosen"] and table["chosen"][core] == best["lr"]
        for r in table["runs"]:
            assert ("test_ppl" in r) == r["chosen"]  # the test text was read for the chosen runs only
        chosen = [r for r in table["runs"] if r["core"] == core and r["chosen"]]
        assert sorted(r["seed"] for r in chosen) == [0, 1, 2] and {r["lr"] for r in chosen} == {best["lr"]}
    assert out.with_suffix(".md").read_text().startswith("# Chapter 14")


# ---- bad input


BAD_INPUT = [
    case(
        "recipes-LMComparisonRecipe-context-window",
        lambda: replace(lc.LM_RECIPE, context=128),
        ValueError,
        r"LMComparisonRecipe\.context must be < window=128, got 128",
    ),
    case(
        "recipes-LMComparisonRecipe-lrs-empty",
        lambda: replace(lc.LM_RECIPE, lrs=()),
        TypeError,
        r"LMComparisonRecipe\.lrs must be a non-empty tuple",
    ),
    case(
        "recipes-LMComparisonRecipe-test_fraction-1",
        lambda: replace(lc.LM_RECIPE, test_fraction=1.0),
        ValueError,
        r"LMComparisonRecipe\.test_fraction must be a number",
    ),
    case(
        "recipes-train_char_lm-recipe-dict",
        lambda: lc.train_char_lm("lstm", 0, 1e-3, {"window": 16}),  # type: ignore[arg-type]
        TypeError,
        r"recipe must be a LMComparisonRecipe or None, got dict",
    ),
    case(
        "recipes-char_lm_test_perplexity-recipe-dict",
        lambda: lc.char_lm_test_perplexity(lc.TokenTagger("lstm", 28, 28, 4), {"window": 16}),  # type: ignore[arg-type]
        TypeError,
        r"recipe must be a LMComparisonRecipe or None, got dict",
    ),
    case(
        "causal_perplexity-corpus-range",
        lambda: lc.causal_perplexity(lc.CharLSTM(V, 4, bidirectional=False), torch.arange(20) % 7, num_steps=3),
        ValueError,
        r"\bcorpus\b.*\[0, 5\)",
    ),
    case(
        "lm_compare-CausalTransformer-hidden_size",
        lambda: lc.CausalTransformer(3, 10, 4),
        ValueError,
        r"hidden_size must be a multiple of num_heads",
    ),
    case(
        "lm_compare-CausalTransformer-x",
        lambda: lc.CausalTransformer(3, 8, 2, max_len=5)(torch.randn(1, 6, 3)),
        ValueError,
        r"x has 6 steps, more than max_len=5",
    ),
    case(
        "lm_compare-CausalTransformer-x-2",
        lambda: lc.CausalTransformer(3, 8, 2, max_len=5)(torch.randn(1, 4, 2)),
        ValueError,
        r"x must have shape \(\*, \*, 3\), got \(1, 4, 2\)",
    ),
    case(
        "lm_compare-CausalTransformer-x-3",
        lambda: lc.CausalTransformer(3, 8, 2, max_len=5)(torch.full((1, 4, 3), math.nan)),
        ValueError,
        r"x .*(inf|NaN|nan)",
    ),
    case(
        "lm_compare-window_perplexity-context",
        lambda: lc.window_perplexity(
            lc.TokenTagger("mingru", 4, 4, 3), torch.randint(0, 4, (30,)), window=8, context=8
        ),
        ValueError,
        r"context must be an int in \[0, window=8\)",
    ),
    case(
        "lm_compare-window_perplexity-corpus",
        lambda: lc.window_perplexity(lc.TokenTagger("mingru", 4, 4, 3), torch.randint(0, 4, (30,))[:1]),
        ValueError,
        r"corpus must hold at least 2 tokens",
    ),
    case(
        "lm_compare-window_perplexity-corpus-2",
        lambda: lc.window_perplexity(lc.TokenTagger("mingru", 4, 4, 3), torch.randint(0, 4, (30,)).float()),
        TypeError,
        r"corpus must be an integer tensor",
    ),
    case(
        "lm_compare-window_perplexity-corpus-3",
        lambda: lc.window_perplexity(lc.TokenTagger("mingru", 4, 4, 3), torch.tensor([0, 1, 9])),
        ValueError,
        r"corpus must hold token indices in \[0, 4\) \(the",
    ),
    case(
        "lm_compare-rerun_check-seed_values",
        lambda: lc.rerun_check(1.0, 1.0, [1.0], exact=False),
        ValueError,
        r"seed_values must hold at least 2",
    ),
    case(
        "lm_compare-rerun_check-live",
        lambda: lc.rerun_check(math.nan, 1.0, [1.0, 2.0], exact=False),
        ValueError,
        r"live must be a finite number, got nan",
    ),
    case(
        "lm_compare-rerun_check-recorded",
        lambda: lc.rerun_check(1.0, math.inf, [1.0, 2.0], exact=True),
        ValueError,
        r"recorded must be a finite number, got inf",
    ),
    case(
        "lm_compare-rerun_check-seed_values-2",
        lambda: lc.rerun_check(1.0, 1.0, [1.0, None], exact=False),
        (TypeError, ValueError),
        r"seed_values must be a number, got NoneType None",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
