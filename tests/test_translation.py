"""English-French data and the translator's checkpoint files (chapter 7): d2l's preprocessing, encoding, the grouped
held-out split; a damaged, truncated or wrong-kind checkpoint named; the committed one read bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from bad_input import VOCAB, bad_input_test, case

import lstm_companion as lc
from lstm_companion import (
    BOS_ID as BOS,
)
from lstm_companion import (
    EOS_ID as EOS,
)
from lstm_companion import (
    PAD_ID as PAD,
)
from lstm_companion import (
    Seq2SeqConfig,
    TranslationConfig,
    TranslationData,
    build_seq2seq,
    decode_ids,
    encode_batch,
    file_hash,
    load_model,
    load_pretrained,
    load_training_state,
    load_translation,
    load_with_record,
    preprocess_nmt,
    read_fra_eng,
    save_pretrained,
    save_training_state,
    save_with_record,
    tokenize_nmt,
)

TEXT = "\n".join(
    [
        "Go.\tVa !",
        "Go.\tBouge !",
        "Hi.\tSalut !",
        "Run!\tCours\u202f!",
        "I ran.\tJ'ai couru.",
        "Who?\tQui ?",
        "Wow!\tÇa alors\u202f!",
        "This sentence is much too long to keep here.\tCette phrase est bien trop longue pour la garder.",
        "",
    ]
)


def test_preprocess_like_d2l() -> None:
    assert preprocess_nmt("Run!\tCours\u202f!") == "run !\tcours !"
    assert preprocess_nmt("Hi, you.\xa0Ok?") == "hi , you . ok ?"
    d2l = pytest.importorskip("d2l.torch", reason="d2l is part of the book's environment, not the companion's")
    assert preprocess_nmt(TEXT) == d2l.MTFraEng._preprocess(None, TEXT)  # the method does not use self


def test_tokenize_skips_lines_without_one_tab() -> None:
    src, tgt = tokenize_nmt(preprocess_nmt(TEXT))
    assert len(src) == len(tgt) == 8
    assert src[0] == ["go", "."] and tgt[3] == ["cours", "!"]
    assert tokenize_nmt(preprocess_nmt(TEXT), max_examples=2)[0] == [["go", "."], ["go", "."]]


def test_encode_and_decode() -> None:
    data = load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=1), text=TEXT)
    v = data.tgt_vocab
    assert [v.idx_to_token[i] for i in (0, PAD, BOS, EOS)] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    a, b = v.idx_to_token[4], v.idx_to_token[5]  # two words of the training side
    tokens, lengths = encode_batch([[a, b], [b]], v, bos=True, num_steps=5)
    assert tokens.shape == (2, 5) and lengths.tolist() == [4, 3]
    assert tokens[1].tolist()[:3] == [BOS, 5, EOS] and tokens[1, 3:].tolist() == [PAD, PAD]
    assert decode_ids(tokens[0], v) == [a, b]
    assert decode_ids(torch.tensor([5, EOS, 4]), v) == [b]  # stops at <eos>
    assert encode_batch([["zzz"]], v)[0].tolist() == [[0, EOS]]  # unknown word -> <unk>
    with pytest.raises(ValueError, match=r"sentences\[1\] is empty"):
        encode_batch([["qui"], []], v)
    with pytest.raises(ValueError, match="non-empty list"):
        encode_batch([], v)
    with pytest.raises(TypeError, match=r"sentences\[0\] must be a list of words"):
        encode_batch(["qui ?"], v)
    with pytest.raises(ValueError, match="num_steps must be at least the longest encoded sentence"):
        encode_batch([["salut", "!"]], v, num_steps=2)


def test_split_groups_by_source_sentence() -> None:
    data = load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=2, seed=1), text=TEXT)
    train_sources = {
        tuple(data.src_vocab.to_tokens(row[: n - 1])) for row, n in zip(data.train_src, data.train_src_len)
    }
    assert len(data.test_src) == 2 and not train_sources & {tuple(s) for s in data.test_src}
    assert data.num_train + sum(len(r) for r in data.test_refs) == 7  # the long pair is dropped
    if ["go", "."] in data.test_src:
        assert sorted(data.test_refs[data.test_src.index(["go", "."])]) == [["bouge", "!"], ["va", "!"]]
    # teacher forcing layout: <bos> y <eos>
    assert torch.all(data.train_tgt[:, 0] == BOS)
    assert torch.all(data.train_tgt.gather(1, (data.train_tgt_len - 1)[:, None]) == EOS)
    again = load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=2, seed=1), text=TEXT)
    assert again.test_src == data.test_src and torch.equal(again.train_src, data.train_src)
    # a development set comes out of the training sentences; the test sentences stay the same
    with_dev = load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=2, seed=1, num_dev=1), text=TEXT)
    assert with_dev.test_src == data.test_src and len(with_dev.dev_src) == 1 and data.dev_src == []
    assert with_dev.dev_src[0] not in with_dev.test_src
    assert with_dev.num_train + sum(len(r) for r in with_dev.dev_refs) == data.num_train


def test_real_file(shared_data: Path) -> None:
    text = read_fra_eng(local_dir=shared_data)
    assert len(text.split("\n")) == 167131  # 167130 pairs and a final empty line
    src, tgt = tokenize_nmt(preprocess_nmt(text))
    assert len(src) == 167130 and src[0] == ["go", "."] and tgt[0] == ["va", "!"]


# ---------------------------------------------------------------- the translator's checkpoint files

REPO = Path(__file__).resolve().parents[1]
PAIRS = "\n".join(f"{a} {b}\t{b} {a}" for a in "abcdef" for b in "ghijkl")


def _saved_translator(folder: Path) -> TranslationData:
    """A tiny translator saved as ``folder/m.pt`` and ``folder/m.json``; returns its data."""
    data = load_translation(TranslationConfig(max_words=2, min_freq=1, num_test=3), text=PAIRS)
    cfg = Seq2SeqConfig(8, 8, 1, 0.0, "luong", "general")
    model = build_seq2seq(cfg, len(data.src_vocab), len(data.tgt_vocab))
    save_pretrained(model, folder, "m", {"data": data.config.to_dict(), "model": cfg.to_dict()})
    return data


def _rehash(folder: Path) -> None:
    """Store the damaged weights' own sha256 in the record, so that the loader reads past the hash check."""
    rec = json.loads((folder / "m.json").read_text())
    rec["sha256"] = file_hash(folder / "m.pt")
    (folder / "m.json").write_text(json.dumps(rec))


def test_a_truncated_translator_file_is_named(tmp_path: Path) -> None:
    data = _saved_translator(tmp_path)
    weights = tmp_path / "m.pt"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"m\.pt has the wrong sha256: the record says"):
        load_pretrained(tmp_path, "m", data=data)
    _rehash(tmp_path)  # a record that agrees with the truncated file: the checked loader finds the damage
    with pytest.raises(ValueError, match=r"m\.pt is damaged or not a state dict of weights \(named by m\.json\)"):
        load_pretrained(tmp_path, "m", data=data)


def test_a_flipped_byte_in_a_translator_file_is_named(tmp_path: Path) -> None:
    data = _saved_translator(tmp_path)
    weights = tmp_path / "m.pt"
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one bit of one weight: torch.load would read it without complaint
    weights.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"m\.pt has the wrong sha256: the record says [0-9a-f]{64}"):
        load_pretrained(tmp_path, "m", data=data)


def test_a_training_state_given_as_a_translator_is_named(tmp_path: Path) -> None:
    data = _saved_translator(tmp_path)
    model = torch.nn.Linear(2, 2)
    save_training_state(tmp_path / "m.pt", model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), step=1)
    _rehash(tmp_path)
    with pytest.raises(ValueError, match=r"m\.pt is a training state \(written by save_training_state\), not a state"):
        load_pretrained(tmp_path, "m", data=data)
    with pytest.raises(ValueError, match=r"m\.pt is a training state \(written by save_training_state\)"):
        load_model(model, tmp_path / "m.pt")
    _saved_translator(tmp_path / "t")  # and the other way round
    with pytest.raises(ValueError, match=r"t[/\\]m\.pt is not a training state written by save_training_state"):
        load_training_state(tmp_path / "t" / "m.pt", model=model)


def test_the_committed_translator_loads_bit_for_bit(tmp_path: Path) -> None:
    folder = REPO / "results" / "translation"
    record, state, weights = load_with_record(folder, "attention", required=("data", "model"))
    assert weights == folder / "attention.pt" and record["sha256"] == file_hash(weights)
    raw = torch.load(weights, map_location="cpu", weights_only=True)
    assert list(state) == list(raw) and all(torch.equal(state[k], raw[k]) for k in raw)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    if record["machine"]["torch"] != torch.__version__:
        pytest.skip(f"the files were written by torch {record['machine']['torch']}, this is {torch.__version__}")
    own = {k: v for k, v in record.items() if k not in ("checkpoint", "sha256", "bytes")}
    save_with_record(tmp_path, "attention", state, own)  # written again: the same bytes, both files
    for file in ("attention.pt", "attention.json"):
        assert (tmp_path / file).read_bytes() == (folder / file).read_bytes(), file


# ---- bad input


BAD_INPUT = [
    case("encode_batch-vocab-None", lambda: lc.encode_batch([["a"]], None), TypeError, r"\bvocab\b.*NoneType"),
    case("decode_ids-beyond-vocab", lambda: lc.decode_ids([4, 9], VOCAB), ValueError, r"\bids\b.*\[0, 5\).*9"),
    case("decode_ids-float", lambda: lc.decode_ids(torch.tensor([4.0]), VOCAB), TypeError, r"\bids\b.*integer"),
    case("decode_ids-None", lambda: lc.decode_ids(None, VOCAB), TypeError, r"\bids\b.*NoneType"),
    case("tokenize_nmt-None", lambda: lc.tokenize_nmt(None), TypeError, r"\btext\b.*NoneType"),
    case(
        "load_translation-seed-float",
        lambda: lc.load_translation(lc.TranslationConfig(seed=0.5), text=TEXT),
        TypeError,
        r"\bseed\b.*float",
    ),
    case("load_translation-config-dict", lambda: lc.load_translation({}, text=TEXT), TypeError, r"\bconfig\b.*dict"),
    case("load_translation-text-bytes", lambda: lc.load_translation(text=b"a\tb"), TypeError, r"\btext\b.*bytes"),
    case(
        "translation-load_translation-num_test",
        lambda: load_translation(TranslationConfig(max_words=4, num_test=50), text=TEXT),
        ValueError,
        r"num_test \+ num_dev must be smaller than the number of distinct source",
    ),
    case(
        "translation-load_translation-num_test-2",
        lambda: load_translation(TranslationConfig(max_words=4, min_freq=1, num_test=2, num_dev=50), text=TEXT),
        ValueError,
        r"num_test \+ num_dev must be smaller",
    ),
    case(
        "translation-load_translation-num_dev",
        lambda: load_translation(TranslationConfig(max_words=4, num_dev=-1), text=TEXT),
        ValueError,
        r"num_dev must be an int >= 0",
    ),
    case(
        "translation-load_translation-max_words",
        lambda: load_translation(TranslationConfig(max_words=0), text=TEXT),
        ValueError,
        r"max_words must be an int > 0",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
