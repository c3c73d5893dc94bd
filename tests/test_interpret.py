"""Tests of chapter 9's measurements: signals, activations, correlations, controls (``lstm_companion.measure``) and the coloured text (``lstm_companion.plots``)."""

from __future__ import annotations

import re

import matplotlib
from bad_input import INF, NAN, bad_input_test, case

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import lstm_companion as lc
from lstm_companion import RNNLM, LSTMScratch, RNNScratch

# ---------------------------------------------------------------- signals


def test_word_spans_and_position_signals():
    text = "the cat"
    assert lc.word_spans(text) == [(0, 3), (4, 7)]
    assert lc.word_spans("  it's ok.") == [(2, 4), (5, 6), (7, 9)]
    assert lc.position_in_word(text).tolist() == [1, 2, 3, 0, 1, 2, 3]
    assert lc.steps_to_word_end(text).tolist() == [3, 2, 1, 0, 3, 2, 1]
    assert lc.is_word_start(text).tolist() == [1, 0, 0, 0, 1, 0, 0]
    assert lc.position_in_word("ab  c").tolist() == [1, 2, 0, 0, 1]
    assert lc.steps_to_word_end("ab  c").tolist() == [2, 1, 0, 0, 1]


def test_character_signals():
    assert lc.is_vowel("Tea pot").tolist() == [0, 1, 1, 0, 0, 1, 0]
    assert lc.char_indicator("a b", " ").tolist() == [0, 1, 0]
    assert lc.char_indicator("abc", "ca").tolist() == [1, 0, 1]
    # whole words only: the "the" inside "other" is not marked
    assert lc.in_word("the other the", "the").tolist() == [1, 1, 1, 0] + [0] * 5 + [0, 1, 1, 1]
    assert lc.in_word("then", "the").sum() == 0
    for fn in (lc.position_in_word, lc.is_vowel, lc.is_word_start):
        out = fn("a bc")
        assert out.shape == (4,) and out.dtype == torch.float32


def test_position_classes():
    assert lc.position_classes("ab c.") == ["first letter", "later letter", "space", "first letter", "other"]
    assert set(lc.position_classes("the time machine")) <= set(lc.POSITION_CLASSES)


@pytest.mark.parametrize(
    "fn", [lc.position_in_word, lc.steps_to_word_end, lc.is_vowel, lc.is_word_start, lc.position_classes, lc.word_spans]
)
def test_signals_reject_bad_text(fn):
    with pytest.raises(TypeError, match="text must be a str"):
        fn(["a", "b"])
    with pytest.raises(ValueError, match="text must not be empty"):
        fn("")


def test_in_word_and_char_indicator_reject_bad_arguments():
    with pytest.raises(ValueError, match="word must be a non-empty string of letters"):
        lc.in_word("the cat", "the cat")
    with pytest.raises(ValueError, match="word must be"):
        lc.in_word("the cat", "")
    with pytest.raises(ValueError, match="chars must not be empty"):
        lc.char_indicator("abc", "")


# ---------------------------------------------------------------- activations


def _model(vocab_size=6, num_hiddens=5, seed=0):
    torch.manual_seed(seed)
    return RNNLM(LSTMScratch(vocab_size, num_hiddens), vocab_size)


def test_cell_activations_match_gate_trace():
    model = _model()
    indices = torch.randint(0, 6, (40,), generator=torch.Generator().manual_seed(1))
    acts = lc.cell_activations(model, indices)
    assert set(acts) == set(lc.TRACE_KEYS)
    for key in lc.TRACE_KEYS:
        assert acts[key].shape == (40, 5) and acts[key].dtype == torch.float32
    X = F.one_hot(indices[:, None], 6).float()  # (num_steps, 1, vocab_size)
    trace = model.core.gate_trace(X)
    for key in lc.TRACE_KEYS:
        torch.testing.assert_close(acts[key], trace[key][:, 0])
    # the hidden states are those of the model's own forward pass
    outputs, _ = model.core(X)
    torch.testing.assert_close(acts["H"], outputs[:, 0])


@pytest.mark.parametrize("num_streams", [2, 3, 7])
def test_cell_activations_streams(num_streams):
    model = _model()
    indices = torch.randint(0, 6, (41,), generator=torch.Generator().manual_seed(2))
    one = lc.cell_activations(model, indices)
    # with a warm-up as long as the text, every stream starts from the beginning: the same numbers
    many = lc.cell_activations(model, indices, num_streams=num_streams, warmup=41)
    for key in lc.TRACE_KEYS:
        assert many[key].shape == (41, 5)
        torch.testing.assert_close(many[key], one[key], atol=1e-6, rtol=1e-5)
    # without a warm-up, the first stream is still exact; later streams start from zero
    cold = lc.cell_activations(model, indices, num_streams=num_streams)
    length = -(-41 // num_streams)
    torch.testing.assert_close(cold["C"][:length], one["C"][:length], atol=1e-6, rtol=1e-5)
    assert not torch.allclose(cold["C"], one["C"], atol=1e-6)


def test_cell_activations_accepts_nn_lstm_core_and_bare_core():
    torch.manual_seed(0)
    ref = nn.LSTM(6, 4)
    model = RNNLM(ref, 6)
    indices = torch.tensor([0, 1, 2, 3, 4, 5, 0, 1])
    acts = lc.cell_activations(model, indices)
    outputs, _ = ref(F.one_hot(indices[:, None], 6).float())
    torch.testing.assert_close(acts["H"], outputs[:, 0].detach(), atol=1e-6, rtol=1e-5)
    bare = lc.cell_activations(LSTMScratch.from_torch(ref), indices)
    torch.testing.assert_close(bare["C"], acts["C"])


def test_cell_activations_rejects_bad_input():
    model = _model()
    with pytest.raises(TypeError, match="core must be an LSTMScratch"):
        lc.cell_activations(RNNLM(RNNScratch(6, 4), 6), torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="model must be an RNNLM, an LSTMScratch or an nn.LSTM"):
        lc.cell_activations(nn.Linear(2, 2), torch.tensor([1, 2]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="indices must have 1 dimensions"):
        lc.cell_activations(model, torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="indices must be an integer tensor"):
        lc.cell_activations(model, torch.zeros(3))
    with pytest.raises(ValueError, match=r"indices must hold token indices in \[0, 6\)"):
        lc.cell_activations(model, torch.tensor([0, 6]))
    with pytest.raises(ValueError, match="num_streams must be at most len"):
        lc.cell_activations(model, torch.tensor([0, 1]), num_streams=3)
    with pytest.raises(ValueError, match="warmup must be an int >= 0"):
        lc.cell_activations(model, torch.tensor([0, 1]), warmup=-1)
    with pytest.raises(ValueError, match=r"layer must be in \[0, 1\)"):
        lc.cell_activations(model, torch.tensor([0, 1]), layer=1)


def test_cell_activations_second_layer():
    torch.manual_seed(0)
    core = LSTMScratch(6, 4, num_layers=2)
    indices = torch.tensor([0, 1, 2, 3, 4, 5, 0, 1])
    acts = lc.cell_activations(RNNLM(core, 6), indices, layer=1)
    outputs, _ = core(F.one_hot(indices[:, None], 6).float())  # the last layer's hidden states
    torch.testing.assert_close(acts["H"], outputs[:, 0].detach())


# ---------------------------------------------------------------- correlations


def _noise(n=500, seed=0):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed))


def test_correlate_units_known_values():
    s = _noise()
    other = _noise(seed=1)
    acts = torch.stack([2 * s + 1, -s, torch.ones_like(s), other], dim=1)  # (N, 4)
    r = lc.correlate_units(acts, s)
    assert r.shape == (4,) and r.dtype == torch.float64
    assert r[0] == pytest.approx(1.0, abs=1e-9) and r[1] == pytest.approx(-1.0, abs=1e-9)
    assert r[2] == 0.0  # a unit that never changes
    assert abs(float(r[3])) < 0.15
    expected = np.corrcoef(other.numpy(), s.numpy())[0, 1]
    assert float(r[3]) == pytest.approx(expected, abs=1e-6)
    # numpy arrays and lists are accepted as signals
    torch.testing.assert_close(lc.correlate_units(acts, s.numpy()), r)
    torch.testing.assert_close(lc.correlate_units(acts, s.tolist()), r)


def test_correlate_units_mask():
    s = _noise()
    acts = torch.stack([s.clone(), s.clone()], dim=1)
    mask = torch.arange(500) % 2 == 0
    acts[~mask, 0] = 100.0  # spoils the correlation only on the steps left out
    r_all = lc.correlate_units(acts, s)
    r_mask = lc.correlate_units(acts, s, mask=mask)
    assert r_all[0] < 0.5 and r_mask[0] == pytest.approx(1.0, abs=1e-9)


def test_correlate_units_rejects_bad_input():
    acts = torch.randn(10, 3)
    rows = r"signal must have one value per step: length 10 \(the activations' rows\), got 9"
    with pytest.raises(ValueError, match=rows):
        lc.correlate_units(acts, torch.randn(9))
    with pytest.raises(ValueError, match="activations must have 2 dimensions"):
        lc.correlate_units(torch.randn(10), torch.randn(10))
    with pytest.raises(ValueError, match="signal must have 1 dimensions"):
        lc.correlate_units(acts, torch.randn(10, 1))
    with pytest.raises(TypeError, match="activations must be a floating-point tensor"):
        lc.correlate_units(torch.ones(10, 3, dtype=torch.long), torch.randn(10))
    with pytest.raises(ValueError, match="signal is constant"):
        lc.correlate_units(acts, torch.ones(10))
    with pytest.raises(ValueError, match="signal must be finite"):
        lc.correlate_units(acts, torch.tensor([float("nan")] * 10))
    with pytest.raises(TypeError, match="signal must be a tensor"):
        lc.correlate_units(acts, "abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"mask must have shape \(10\)"):
        lc.correlate_units(acts, torch.randn(10), mask=torch.ones(9, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must have dtype torch.bool"):
        lc.correlate_units(acts, torch.randn(10), mask=torch.ones(10))


def test_shuffled_control_is_low_for_unrelated_signals_and_repeatable():
    s = _noise(2000)
    acts = torch.stack([s + 0.1 * _noise(2000, seed=k) for k in range(1, 9)], dim=1)  # 8 units that track s
    best = float(lc.correlate_units(acts, s).abs().max())
    control = lc.shuffled_control(acts, s, num_controls=10)
    assert control.shape == (10,) and control.dtype == torch.float64
    assert best > 0.99 and float(control.max()) < 0.15
    torch.testing.assert_close(control, lc.shuffled_control(acts, s, num_controls=10))  # same seed
    assert not torch.equal(control, lc.shuffled_control(acts, s, num_controls=10, seed=1))


def test_shuffled_control_by_words():
    text = " ".join(["a", "bb", "ccc", "dddd", "eeeee"] * 40)
    pos = lc.position_in_word(text)
    acts = torch.stack([pos, -pos], dim=1)  # (N, 2): a perfect "position in word" unit
    control = lc.shuffled_control(acts, pos, mode="words", text=text, num_controls=5)
    assert control.shape == (5,) and float(control.max()) < 0.9
    # reordering words keeps every value: the shuffled signal is a permutation of the signal
    gen = torch.Generator().manual_seed(0)
    shuffled = lc.shuffle_words(pos, text, gen)
    assert sorted(shuffled.tolist()) == sorted(pos.tolist())
    letters = torch.tensor([ch != " " for ch in text])
    masked = lc.shuffled_control(acts, pos, mode="words", text=text, mask=letters, num_controls=5)
    assert masked.shape == (5,)


def test_shuffled_control_rejects_bad_input():
    acts, s = torch.randn(50, 3), torch.randn(50)
    with pytest.raises(ValueError, match="mode must be 'shift' or 'words'"):
        lc.shuffled_control(acts, s, mode="rotate")
    with pytest.raises(ValueError, match="mode='words' needs the text"):
        lc.shuffled_control(acts, s, mode="words")
    with pytest.raises(ValueError, match="text must have one character per step: length 50, got 3"):
        lc.shuffled_control(acts, s, mode="words", text="a b")
    with pytest.raises(ValueError, match="min_shift must be less than half"):
        lc.shuffled_control(acts, s, min_shift=25)
    with pytest.raises(ValueError, match="signal must have one value per step"):
        lc.shuffled_control(acts, torch.randn(49))
    with pytest.raises(ValueError, match="num_controls must be an int > 0"):
        lc.shuffled_control(acts, s, num_controls=0)


def test_best_units():
    r = torch.tensor([0.1, -0.8, 0.5, 0.79], dtype=torch.float64)
    assert lc.best_units(r, 2) == [(1, pytest.approx(-0.8)), (3, pytest.approx(0.79))]
    assert [u for u, _ in lc.best_units(r, 4)] == [1, 3, 2, 0]
    with pytest.raises(ValueError, match="k must be at most the number of units"):
        lc.best_units(r, 5)
    with pytest.raises(ValueError, match="correlations must have 1 dimensions"):
        lc.best_units(r[None], 1)


def test_char_only_ceiling():
    text = "the time machine by h g wells " * 20
    assert lc.char_only_ceiling(text, lc.is_vowel(text)) == pytest.approx(1.0)
    pos = lc.position_in_word(text)
    ceiling = lc.char_only_ceiling(text, pos)
    assert 0.0 < ceiling < 1.0
    # no function of the current character correlates more strongly than the ceiling
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        value = {ch: float(torch.randn(1, generator=gen)) for ch in set(text)}
        f = torch.tensor([value[ch] for ch in text])
        r = lc.correlate_units(f[:, None], pos)
        assert abs(float(r[0])) <= ceiling + 1e-9
    letters = torch.tensor([ch != " " for ch in text])
    assert lc.char_only_ceiling(text, pos, mask=letters) < 1.0
    chars = r"signal must have one value per step: length 4 \(the text's characters\), got 3"
    with pytest.raises(ValueError, match=chars):
        lc.char_only_ceiling("abcd", torch.ones(3))
    with pytest.raises(ValueError, match="signal is constant"):
        lc.char_only_ceiling("abcd", torch.ones(4))


# ---------------------------------------------------------------- rendering


def test_colored_text_html():
    html = lc.colored_text_html("a<b c", [-1.0, 0.0, 1.0, 0.5, 2.0], title="unit 3")
    assert html.count("<span") == 5
    assert "&lt;" in html and "a<b" not in html  # escaped
    assert "rgb(" in html and "unit 3" in html
    low = lc.colored_text_html("a", [-1.0])
    high = lc.colored_text_html("a", [1.0])
    assert low != high
    chars = r"values must have one value per step: length 3 \(the text's characters\), got 2"
    with pytest.raises(ValueError, match=chars):
        lc.colored_text_html("abc", [0.0, 1.0])
    with pytest.raises(ValueError, match="vmin must be less than vmax"):
        lc.colored_text_html("abc", [0.0, 1.0, 2.0], vmin=1.0, vmax=1.0)
    with pytest.raises(ValueError, match=r"strength must be in \(0, 1\]"):
        lc.colored_text_html("abc", [0.0, 1.0, 2.0], strength=1.5)

    # the middle of the range is white, the ends are coloured
    def rgb(value: float) -> list[int]:
        found = re.search(r"rgb\((\d+), (\d+), (\d+)\)", lc.colored_text_html("a", [value]))
        return [int(c) for c in found.groups()]

    assert min(rgb(0.0)) >= 245  # white, nearly
    assert rgb(1.0)[0] > rgb(1.0)[2] + 50 and rgb(-1.0)[2] > rgb(-1.0)[0] + 50  # red high, blue low


def test_plot_colored_text():
    text = "the time machine " * 3
    ax = lc.plot_colored_text(text, torch.linspace(-1, 1, len(text)), width=20, title="a cell")
    assert len(ax.texts) == len(text)
    assert ax.images[0].get_array().shape == (3, 20, 3)  # rows, characters per row, RGB
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="width must be an int > 0"):
        lc.plot_colored_text("ab", [0.0, 1.0], width=0)
    with pytest.raises(ValueError, match="values must have one value per step"):
        lc.plot_colored_text("ab", [0.0])


# ---------------------------------------------------------------- gates


def test_gate_statistics():
    gate = torch.tensor([[0.05, 0.5], [0.95, 0.95], [0.05, 0.05]])  # (N, num_hiddens)
    stats = lc.gate_statistics(gate, ["space", "later letter", "space"])
    assert list(stats) == ["space", "later letter"]
    assert stats["space"]["steps"] == 2
    assert stats["space"]["frac_low"] == pytest.approx(0.75)
    assert stats["space"]["mean"] == pytest.approx((0.05 + 0.5 + 0.05 + 0.05) / 4)
    assert stats["later letter"]["frac_high"] == pytest.approx(1.0)
    assert stats["later letter"]["frac_low"] == 0.0


def test_gate_statistics_rejects_bad_input():
    gate = torch.rand(4, 3)
    with pytest.raises(ValueError, match="classes must have one label per step: length 4, got 3"):
        lc.gate_statistics(gate, ["a", "b", "c"])
    with pytest.raises(TypeError, match="classes must be a sequence of labels"):
        lc.gate_statistics(gate, "abcd")
    with pytest.raises(ValueError, match="gate must have 2 dimensions"):
        lc.gate_statistics(torch.rand(4), ["a"] * 4)
    with pytest.raises(ValueError, match=r"gate must hold values in \[0, 1\]"):
        lc.gate_statistics(gate - 1.0, ["a"] * 4)
    with pytest.raises(ValueError, match="low and high must satisfy"):
        lc.gate_statistics(gate, ["a"] * 4, low=0.9, high=0.1)


# ---- bad input


BAD_INPUT = [
    case(
        "correlate-activations-nan",
        lambda: lc.correlate_units(torch.tensor([[0.0], [NAN], [1.0]]), [0.0, 1.0, 2.0]),
        ValueError,
        r"\bactivations\b.*finite.*1 NaN",
    ),
    case(
        "correlate-signal-nan",
        lambda: lc.correlate_units(torch.zeros(3, 2), [0.0, NAN, 2.0]),
        ValueError,
        r"\bsignal\b.*finite",
    ),
    case(
        "gate_statistics-nan",
        lambda: lc.gate_statistics(torch.tensor([[0.5], [NAN]]), ["space", "other"]),
        ValueError,
        r"\bgate\b.*finite.*1 NaN",
    ),
    case(
        "gate_statistics-low-inf",
        lambda: lc.gate_statistics(torch.tensor([[0.5]]), ["space"], low=INF),
        ValueError,
        r"\blow\b.*inf",
    ),
    case("best_units-nan", lambda: lc.best_units(torch.tensor([0.1, NAN])), ValueError, r"\bcorrelations\b.*finite"),
    case(
        "colored_text-cmap-None",
        lambda: lc.colored_text_html("ab", [0.0, 1.0], cmap=None),
        TypeError,
        r"\bcmap\b.*NoneType",
    ),
    case(
        "colored_text-cmap-name",
        lambda: lc.colored_text_html("ab", [0.0, 1.0], cmap="nope"),
        ValueError,
        r"\bcmap\b.*'nope'",
    ),
    case(
        "cell_activations-indices-range",
        lambda: lc.cell_activations(lc.LSTMScratch(3, 4), torch.tensor([0, 3])),
        ValueError,
        r"\bindices\b.*\[0, 3\)",
    ),
    case("word_spans-None", lambda: lc.word_spans(None), TypeError, r"\btext\b.*NoneType"),
]

test_bad_input = bad_input_test(BAD_INPUT)
