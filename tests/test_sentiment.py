"""Tests of ``lstm_companion.sentiment`` and of the polarity data's download from its tar.gz archive (chapter 6)."""

from __future__ import annotations

import dataclasses
import io
import tarfile
from pathlib import Path

import pytest
import torch
from bad_input import NAN, VOCAB, bad_input_test, case

import lstm_companion as lc
from lstm_companion import (
    DATA_FILES,
    POLARITY_URL,
    ChecksumError,
    PolarityData,
    PolaritySplit,
    SentimentClassifier,
    Vocab,
    fetch,
    file_hash,
)
from lstm_companion import PAD_TOKEN as PAD

NAMES = ("rt-polarity.pos", "rt-polarity.neg")
ARCHIVE = "rt-polaritydata.tar.gz"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is much faster than several competing for a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------- data files


def _latin1_archive(shared: Path, path: Path, *, damage: str | None = None) -> None:
    """A tar.gz laid out like Cornell's, its text in single-byte encoding (U+FFFD written back as byte 0xE9)."""
    with tarfile.open(path, "w:gz") as tar:
        for name in NAMES:
            raw = (shared / name).read_text(encoding="utf-8").replace("\ufffd", "\xe9").encode("latin-1")
            if damage == "content" and name.endswith("pos"):
                raw = raw.replace(b"movie", b"film", 1)
            if damage == "missing" and name.endswith("pos"):
                continue
            info = tarfile.TarInfo(f"rt-polaritydata/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_registry_hashes_match_shared_files(shared_data):
    for name in NAMES:
        spec = DATA_FILES[name]
        assert spec.url == POLARITY_URL and spec.member == f"rt-polaritydata/{name}"
        assert file_hash(shared_data / name) == spec.sha256
        assert file_hash(shared_data / name, "sha1") == spec.sha1


def test_local_folder_is_used_in_place(shared_data, tmp_path):
    assert fetch("rt-polarity.pos", local_dir=shared_data, cache=tmp_path) == shared_data / "rt-polarity.pos"
    assert not (tmp_path / "data").exists()


def test_download_from_archive_extracts_both_files(http_server, shared_data, tmp_path):
    base, folder, requests = http_server
    _latin1_archive(shared_data, folder / ARCHIVE)
    url = f"{base}/{ARCHIVE}"
    pos = fetch("rt-polarity.pos", url=url, cache=tmp_path)
    assert pos == tmp_path / "data" / "rt-polarity.pos"
    assert pos.read_bytes() == (shared_data / "rt-polarity.pos").read_bytes()
    neg = fetch("rt-polarity.neg", url=url, cache=tmp_path)  # extracted in the same pass: no second request
    assert file_hash(neg) == DATA_FILES["rt-polarity.neg"].sha256
    assert requests == [f"/{ARCHIVE}"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(NAMES)  # no archive, no .part


@pytest.mark.parametrize("damage", ["content", "garbage", "missing"])
def test_bad_archive_leaves_nothing(http_server, shared_data, tmp_path, damage):
    base, folder, _ = http_server
    if damage == "garbage":
        (folder / ARCHIVE).write_bytes(b"\x1f\x8b this is not a gzip stream" * 10)
    else:
        _latin1_archive(shared_data, folder / ARCHIVE, damage=damage)
    error = OSError if damage == "missing" else ChecksumError
    with pytest.raises(error) as info:
        fetch("rt-polarity.pos", url=f"{base}/{ARCHIVE}", cache=tmp_path)
    msg = str(info.value)
    assert "rt-polarity.pos" in msg and ARCHIVE in msg
    if damage == "content":
        assert DATA_FILES["rt-polarity.pos"].sha256 in msg
    assert list((tmp_path / "data").iterdir()) == []


def test_archive_http_404(http_server, tmp_path):
    base, _, _ = http_server
    with pytest.raises(OSError, match="404"):
        fetch("rt-polarity.neg", url=f"{base}/{ARCHIVE}", cache=tmp_path)
    assert list((tmp_path / "data").iterdir()) == []


# ---------------------------------------------------------------- load_polarity and encode


@pytest.fixture(scope="module")
def data() -> PolarityData:
    from conftest import SHARED_DATA

    if not (SHARED_DATA / "rt-polarity.pos").is_file():
        pytest.skip("shared data folder with rt-polarity.pos/.neg is missing")
    return lc.load_polarity(seed=0, min_freq=2, local_dir=SHARED_DATA)


def test_split_sizes_balance_and_disjointness(data):
    sizes = [len(s.texts) for s in (data.train, data.val, data.test)]
    assert sum(sizes) == 10662 and sizes[1] == sizes[2] == 1066
    for split in (data.train, data.val, data.test):
        n = len(split.texts)
        assert split.tokens.shape[0] == split.lengths.shape[0] == split.labels.shape[0] == n
        assert abs(int(split.labels.sum()) - n / 2) <= 1  # stratified
        assert int(split.lengths.min()) >= 1
    assert len(set(data.train.texts) & set(data.test.texts)) < 10  # only the corpus's few duplicate sentences
    assert data.pad == 1 and data.vocab.idx_to_token[:2] == ["<unk>", PAD]


def test_split_is_fixed_by_seed(shared_data):
    a = lc.load_polarity(seed=3, local_dir=shared_data)
    b = lc.load_polarity(seed=3, local_dir=shared_data)
    c = lc.load_polarity(seed=4, local_dir=shared_data)
    assert a.test.texts == b.test.texts and torch.equal(a.train.tokens, b.train.tokens)
    assert a.test.texts != c.test.texts


def test_vocab_comes_from_training_sentences_only(data):
    train_words = {w for t in data.train.texts for w in t.split()}
    assert set(data.vocab.idx_to_token[2:]) <= train_words


def test_encode_pads_and_maps_unknown_words(data):
    tokens, lengths = lc.encode(["a good film .", "zzzunknownzzz", ""], data.vocab)
    assert tokens.shape == (3, 4) and lengths.tolist() == [4, 1, 1]
    assert tokens[1, 0] == data.vocab.unk and tokens[2, 0] == data.vocab.unk
    assert (tokens[1, 1:] == data.pad).all()
    assert lc.encode(["a b c d e"], data.vocab, max_length=2)[0].shape == (1, 2)
    with pytest.raises(TypeError, match="texts must be a list"):
        lc.encode("a good film", data.vocab)
    with pytest.raises(ValueError, match="padding token"):
        lc.encode(["a"], Vocab(["a"]))
    with pytest.raises(ValueError, match="val_fraction \\+ test_fraction must be < 1"):
        lc.load_polarity(val_fraction=0.5, test_fraction=0.5)


# ---------------------------------------------------------------- the classifier


@pytest.mark.parametrize("pooling", lc.POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_shapes_and_padding_invariance(pooling, bidirectional):
    torch.manual_seed(0)
    model = SentimentClassifier(30, 8, 6, bidirectional=bidirectional, pooling=pooling, dropout=0.2).eval()
    tokens = torch.randint(2, 30, (3, 5))
    lengths = torch.tensor([5, 2, 3])
    logits = model(tokens, lengths)
    assert logits.shape == (3, 2)
    longer = torch.cat([tokens, torch.ones(3, 4, dtype=torch.long)], dim=1)  # four more padding steps
    garbage = longer.clone()
    garbage[1, 2:] = 7  # other values in the padding
    torch.testing.assert_close(model(longer, lengths), logits, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(model(garbage, lengths), logits, atol=1e-6, rtol=1e-5)
    alone = model(tokens[1:2, :2], lengths[1:2])  # the second sentence by itself, no padding
    torch.testing.assert_close(alone[0], logits[1], atol=1e-6, rtol=1e-5)


def test_attention_weights_are_zero_on_padding():
    torch.manual_seed(0)
    model = SentimentClassifier(30, 8, 6, bidirectional=True, pooling="attention", dropout=0.0)
    tokens = torch.randint(2, 30, (3, 6))
    lengths = torch.tensor([6, 2, 4])
    logits, weights = model(tokens, lengths, return_attention=True)
    assert logits.shape == (3, 2) and weights.shape == (3, 6)
    mask = torch.arange(6)[None, :] < lengths[:, None]
    assert (weights[~mask] == 0).all()
    assert (weights[mask] > 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    logits.sum().backward()  # differentiable through the attention
    assert model.attention_query.weight.grad is not None


def _small(data: PolarityData, n: int) -> PolarityData:
    def cut(s: PolaritySplit, k: int) -> PolaritySplit:
        return PolaritySplit(s.texts[:k], s.tokens[:k], s.lengths[:k], s.labels[:k])

    return PolarityData(cut(data.train, n), cut(data.val, n // 4), cut(data.test, n // 4), data.vocab, {"small": n})


def test_training_is_seeded_and_learns(data):
    small = _small(data, 600)
    config = lc.FitConfig(num_epochs=3, batch_size=64, lr=1e-2, optimizer="adamw", clip=5.0, seed=1, dropout_seed=1)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = SentimentClassifier(len(data.vocab), 16, 8, bidirectional=True, pooling="max", dropout=0.2)
        hist = lc.train_classifier(model, small.train, small.val, config, device="cpu", progress=False)
        runs.append((hist.step_loss, hist.val_acc))
    assert runs[0] == runs[1]
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert len(hist.val_acc) == 3 and hist.val_acc[hist.best_epoch] == max(hist.val_acc)
    assert lc.sentiment_accuracy(model, small.val) == pytest.approx(hist.best_val_acc)  # best weights restored
    p = lc.predict_proba(model, data.vocab, ["a good film .", "bad ."])
    assert p.shape == (2,) and ((p > 0) & (p < 1)).all()


def test_load_or_train_classifier_caches(data, tmp_path):
    small = _small(data, 200)
    config = lc.FitConfig(num_epochs=1, batch_size=64, lr=2e-3, optimizer="adamw", clip=5.0)
    torch.manual_seed(0)
    a = SentimentClassifier(len(data.vocab), 8, 4, bidirectional=False, pooling="attention", dropout=0.0)
    hist_a, loaded_a = lc.load_or_train_classifier(
        "tiny", a, small, config, device="cpu", progress=False, cache=tmp_path
    )
    torch.manual_seed(1)
    b = SentimentClassifier(len(data.vocab), 8, 4, bidirectional=False, pooling="attention", dropout=0.0)
    hist_b, loaded_b = lc.load_or_train_classifier(
        "tiny", b, small, config, device="cpu", progress=False, cache=tmp_path
    )
    assert (loaded_a, loaded_b) == (False, True)
    assert hist_a == hist_b
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    words = lc.attention_weights(b, data.vocab, "a truly good film")
    assert [w for w, _ in words] == ["a", "truly", "good", "film"]
    assert sum(a for _, a in words) == pytest.approx(1.0)


def test_recipe_and_baseline(data):
    model = lc.make_classifier(len(data.vocab), bidirectional=True)
    assert model.bidirectional and model.pooling == lc.SENTIMENT_RECIPE.pooling
    assert lc.make_classifier(10, bidirectional=False, pooling="attention").pooling == "attention"
    assert lc.SENTIMENT_RECIPE.fit_for(3) == dataclasses.replace(lc.SENTIMENT_RECIPE.fit, seed=3, dropout_seed=3)
    record = lc.SENTIMENT_RECIPE.record()
    assert record["dropout"] == 0.5 and record["fit"]["optimizer"] == "adamw" and "seed" not in record["fit"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lc.SENTIMENT_RECIPE.dropout = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="recipe must be a SentimentRecipe"):
        lc.make_classifier(10, bidirectional=False, recipe={"dropout": 0.1})  # type: ignore[arg-type]
    pytest.importorskip("sklearn")
    small = _small(data, 800)
    result = lc.bag_of_ngrams_baseline(small, Cs=(0.3, 1.0))
    assert set(result.val_acc_by_C) == {0.3, 1.0} and result.C in (0.3, 1.0)
    assert 0.55 < result.test_acc <= 1.0
    with pytest.raises(ValueError, match="ngram_range"):
        lc.bag_of_ngrams_baseline(small, ngram_range=(2, 1))


# ---- bad input


def classifier(**kw):
    torch.manual_seed(0)
    return lc.SentimentClassifier(30, 8, 6, bidirectional=False, **{"dropout": 0.0, **kw})


def polarity_split(labels):
    tokens, lengths = lc.encode(["a b", "c"], POLARITY_VOCAB)
    return lc.PolaritySplit(["a b", "c"], tokens, lengths, torch.tensor(labels))


POLARITY_VOCAB = lc.Vocab(["a", "b", "c"] + [f"w{i}" for i in range(25)], reserved_tokens=[lc.PAD_TOKEN])  # 30 tokens


BAD_INPUT = [
    case(
        "recipes-SentimentRecipe-pooling-bogus",
        lambda: dataclasses.replace(lc.SENTIMENT_RECIPE, pooling="bogus"),
        ValueError,
        r"SentimentRecipe\.pooling must be one of \('max'",
    ),
    case(
        "recipes-SentimentRecipe-fit-None",
        lambda: dataclasses.replace(lc.SENTIMENT_RECIPE, fit=None),
        TypeError,
        r"SentimentRecipe\.fit must be a FitConfig, got NoneType",
    ),
    case(
        "recipes-SentimentRecipe-dropout-1",
        lambda: dataclasses.replace(lc.SENTIMENT_RECIPE, dropout=1.0),
        ValueError,
        r"SentimentRecipe\.dropout must be a number >= 0 and < 1, got 1\.0",
    ),
    case(
        "recipes-SentimentRecipe-pooling-empty",
        lambda: dataclasses.replace(lc.SENTIMENT_RECIPE, pooling=""),
        ValueError,
        r"SentimentRecipe\.pooling must be a non-empty str",
    ),
    case("encode-vocab-no-pad", lambda: lc.encode(["a"], lc.Vocab(["a"])), ValueError, r"\bvocab\b.*'<pad>'"),
    case("encode-texts-str", lambda: lc.encode("a b", POLARITY_VOCAB), TypeError, r"\btexts\b.*str"),
    case("encode-max_length-0", lambda: lc.encode(["a"], POLARITY_VOCAB, max_length=0), ValueError, r"\bmax_length\b"),
    case("classifier-padding_idx-float", lambda: classifier(padding_idx=1.5), TypeError, r"\bpadding_idx\b.*float"),
    case("classifier-dropout-nan", lambda: classifier(dropout=NAN), ValueError, r"\bdropout\b.*nan"),
    case(
        "classifier-tokens-range",
        lambda: classifier()(torch.tensor([[3, 30]]), torch.tensor([2])),
        ValueError,
        r"\btokens\b.*\[0, 30\)",
    ),
    case(
        "sentiment_accuracy-labels",
        lambda: lc.sentiment_accuracy(classifier(), polarity_split([1, 2])),
        ValueError,
        r"split\.labels.*class labels in \[0, 2\).*\[1, 2\]",
    ),
    case(
        "predict_proba-vocab-size",
        lambda: lc.predict_proba(classifier(), VOCAB, ["a"]),
        ValueError,
        r"\bvocab\b.*5 tokens.*vocab_size is 30",
    ),
    case(
        "attention_weights-pooling",
        lambda: lc.attention_weights(classifier(), POLARITY_VOCAB, "a b"),
        ValueError,
        r"\bmodel\b must have pooling='attention'",
    ),
    case(
        "sentiment-SentimentClassifier-pooling",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=True, pooling="min"),
        ValueError,
        r"pooling must be one of",
    ),
    case(
        "sentiment-SentimentClassifier-bidirectional",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=1),
        TypeError,
        r"bidirectional must be a bool",
    ),
    case(
        "sentiment-SentimentClassifier-dropout",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=True, dropout=1.0),
        ValueError,
        r"dropout must be in \[0, 1\)",
    ),
    case(
        "sentiment-SentimentClassifier-return_attention_True",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=False, pooling="max")(
            torch.randint(0, 30, (2, 4)), torch.tensor([4, 4]), return_attention=True
        ),
        ValueError,
        r"return_attention=True needs pooling='attention'",
    ),
    case(
        "sentiment-SentimentClassifier-lengths",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=False, pooling="max")(
            torch.randint(0, 30, (2, 4)), torch.tensor([5, 1])
        ),
        ValueError,
        r"lengths must lie in \[1, 4\]",
    ),
    case(
        "sentiment-SentimentClassifier-lengths-2",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=False, pooling="max")(
            torch.randint(0, 30, (2, 4)), torch.tensor([4])
        ),
        ValueError,
        r"one entry per sentence",
    ),
    case(
        "sentiment-SentimentClassifier-tokens",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=False, pooling="max")(
            torch.randint(0, 30, (2, 4)) + 30, torch.tensor([4, 4])
        ),
        ValueError,
        r"tokens must hold indices in \[0, 30\)",
    ),
    case(
        "sentiment-SentimentClassifier-tokens-2",
        lambda: SentimentClassifier(30, 8, 6, bidirectional=False, pooling="max")(
            torch.randint(0, 30, (2, 4)).float(), torch.tensor([4, 4])
        ),
        TypeError,
        r"tokens must be an integer tensor",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
