"""Encoder-decoder models (chapter 7): shapes, padding, greedy decoding, training, checkpoints, bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch
from bad_input import (
    INF,
    SEQ2SEQ_CONFIG,
    VOCAB,
    bad_input_test,
    case,
    in_tmp,
    lm,
    seq2seq,
    translation_data,
)

import lstm_companion as lc
from lstm_companion import BOS_ID as BOS
from lstm_companion import EOS_ID as EOS
from lstm_companion import PAD_ID as PAD
from lstm_companion import (
    Seq2SeqConfig,
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
    history = lc.train_seq2seq(
        model, data, lc.FitConfig(num_epochs=12, batch_size=25, lr=2e-2, dropout_seed=0), progress=False
    )
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


# ---- bad input


def record(data):
    return {"data": data.config.to_dict(), "model": SEQ2SEQ_CONFIG.to_dict()}


def saved(folder):
    """Save a tiny translator as ``folder/m.pt`` and ``folder/m.json``; return its data."""
    data = translation_data()
    lc.save_pretrained(seq2seq(data), folder, "m", record(data))
    return data


def edit_record(folder, **changes):
    path = folder / "m.json"
    rec = json.loads(path.read_text())
    rec.update(changes)
    path.write_text(json.dumps(rec))


def load_with(damage):
    """Save a translator, damage its files with ``damage(folder)``, then load it."""

    def run(folder):
        data = saved(folder)
        damage(folder)
        return lc.load_pretrained(folder, "m", data=data)

    return in_tmp(run)


def truncate_checkpoint(folder):
    pt = folder / "m.pt"
    pt.write_bytes(pt.read_bytes()[:200])
    edit_record(folder, sha256=lc.file_hash(pt), bytes=pt.stat().st_size)


def with_batch(call):
    """A callable that calls ``call(model, src, src_len, dec_in)`` on a small Luong model and ``_batch()``."""
    return lambda: call(_model("luong", "general"), *_batch())


BAD_INPUT = [
    case(
        "seq2seq-config-dropout-inf",
        lambda: lc.build_seq2seq(lc.Seq2SeqConfig(dropout=INF), 5, 5),
        ValueError,
        r"\bdropout\b.*inf",
    ),
    case(
        "seq2seq-config-attention",
        lambda: lc.build_seq2seq(lc.Seq2SeqConfig(attention="cosine"), 5, 5),
        ValueError,
        r"\battention\b.*'cosine'",
    ),
    case("seq2seq-config-None", lambda: lc.build_seq2seq(None, 5, 5), TypeError, r"\bconfig\b.*NoneType"),
    case("seq2seq-tgt_vocab_size-0", lambda: lc.build_seq2seq(SEQ2SEQ_CONFIG, 5, 0), ValueError, r"\btgt_vocab_size\b"),
    case("decoder-dropout-2", lambda: lc.PlainDecoder(5, 4, 4, dropout=2.0), ValueError, r"\bdropout\b.*2\.0"),
    case(
        "encoder-src-range",
        lambda: lc.Seq2SeqEncoder(7, 4, 4)(torch.tensor([[1, 9]]), torch.tensor([2])),
        ValueError,
        r"\bsrc\b.*\[0, 7\).*9",
    ),
    case(
        "greedy_decode-src_len-None",
        lambda: lc.greedy_decode(seq2seq(), torch.tensor([[4, 3]]), None, 3),
        TypeError,
        r"\bsrc_len\b.*torch\.Tensor",
    ),
    case(
        "greedy_decode-src-None",
        lambda: lc.greedy_decode(seq2seq(), None, torch.tensor([2]), 3),
        TypeError,
        r"\bsrc\b.*torch\.Tensor",
    ),
    case(
        "greedy_decode-model",
        lambda: lc.greedy_decode(lm(), torch.tensor([[4, 3]]), torch.tensor([2]), 3),
        TypeError,
        r"\bmodel\b.*RNNLM",
    ),
    case(
        "translate-tgt_vocab-size",
        lambda: lc.translate(seq2seq(), [["a"]], translation_data().src_vocab, VOCAB),
        ValueError,
        r"\btgt_vocab\b has 5 tokens",
    ),
    case(
        "translate-sentences-None",
        lambda: lc.translate(seq2seq(), None, VOCAB, VOCAB),
        TypeError,
        r"\bsentences\b.*NoneType",
    ),
    case(
        "seq2seq-dec_in-range",
        lambda: seq2seq()(torch.tensor([[4, 3]]), torch.tensor([2]), torch.tensor([[2, 99]])),
        ValueError,
        r"\bdec_in\b.*99",
    ),
    case(
        "save_pretrained-name-None",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, None, {})),
        TypeError,
        r"\bname\b.*NoneType",
    ),
    case(
        "save_pretrained-name-path",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, "a/b", {})),
        ValueError,
        r"\bname\b.*'a/b'",
    ),
    case(
        "save_pretrained-record-no-model",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, "m", {"data": {}})),
        ValueError,
        r"\brecord\b.*lacks the key\(s\) \['model'\]",
    ),
    case(
        "save_pretrained-record-unknown-field",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, "m", {"data": {}, "model": {"num_heads": 2}})),
        ValueError,
        r"\brecord\b.*\['model'\].*'num_heads'",
    ),
    case(
        "save_pretrained-record-bad-config",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, "m", {"data": {"num_test": 0}, "model": {}})),
        ValueError,
        r"\brecord\b.*\['data'\].*num_test",
    ),
    case(
        "save_pretrained-record-not-json",
        in_tmp(
            lambda folder: lc.save_pretrained(
                seq2seq(), folder, "m", {**record(translation_data()), "x": torch.zeros(1)}
            )
        ),
        TypeError,
        r"\brecord\b must hold only JSON values",
    ),
    case(
        "save_pretrained-weights-not-record",
        in_tmp(lambda folder: lc.save_pretrained(seq2seq(), folder, "m", {"data": {}, "model": {"num_hiddens": 16}})),
        ValueError,
        r"m\.pt\.part-\w+ does not fit the model described by the record's 'model' settings",
    ),
    case("load_pretrained-folder-None", lambda: lc.load_pretrained(None, "m"), TypeError, r"\bfolder\b.*NoneType"),
    case(
        "load_pretrained-no-record",
        in_tmp(lambda folder: lc.load_pretrained(folder, "m")),
        FileNotFoundError,
        r"m\.json was not found",
    ),
    case(
        "load_pretrained-record-damaged",
        load_with(lambda folder: (folder / "m.json").write_text('{"checkpoint": "m.pt", ')),
        ValueError,
        r"m\.json is not a valid JSON",
    ),
    case(
        "load_pretrained-record-list",
        load_with(lambda folder: (folder / "m.json").write_text("[]")),
        ValueError,
        r"m\.json is not a JSON translation record.*list",
    ),
    case(
        "load_pretrained-record-incomplete",
        load_with(lambda folder: (folder / "m.json").write_text('{"checkpoint": "m.pt"}')),
        ValueError,
        r"m\.json is not a complete translation record.*'sha256'",
    ),
    case(
        "load_pretrained-checkpoint-missing",
        load_with(lambda folder: (folder / "m.pt").unlink()),
        FileNotFoundError,
        r"m\.pt was not found \(the checkpoint named by .*m\.json\)",
    ),
    case(
        "load_pretrained-checkpoint-path",
        load_with(lambda folder: edit_record(folder, checkpoint="../m.pt")),
        ValueError,
        r"m\.json.*\['checkpoint'\].*'\.\./m\.pt'",
    ),
    case(
        "load_pretrained-data-config",
        load_with(lambda folder: edit_record(folder, data={"max_words": 0})),
        ValueError,
        r"m\.json.*\['data'\] is not a valid TranslationConfig.*max_words",
    ),
    case(
        "load_pretrained-checkpoint-truncated",
        load_with(truncate_checkpoint),
        ValueError,
        r"m\.pt is damaged or not a state dict of weights \(named by m\.json\)",
    ),
    case(
        "load_pretrained-model-mismatch",
        load_with(lambda folder: edit_record(folder, model={**SEQ2SEQ_CONFIG.to_dict(), "num_hiddens": 16})),
        ValueError,
        r"m\.pt does not fit the model described by .*m\.json",
    ),
    case(
        "seq2seq-src_len-count",
        with_batch(lambda m, src, n, dec_in: m(src, n[:1], dec_in)),
        ValueError,
        r"src_len must have one length per source sentence",
    ),
    case(
        "seq2seq-src_len-0",
        with_batch(lambda m, src, n, dec_in: m(src, torch.tensor([5, 0]), dec_in)),
        ValueError,
        r"lengths must lie in \[1, 5\]",
    ),
    case(
        "seq2seq-src_len-too-long",
        with_batch(lambda m, src, n, dec_in: m(src, torch.tensor([6, 3]), dec_in)),
        ValueError,
        r"lengths must lie in \[1, 5\]",
    ),
    case(
        "seq2seq-src-range",
        with_batch(lambda m, src, n, dec_in: m(src + 10, n, dec_in)),
        ValueError,
        r"src must hold token indices in \[0, 11\)",
    ),
    case(
        "seq2seq-dec_in-rows",
        with_batch(lambda m, src, n, dec_in: m(src, n, dec_in[:1])),
        ValueError,
        r"dec_in must have one row per source sentence",
    ),
    case(
        "seq2seq-src-1d",
        with_batch(lambda m, src, n, dec_in: m(src[0], n, dec_in)),
        ValueError,
        r"src must have 2 dimensions",
    ),
    case(
        "seq2seq-src-float",
        with_batch(lambda m, src, n, dec_in: m(src.float(), n, dec_in)),
        TypeError,
        r"\bsrc\b.*integer tensor",
    ),
    case(
        "seq2seq-config-decoder",
        lambda: build_seq2seq(Seq2SeqConfig(decoder="gru"), 5, 5),
        ValueError,
        r"decoder must be 'plain', 'luong' or 'bahdanau'",
    ),
    case(
        "greedy_decode-max_steps-0",
        with_batch(lambda m, src, n, dec_in: greedy_decode(m, src, n, 0)),
        ValueError,
        r"max_steps must be an int > 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
