"""Tests of ``lstm_companion.sequences`` (chapter 5): padding, the last valid step, packed models."""

from __future__ import annotations

import pytest
import torch
from bad_input import V, bad_input_test, case
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

import lstm_companion as lc

# ------------------------------------------------------------------ pad_batch


def _seqs(lengths=(3, 1, 4), d=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(n, d, generator=gen) for n in lengths]


def test_pad_batch_matches_pad_sequence_and_returns_cpu_int64_lengths():
    seqs = _seqs()
    padded, lengths = lc.pad_batch(seqs)
    assert padded.shape == (3, 4, 2)
    assert torch.equal(padded, pad_sequence(seqs, batch_first=True))
    assert lengths.dtype == torch.long and lengths.device.type == "cpu"
    assert lengths.tolist() == [3, 1, 4]
    time_major, lengths2 = lc.pad_batch(seqs, batch_first=False)
    assert torch.equal(time_major, pad_sequence(seqs))
    assert torch.equal(lengths, lengths2)


def test_pad_batch_padding_value_and_feature_shapes():
    seqs = [torch.ones(2, 3, 4), torch.ones(1, 3, 4)]
    padded, lengths = lc.pad_batch(seqs, padding_value=-7.0)
    assert padded.shape == (2, 2, 3, 4)
    assert torch.all(padded[1, 1] == -7.0) and torch.all(padded[1, 0] == 1.0)
    ints, _ = lc.pad_batch([torch.tensor([1, 2, 3]), torch.tensor([4])])  # 1-D sequences of token ids
    assert ints.dtype == torch.long and ints.tolist() == [[1, 2, 3], [4, 0, 0]]


@pytest.mark.parametrize(
    "bad, exc, match",
    [
        ([], ValueError, "at least one sequence"),
        (torch.zeros(2, 3, 1), TypeError, "already padded"),
        ([torch.zeros(2, 1), torch.zeros(0, 1)], ValueError, r"sequences\[1\] is empty"),
        ([torch.zeros(2, 1), torch.zeros(2, 3)], ValueError, r"sequences\[1\] has feature shape"),
        ([torch.zeros(2, 1), torch.zeros(2, 1, dtype=torch.float64)], TypeError, r"sequences\[1\] has dtype"),
        ([torch.zeros(2, 1), [0.0, 1.0]], TypeError, r"sequences\[1\] must be a torch.Tensor"),
        ([torch.tensor(1.0)], ValueError, "time axis"),
        ("abc", TypeError, "sequences must be a list"),
    ],
)
def test_pad_batch_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        lc.pad_batch(bad)


# ------------------------------------------------------------------ masks and gathers


def test_length_mask():
    mask = lc.length_mask(torch.tensor([2, 3, 1]))
    assert mask.tolist() == [[True, True, False], [True, True, True], [True, False, False]]
    assert torch.equal(lc.length_mask(torch.tensor([2, 3, 1]), 4, batch_first=False)[:3], mask.T)
    assert lc.length_mask(torch.tensor([1]), 4).shape == (1, 4)


def test_last_valid_equals_packed_h_n():
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 5)
    seqs = _seqs((4, 2, 5, 1))
    padded, lengths = lc.pad_batch(seqs, batch_first=False)
    out, (h_n, _) = lstm(pack_padded_sequence(padded, lengths, enforce_sorted=False))
    out, _ = pad_packed_sequence(out)  # (max_length, batch_size, 5)
    assert torch.allclose(lc.last_valid(out, lengths), h_n[0], atol=1e-6)
    assert torch.allclose(lc.last_valid(out.transpose(0, 1), lengths, batch_first=True), h_n[0], atol=1e-6)


def test_last_valid_by_hand():
    outputs = torch.arange(3 * 2 * 1, dtype=torch.float32).reshape(3, 2, 1)  # (num_steps, batch_size, 1)
    assert lc.last_valid(outputs, torch.tensor([1, 3])).tolist() == [[0.0], [5.0]]


@pytest.mark.parametrize(
    "lengths, exc, match",
    [
        (torch.tensor([1, 2, 3]), ValueError, "one entry per sequence"),
        (torch.tensor([0, 2]), ValueError, r"lengths must lie in \[1, 3\]"),
        (torch.tensor([4, 2]), ValueError, r"lengths must lie in \[1, 3\]"),
        (torch.tensor([1.0, 2.0]), TypeError, "lengths must be an integer tensor"),
        ([1, 2], TypeError, "lengths must be a torch.Tensor"),
        (torch.tensor([[1, 2]]), ValueError, "lengths must have 1 dimensions"),
    ],
)
def test_last_valid_bad_lengths(lengths, exc, match):
    with pytest.raises(exc, match=match):
        lc.last_valid(torch.zeros(3, 2, 4), lengths)


# ------------------------------------------------------------------ the padded-sequence model


def test_padded_model_packed_ignores_padding_and_naive_does_not():
    torch.manual_seed(0)
    model = lc.PaddedSequenceModel(nn.LSTM(2, 6), 3, packed=True)
    seqs = _seqs((4, 2))
    X, lengths = lc.pad_batch(seqs)  # (2, 4, 2)
    alone = model(seqs[1][None], torch.tensor([2]))  # the short sequence by itself
    together = model(X, lengths)
    assert together.shape == (2, 3)
    assert torch.allclose(together[1], alone[0], atol=1e-6)
    X_other = X.clone()
    X_other[1, 2:] = 5.0  # change only the padding
    assert torch.allclose(model(X_other, lengths), together, atol=1e-6)
    model.packed = False
    assert not torch.allclose(model(X_other, lengths)[1], model(X, lengths)[1], atol=1e-3)
    assert torch.allclose(model(X, lengths)[0], together[0], atol=1e-6)  # the longest sequence: no padding


def test_padded_model_works_with_gru_and_proj_size():
    torch.manual_seed(0)
    X, lengths = lc.pad_batch(_seqs((3, 2)))
    assert lc.PaddedSequenceModel(nn.GRU(2, 5), 2)(X, lengths).shape == (2, 2)
    assert lc.PaddedSequenceModel(nn.LSTM(2, 5, proj_size=3), 2)(X, lengths).shape == (2, 2)
    assert lc.PaddedSequenceModel(nn.LSTM(2, 5, num_layers=2), 2)(X, lengths).shape == (2, 2)


# ------------------------------------------------------------------ task, training, accuracy


def test_sign_of_sum_task():
    seqs, y = lc.sign_of_sum_task(200, 3, 9, seed=0)
    assert len(seqs) == 200 and y.shape == (200,) and y.dtype == torch.long
    assert {len(s) for s in seqs} <= set(range(3, 10)) and len({len(s) for s in seqs}) > 3
    assert all(s.shape[1] == 1 and s.abs().max() <= 1 for s in seqs)
    assert all(int(s.sum() > 0) == int(label) for s, label in zip(seqs, y))
    assert 0.35 < float(y.float().mean()) < 0.65
    again, y2 = lc.sign_of_sum_task(200, 3, 9, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(seqs, again)) and torch.equal(y, y2)
    with pytest.raises(ValueError, match="max_length must be >= min_length"):
        lc.sign_of_sum_task(10, 5, 4)
    with pytest.raises(ValueError, match="num_samples"):
        lc.sign_of_sum_task(0, 1, 4)
    with pytest.raises(TypeError, match="seed"):
        lc.sign_of_sum_task(10, 1, 4, seed=1.5)


def test_train_padded_learns_and_accuracy():
    seqs, y = lc.sign_of_sum_task(512, 2, 8, seed=0)
    X, lengths = lc.pad_batch(seqs)
    torch.manual_seed(0)
    model = lc.PaddedSequenceModel(nn.LSTM(1, 16), 2)
    before = lc.padded_accuracy(model, X, lengths, y)
    config = lc.FitConfig(num_updates=150, batch_size=64, lr=1e-2, optimizer="adam", seed=0)
    hist = lc.train_padded(model, X, lengths, y, config, device="cpu", progress=False)
    assert len(hist.step_loss) == 150 and len(hist.step_grad_norm) == 150
    after = lc.padded_accuracy(model, X, lengths, y, batch_size=100)
    assert after > 0.85 and after > before
    assert model.training  # padded_accuracy restores the mode


# ---- bad input


BAD_INPUT = [
    case(
        "pad_batch-dtype",
        lambda: lc.pad_batch([torch.zeros(2, 1), torch.zeros(1, 1, dtype=torch.float64)]),
        TypeError,
        r"sequences\[1\] has dtype torch\.float64",
    ),
    case("pad_batch-tensor", lambda: lc.pad_batch(torch.zeros(2, 3)), TypeError, r"\bsequences\b.*Tensor"),
    case(
        "last_valid-lengths-long",
        lambda: lc.last_valid(torch.zeros(2, 2, 4), torch.tensor([1, 3])),
        ValueError,
        r"\blengths\b.*\[1, 2\].*\[1, 3\]",
    ),
    case(
        "last_valid-lengths-count",
        lambda: lc.last_valid(torch.zeros(2, 2, 4), torch.tensor([1, 1, 1])),
        ValueError,
        r"\blengths\b.*batch_size=2, got 3",
    ),
    case("length_mask-num_steps-0", lambda: lc.length_mask(torch.tensor([1]), 0), ValueError, r"\bnum_steps\b.*0"),
    case("length_mask-None", lambda: lc.length_mask(None), TypeError, r"\blengths\b.*NoneType"),
    case("tagger-core-size", lambda: lc.Tagger(nn.LSTM(4, 4), V, 3), ValueError, r"\bvocab_size\b=5.*got 4"),
    case(
        "padded-core-bidirectional",
        lambda: lc.PaddedSequenceModel(nn.LSTM(1, 4, bidirectional=True), 2),
        ValueError,
        r"\bcore\b.*bidirectional",
    ),
    case(
        "sequences-last_valid-outputs",
        lambda: lc.last_valid(torch.zeros(3, 2), torch.tensor([1, 2])),
        ValueError,
        r"outputs must have 3 dimensions",
    ),
    case(
        "sequences-length_mask-lengths",
        lambda: lc.length_mask(torch.tensor(3)),
        ValueError,
        r"lengths must have 1 dimensions",
    ),
    case(
        "sequences-length_mask-num_steps",
        lambda: lc.length_mask(torch.tensor([1, 2]), 0),
        ValueError,
        r"num_steps must be an int > 0, got 0",
    ),
    case(
        "sequences-PaddedSequenceModel-core",
        lambda: lc.PaddedSequenceModel(lc.LSTMScratch(2, 3), 2),
        TypeError,
        r"core must be an nn.LSTM",
    ),
    case(
        "sequences-PaddedSequenceModel-core-2",
        lambda: lc.PaddedSequenceModel(nn.LSTM(2, 3, batch_first=True), 2),
        ValueError,
        r"batch_first=False and bidirectional=False",
    ),
    case(
        "sequences-PaddedSequenceModel-core-3",
        lambda: lc.PaddedSequenceModel(nn.LSTM(2, 3, bidirectional=True), 2),
        ValueError,
        r"batch_first=False and bidirectional=False",
    ),
    case(
        "sequences-PaddedSequenceModel-num_outputs",
        lambda: lc.PaddedSequenceModel(nn.LSTM(2, 3), 0),
        ValueError,
        r"num_outputs must be an int > 0, got 0",
    ),
    case(
        "sequences-PaddedSequenceModel-X",
        lambda: lc.PaddedSequenceModel(nn.LSTM(2, 3), 2)(torch.zeros(2, 4, 3), torch.tensor([4, 2])),
        ValueError,
        r"X must have shape",
    ),
    case(
        "sequences-PaddedSequenceModel-lengths",
        lambda: lc.PaddedSequenceModel(nn.LSTM(2, 3), 2)(torch.zeros(2, 4, 2), torch.tensor([5, 2])),
        ValueError,
        r"lengths must lie in \[1, 4\]",
    ),
    case(
        "sequences-train_padded-X",
        lambda: lc.train_padded(
            lc.PaddedSequenceModel(nn.LSTM(1, 4), 2),
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[0],
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[1],
            lc.sign_of_sum_task(32, 2, 5, seed=0)[1][:-1],
            lc.FitConfig(num_updates=1, batch_size=8),
            progress=False,
        ),
        ValueError,
        r"X and y must hold the same number",
    ),
    case(
        "sequences-train_padded-lengths",
        lambda: lc.train_padded(
            lc.PaddedSequenceModel(nn.LSTM(1, 4), 2),
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[0],
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[1][:-1],
            lc.sign_of_sum_task(32, 2, 5, seed=0)[1],
            lc.FitConfig(num_updates=1, batch_size=8),
            progress=False,
        ),
        ValueError,
        r"one entry per sequence",
    ),
    case(
        "sequences-train_padded-y",
        lambda: lc.train_padded(
            lc.PaddedSequenceModel(nn.LSTM(1, 4), 2),
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[0],
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[1],
            lc.sign_of_sum_task(32, 2, 5, seed=0)[1].float(),
            lc.FitConfig(num_updates=1, batch_size=8),
            progress=False,
        ),
        TypeError,
        r"y must be an integer tensor",
    ),
    case(
        "sequences-train_padded-batch_size",
        lambda: lc.train_padded(
            lc.PaddedSequenceModel(nn.LSTM(1, 4), 2),
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[0],
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[1],
            lc.sign_of_sum_task(32, 2, 5, seed=0)[1],
            lc.FitConfig(num_updates=1, batch_size=64),
            progress=False,
        ),
        ValueError,
        r"batch_size must be <=",
    ),
    case(
        "sequences-padded_accuracy-batch_size",
        lambda: lc.padded_accuracy(
            lc.PaddedSequenceModel(nn.LSTM(1, 4), 2),
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[0],
            lc.pad_batch(lc.sign_of_sum_task(32, 2, 5, seed=0)[0])[1],
            lc.sign_of_sum_task(32, 2, 5, seed=0)[1],
            batch_size=0,
        ),
        ValueError,
        r"batch_size must be an int > 0, got 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
