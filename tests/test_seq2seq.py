"""Encoder-decoder models (chapter 7): shapes, padding, greedy decoding, training, checkpoints, bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

import lstm_companion as lc
from lstm_companion import BOS_ID as BOS
from lstm_companion import EOS_ID as EOS
from lstm_companion import PAD_ID as PAD
from lstm_companion import (
    Seq2SeqConfig,
    Seq2SeqTrainConfig,
    TranslationConfig,
    build_seq2seq,
    greedy_decode,
    load_translation,
)

DECODERS = [
    ("plain", "general"),
    ("luong", "general"),
    ("luong", "additive"),
    ("luong", "dot"),
    ("bahdanau", "additive"),
]


def _model(decoder: str, attention: str, src_vocab: int = 11, tgt_vocab: int = 13) -> lc.Seq2Seq:
    torch.manual_seed(0)
    return build_seq2seq(Seq2SeqConfig(8, 10, 2, 0.0, decoder, attention), src_vocab, tgt_vocab).eval()


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    src = torch.tensor([[4, 5, 6, 7, EOS], [8, 9, EOS, PAD, PAD]])  # (batch_size, src_steps)
    src_len = torch.tensor([5, 3])
    dec_in = torch.tensor([[BOS, 4, 5, 6], [BOS, 7, PAD, PAD]])  # (batch_size, tgt_steps)
    return src, src_len, dec_in


@pytest.mark.parametrize(("decoder", "attention"), DECODERS)
def test_shapes_and_padding(decoder: str, attention: str) -> None:
    model = _model(decoder, attention)
    src, src_len, dec_in = _batch()
    logits, weights = model(src, src_len, dec_in)
    assert logits.shape == (2, 4, 13)
    if decoder == "plain":
        assert weights is None
    else:
        assert weights.shape == (2, 4, 5)
        assert torch.all(weights[1, :, 3:] == 0)  # padded source positions get no attention
        assert torch.allclose(weights.sum(-1), torch.ones(2, 4))
    # the second sentence alone (no padding) gives the same logits: padding changes nothing
    alone, _ = model(src[1:, :3], src_len[1:], dec_in[1:])
    assert torch.allclose(alone, logits[1:], atol=1e-5)


@pytest.mark.parametrize(("decoder", "attention"), DECODERS)
def test_greedy_equals_argmax_of_teacher_forced_run_on_its_own_output(decoder: str, attention: str) -> None:
    model = _model(decoder, attention)
    src, src_len, _ = _batch()
    ids, weights = greedy_decode(model, src, src_len, max_steps=6)
    assert ids.shape[0] == 2 and ids.shape[1] <= 6
    dec_in = torch.cat([torch.full((2, 1), BOS), ids[:, :-1]], dim=1)
    logits, w = model(src, src_len, dec_in)
    for b in range(2):
        row = ids[b].tolist()
        n = row.index(EOS) + 1 if EOS in row else len(row)
        assert logits[b, :n].argmax(-1).tolist() == row[:n]
        if weights is not None:
            assert torch.allclose(weights[b, :n], w[b, :n], atol=1e-6)
        assert all(t == PAD for t in row[n:])


def test_luong_and_bahdanau_differ_only_in_where_attention_sits() -> None:
    luong, bahdanau = _model("luong", "additive"), _model("bahdanau", "additive")
    assert bahdanau.decoder.rnn.input_size == 8 + 10  # embedding and context: attention before the LSTM
    assert luong.decoder.rnn.input_size == 8  # embedding only: attention after the LSTM
    assert isinstance(luong.decoder.attention, type(bahdanau.decoder.attention))


def test_training_learns_to_copy() -> None:
    words = ("abc", "def", "ghi", "jkl")
    text = "\n".join(f"{a} {b} {c} {d}\t{a} {b} {c} {d}" for a, b, c, d in itertools.product(*words))
    data = load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=6), text=text)
    model = build_seq2seq(Seq2SeqConfig(16, 32, 1, 0.0, "luong", "dot"), len(data.src_vocab), len(data.tgt_vocab))
    history = lc.train_seq2seq(model, data, Seq2SeqTrainConfig(num_epochs=12, batch_size=25, lr=2e-2), progress=False)
    assert history.train_ppl[-1] < 1.5 < history.train_ppl[0]
    bleu, hyps = lc.evaluate_bleu(model, data)
    assert bleu > 0.5, hyps  # held-out triples are new combinations of known words


def test_save_and_load_pretrained(tmp_path: Path) -> None:
    text = "\n".join(f"{a} {b}\t{b} {a}" for a in "abcdef" for b in "ghijkl")
    data = load_translation(TranslationConfig(max_words=2, min_freq=1, num_test=3), text=text)
    cfg = Seq2SeqConfig(8, 8, 1, 0.0, "luong", "general")
    model = build_seq2seq(cfg, len(data.src_vocab), len(data.tgt_vocab))
    rec = lc.save_pretrained(model, tmp_path, "m", {"data": data.config.to_dict(), "model": cfg.to_dict()})
    assert rec["sha256"] == lc.file_hash(tmp_path / "m.pt")
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    loaded, same_data, record = lc.load_pretrained(tmp_path, "m", data=data)
    assert record == json.loads((tmp_path / "m.json").read_text()) and same_data is data
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v.half().float(), v2)
    with pytest.raises(ValueError, match="data was built with"):
        lc.load_pretrained(tmp_path, "m", data=load_translation(TranslationConfig(2, None, 1, 2), text=text))
    (tmp_path / "m.pt").write_bytes((tmp_path / "m.pt").read_bytes() + b"x")
    with pytest.raises(ValueError, match="has the wrong sha256"):
        lc.load_pretrained(tmp_path, "m", data=data)


def test_bad_input() -> None:
    model = _model("luong", "general")
    src, src_len, dec_in = _batch()
    with pytest.raises(ValueError, match="src_len must have one length per source sentence"):
        model(src, src_len[:1], dec_in)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\]"):
        model(src, torch.tensor([5, 0]), dec_in)  # an empty source sentence
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\]"):
        model(src, torch.tensor([6, 3]), dec_in)  # a length longer than the padded batch
    with pytest.raises(ValueError, match=r"src must hold token indices in \[0, 11\)"):
        model(src + 10, src_len, dec_in)
    with pytest.raises(ValueError, match="dec_in must have one row per source sentence"):
        model(src, src_len, dec_in[:1])
    with pytest.raises(ValueError, match="src must have 2 dimensions"):
        model(src[0], src_len, dec_in)
    with pytest.raises(TypeError, match="integer tensor"):
        model(src.float(), src_len, dec_in)
    with pytest.raises(ValueError, match="decoder must be 'plain', 'luong' or 'bahdanau'"):
        build_seq2seq(Seq2SeqConfig(decoder="gru"), 5, 5)
    with pytest.raises(ValueError, match="max_steps must be an int > 0"):
        greedy_decode(model, src, src_len, 0)
