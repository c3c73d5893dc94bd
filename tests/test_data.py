"""Tests of ``lstm_companion.data``: checked downloads, tokens, ``Vocab``, batching."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import torch
from bad_input import CORPUS, INF, NAN, VOCAB, bad_input_test, case

import lstm_companion as lc
from lstm_companion import (
    DATA_FILES,
    ChecksumError,
    Vocab,
    fetch,
    file_hash,
    seq_data_iter_random,
    seq_data_iter_sequential,
    split_corpus,
    tokenize,
)

NAME = "timemachine.txt"
SHA256 = DATA_FILES[NAME].sha256


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- downloads


def test_registry_hash_matches_shared_file(shared_data):
    assert file_hash(shared_data / NAME) == SHA256
    assert file_hash(shared_data / NAME, "sha1") == DATA_FILES[NAME].sha1


def test_download_then_cache_hit(http_server, tmp_path):
    base, folder, requests = http_server
    path = fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    assert path == tmp_path / "data" / NAME
    assert file_hash(path) == SHA256
    assert requests == [f"/{NAME}"]
    assert _leftovers(tmp_path / "data") == [NAME]  # no .part file left

    (folder / NAME).unlink()  # the server could not serve it again
    again = fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    assert again == path
    assert requests == [f"/{NAME}"]  # the second call did not hit the server


def test_download_uses_cache_env_var(http_server, companion_cache):
    base, _, _ = http_server
    path = fetch(NAME, url=f"{base}/{NAME}")
    assert path == companion_cache / "data" / NAME
    assert file_hash(path) == SHA256


@pytest.mark.parametrize("damage", ["truncated", "one_byte_changed"])
def test_download_with_wrong_checksum_leaves_nothing(http_server, tmp_path, damage):
    base, folder, _ = http_server
    served = folder / NAME
    content = served.read_bytes()
    if damage == "truncated":
        bad = content[: len(content) // 2]
    else:
        i = len(content) // 3
        bad = content[:i] + bytes([content[i] ^ 0x01]) + content[i + 1 :]
    served.write_bytes(bad)

    with pytest.raises(ChecksumError) as info:
        fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    msg = str(info.value)
    assert NAME in msg
    assert SHA256 in msg  # expected
    assert _sha256(bad) in msg  # got
    assert _leftovers(tmp_path / "data") == []  # no .part, no target


def test_download_http_404_leaves_nothing(http_server, tmp_path):
    base, folder, _ = http_server
    (folder / NAME).unlink()
    with pytest.raises(OSError, match="404") as info:
        fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    assert NAME in str(info.value)
    assert not isinstance(info.value, ChecksumError)
    assert _leftovers(tmp_path / "data") == []


def _open_part_files() -> list[str]:
    fd_dir = Path("/proc/self/fd")
    found = []
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if ".part" in target and NAME in target:
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd (Linux)")
def test_failed_download_closes_temporary_file(http_server, tmp_path):
    base, folder, _ = http_server
    (folder / NAME).unlink()
    with pytest.raises(OSError, match="404"):
        fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    assert _open_part_files() == []


def test_corrupted_cache_is_detected_and_downloaded_again(http_server, tmp_path):
    base, _, requests = http_server
    path = fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    path.write_bytes(b"garbage, not the time machine")
    with pytest.warns(UserWarning, match="wrong sha256") as record:
        again = fetch(NAME, url=f"{base}/{NAME}", cache=tmp_path)
    assert NAME in str(record[0].message)
    assert again == path
    assert file_hash(again) == SHA256
    assert len(requests) == 2
    assert _leftovers(tmp_path / "data") == [NAME]


def test_connection_refused_is_an_oserror(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with pytest.raises(OSError):
        fetch(NAME, url=f"http://127.0.0.1:{port}/{NAME}", cache=tmp_path, timeout=5)
    assert _leftovers(tmp_path / "data") == []


# ---------------------------------------------------------------- local folder


def test_local_dir_is_used_in_place(shared_data, tmp_path):
    path = fetch(NAME, local_dir=shared_data, cache=tmp_path)
    assert path == shared_data / NAME
    assert not (tmp_path / "data").exists()  # nothing copied or downloaded


def test_local_dir_env_var(shared_data, monkeypatch, companion_cache):
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    assert lc.data_dir() == shared_data
    assert fetch(NAME) == shared_data / NAME
    assert not (companion_cache / "data").exists()


def test_local_dir_without_the_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        fetch(NAME, local_dir=tmp_path)
    msg = str(info.value)
    assert NAME in msg and str(tmp_path) in msg and "local_dir" in msg


def test_env_local_dir_without_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        fetch(NAME)
    msg = str(info.value)
    assert NAME in msg and str(tmp_path) in msg and "LSTM_COMPANION_DATA" in msg


def test_local_dir_with_a_wrong_file(tmp_path):
    (tmp_path / NAME).write_text("not the book")
    with pytest.raises(ChecksumError) as info:
        fetch(NAME, local_dir=tmp_path)
    msg = str(info.value)
    assert NAME in msg and SHA256 in msg and _sha256(b"not the book") in msg
    assert (tmp_path / NAME).exists()  # a local folder is never modified


def test_cache_dir_default_and_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_COMPANION_CACHE", str(tmp_path))
    assert lc.cache_dir() == tmp_path
    monkeypatch.delenv("LSTM_COMPANION_CACHE")
    assert lc.cache_dir() == Path.home() / ".cache" / "lstm_companion"
    assert lc.data_dir() is None


# ---------------------------------------------------------------- tokens and Vocab


def test_tokenize_char_and_word():
    assert tokenize("ab c") == ["a", "b", " ", "c"]
    assert tokenize("the time  machine", "word") == ["the", "time", "machine"]
    assert tokenize(["ab", "", "c d"]) == [["a", "b"], [], ["c", " ", "d"]]
    assert tokenize(["the time", "machine"], token="word") == [["the", "time"], ["machine"]]
    assert tokenize("") == []


def test_vocab_round_trip_and_unk():
    tokens = list("the time machine")
    vocab = Vocab(tokens)
    assert vocab.idx_to_token[0] == "<unk>" and vocab.unk == 0 and vocab["<unk>"] == 0
    ids = vocab.encode(tokens)
    assert vocab.to_tokens(ids) == tokens
    assert vocab.to_tokens(torch.tensor(ids)) == tokens
    assert vocab.to_tokens(ids[0]) == "t"
    assert len(vocab) == 1 + len(set(tokens))
    assert vocab["z"] == vocab.unk
    assert vocab[["t", "z"]] == [vocab["t"], 0]
    assert vocab.encode(["t", "z"], strict=False) == [vocab["t"], 0]


def test_vocab_order_min_freq_and_reserved():
    #             a:4  b:2  c:2  d:1
    tokens = list("abacabcad")
    vocab = Vocab(tokens)
    assert vocab.idx_to_token == ["<unk>", "a", "b", "c", "d"]  # most frequent first, ties alphabetical
    assert vocab.token_freqs == [("a", 4), ("b", 2), ("c", 2), ("d", 1)]
    rare = Vocab(tokens, min_freq=2)
    assert rare.idx_to_token == ["<unk>", "a", "b", "c"]
    assert rare["d"] == rare.unk
    res = Vocab(tokens, min_freq=3, reserved_tokens=["<pad>", "<eos>", "<unk>"])
    assert res.idx_to_token == ["<unk>", "<pad>", "<eos>", "a"]
    # order does not depend on the order the tokens were seen in
    assert Vocab(list(reversed(tokens))).idx_to_token == vocab.idx_to_token
    # a list of lines counts like the flat list
    assert Vocab([["a", "b", "a"], ["c", "a", "b", "c", "a", "d"]]).idx_to_token == vocab.idx_to_token


@pytest.mark.parametrize("bad", [5, -1, [0, 5]])
def test_vocab_to_tokens_out_of_range(bad):
    vocab = Vocab("abcd")
    with pytest.raises(ValueError, match="indices"):
        vocab.to_tokens(bad)


# ---------------------------------------------------------------- The Time Machine


def test_load_time_machine(shared_data):
    corpus, vocab = lc.load_time_machine(local_dir=shared_data)
    assert len(vocab) == 28
    assert set(vocab.idx_to_token) == {"<unk>", " "} | set("abcdefghijklmnopqrstuvwxyz")
    assert vocab.idx_to_token[:4] == ["<unk>", " ", "e", "t"]
    assert corpus.dtype == torch.long and corpus.dim() == 1
    assert len(corpus) == 173427
    assert int(corpus.min()) >= 1  # no <unk> in the corpus
    assert "".join(vocab.to_tokens(corpus[:13])) == "the time mach"
    assert "".join(vocab.to_tokens(corpus[:40])) == "the time machine by h g wells i the time"


def test_preprocess_time_machine():
    assert lc.preprocess_time_machine("  The Time-Machine, by H. G. Wells!\n\nI ") == "the time machine by h g wells i"


# ---------------------------------------------------------------- batching


SEQ_CASES = [  # (N, batch_size, num_steps, offset)
    (100, 2, 5, 0),
    (100, 2, 5, 4),
    (101, 3, 7, 2),
    (57, 4, 3, 1),
    (21, 4, 5, 0),  # exactly batch_size * num_steps + 1 tokens
    (1000, 1, 10, 9),
    (64, 8, 1, 0),
]


@pytest.mark.parametrize(("n", "batch_size", "num_steps", "offset"), SEQ_CASES)
def test_sequential_covers_corpus_once(n, batch_size, num_steps, offset):
    corpus = torch.arange(n)
    batches = list(seq_data_iter_sequential(corpus, batch_size, num_steps, offset=offset))
    num_batches = (n - offset - 1) // (batch_size * num_steps)
    assert len(batches) == num_batches >= 1
    seen = []
    for X, Y in batches:
        assert X.shape == Y.shape == (batch_size, num_steps)
        assert torch.equal(Y, X + 1)
        seen.append(X.flatten())
    seen = torch.cat(seen).sort().values
    assert torch.equal(seen, torch.arange(offset, offset + num_batches * batch_size * num_steps))
    for (X_prev, _), (X_next, _) in zip(batches, batches[1:], strict=False):
        assert torch.equal(X_next[:, 0], X_prev[:, -1] + 1)  # each row continues


def test_sequential_random_offset_is_seeded():
    corpus = torch.arange(500)

    def first(seed):
        gen = torch.Generator().manual_seed(seed)
        return [int(next(seq_data_iter_sequential(corpus, 2, 10, generator=gen))[0][0, 0]) for _ in range(20)]

    offsets = first(0)
    assert offsets == first(0)
    assert all(0 <= o < 10 for o in offsets)
    assert len(set(offsets)) > 1


@pytest.mark.parametrize("sequential", [True, False])
def test_minimal_corpus_always_gives_a_batch(sequential):
    batch_size, num_steps = 3, 5
    corpus = torch.arange(batch_size * num_steps + 2)  # passes the length check
    it = seq_data_iter_sequential if sequential else seq_data_iter_random
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        assert len(list(it(corpus, batch_size, num_steps, generator=gen))) >= 1


@pytest.mark.parametrize(("n", "batch_size", "num_steps"), [(100, 2, 5), (101, 3, 7), (1000, 4, 10), (30, 1, 3)])
def test_random_batches(n, batch_size, num_steps):
    corpus = torch.arange(n)
    gen = torch.Generator().manual_seed(0)
    batches = list(seq_data_iter_random(corpus, batch_size, num_steps, generator=gen))
    assert len(batches) >= (n - 2 * num_steps) // (batch_size * num_steps)
    seen = []
    for X, Y in batches:
        assert X.shape == Y.shape == (batch_size, num_steps)
        assert torch.equal(Y, X + 1)
        assert torch.equal(X, X[:, :1] + torch.arange(num_steps))  # each row is a contiguous subsequence
        seen.append(X.flatten())
    seen = torch.cat(seen)
    assert len(seen.unique()) == len(seen)  # no position twice within an epoch
    assert int(seen.max()) + 1 < n  # Y stays inside the corpus


def _random_epoch(seed, n=400, batch_size=4, num_steps=5):
    gen = torch.Generator().manual_seed(seed)
    return [X for X, _ in seq_data_iter_random(torch.arange(n), batch_size, num_steps, generator=gen)]


def test_random_batches_deterministic_under_seed():
    a, b = _random_epoch(1), _random_epoch(1)
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    c = _random_epoch(2)
    assert not (len(a) == len(c) and all(torch.equal(x, y) for x, y in zip(a, c, strict=False)))


def test_random_batches_cover_most_of_the_corpus():
    corpus = torch.arange(1000)
    seen = torch.cat(
        [X.flatten() for X, _ in seq_data_iter_random(corpus, 4, 10, generator=torch.Generator().manual_seed(3))]
    )
    # at most one batch of subsequences, plus the offset and the tail, is left out
    assert len(seen) >= 1000 - 4 * 10 - 2 * 10


@pytest.mark.parametrize(
    ("n", "val", "test", "n_val", "n_test"),
    [(100, 0.1, 0.1, 10, 10), (1000, 0.25, 0.05, 250, 50), (11, 0.3, 0.3, 3, 3), (50, 0.05, 0.9, 2, 45)],
)
def test_split_corpus(n, val, test, n_val, n_test):
    corpus = torch.arange(n)
    train_part, val_part, test_part = split_corpus(corpus, val, test)
    assert (len(train_part), len(val_part), len(test_part)) == (n - n_val - n_test, n_val, n_test)
    # contiguous and in text order: train is the head, then validation, then the test tail
    assert torch.equal(torch.cat([train_part, val_part, test_part]), corpus)


def test_split_corpus_default_and_too_short():
    train, val, test = split_corpus(torch.arange(200))
    assert (len(train), len(val), len(test)) == (160, 20, 20)
    assert int(test[-1]) == 199 and int(val[0]) == 160
    with pytest.raises(ValueError, match="corpus"):
        split_corpus(torch.arange(5), 0.1)
    with pytest.raises(ValueError, match=r"val_fraction \+ test_fraction must be < 1"):
        split_corpus(torch.arange(200), 0.5, 0.5)


# ---- bad input


def first(it):
    return next(iter(it))


STREAM = torch.arange(200) % 10  # a token stream for the sharded sampler


def sampler():
    return lc.ShardedStreamSampler(STREAM, 2, 3)


BAD_INPUT = [
    case("fetch-unknown-name", lambda: lc.fetch("nope.txt"), ValueError, r"\bname\b.*'nope\.txt'"),
    case("tokenize-byte", lambda: lc.tokenize("abc", token="byte"), ValueError, r"\btoken\b.*'byte'"),
    case("tokenize-not-text", lambda: lc.tokenize(42), TypeError, r"\btext\b"),
    case("vocab-min_freq-0", lambda: lc.Vocab("ab", min_freq=0), ValueError, r"\bmin_freq\b.*0"),
    case("vocab-min_freq-bool", lambda: lc.Vocab("ab", min_freq=True), TypeError, r"\bmin_freq\b.*bool"),
    case("vocab-index-out-of-range", lambda: VOCAB.to_tokens([1, 9]), ValueError, r"\bindices\b.*9"),
    case("split-fraction-0", lambda: lc.split_corpus(CORPUS, 0.0), ValueError, r"\bval_fraction\b"),
    case("split-fraction-1.5", lambda: lc.split_corpus(CORPUS, 1.5), ValueError, r"\bval_fraction\b.*1\.5"),
    case("split-2d-corpus", lambda: lc.split_corpus(CORPUS.reshape(10, 10)), ValueError, r"\bcorpus\b.*1 dimensions"),
    case("split-float-corpus", lambda: lc.split_corpus(CORPUS.float()), TypeError, r"\bcorpus\b.*integer"),
    case("split-too-short", lambda: lc.split_corpus(torch.arange(3), 0.5), ValueError, r"\bcorpus\b.*too short"),
    case("split-test-0", lambda: lc.split_corpus(CORPUS, 0.1, 0.0), ValueError, r"\btest_fraction\b"),
    case("split-sum-1", lambda: lc.split_corpus(CORPUS, 0.6, 0.4), ValueError, r"val_fraction \+ test_fraction"),
    case(
        "batch-corpus-too-short",
        lambda: first(lc.seq_data_iter_sequential(torch.arange(20), 4, 5)),
        ValueError,
        r"\bcorpus\b.*too short.*batch_size \* num_steps \+ 1 = 21",
    ),
    case(
        "batch-random-too-short",
        lambda: first(lc.seq_data_iter_random(torch.arange(5), 2, 3)),
        ValueError,
        r"\bcorpus\b",
    ),
    case("batch_size-0", lambda: first(lc.seq_data_iter_sequential(CORPUS, 0, 5)), ValueError, r"\bbatch_size\b.*0"),
    case(
        "batch_size-bool", lambda: first(lc.seq_data_iter_random(CORPUS, True, 5)), TypeError, r"\bbatch_size\b.*bool"
    ),
    case("num_steps-negative", lambda: first(lc.seq_data_iter_sequential(CORPUS, 2, -1)), ValueError, r"\bnum_steps\b"),
    case("num_steps-float", lambda: first(lc.seq_data_iter_random(CORPUS, 2, 2.5)), TypeError, r"\bnum_steps\b.*float"),
    case(
        "batch-offset", lambda: first(lc.seq_data_iter_sequential(CORPUS, 2, 5, offset=95)), ValueError, r"\boffset\b"
    ),
    case("fetch-name-None", lambda: lc.fetch(None), ValueError, r"\bname\b.*None"),
    case("fetch-timeout-inf", lambda: lc.fetch("timemachine.txt", timeout=INF), ValueError, r"\btimeout\b.*inf"),
    case("fetch-local_dir-int", lambda: lc.fetch("timemachine.txt", local_dir=3), TypeError, r"\blocal_dir\b.*int"),
    case("vocab-tokens-None", lambda: lc.Vocab(None), TypeError, r"\btokens\b.*NoneType"),
    case(
        "vocab-reserved-str",
        lambda: lc.Vocab("ab", reserved_tokens="<pad>"),
        TypeError,
        r"\breserved_tokens\b.*'<pad>'",
    ),
    case("vocab-reserved-int", lambda: lc.Vocab("ab", reserved_tokens=[1]), TypeError, r"\breserved_tokens\[0\].*int"),
    case("vocab-encode-None", lambda: VOCAB.encode(None), TypeError, r"\btokens\b.*NoneType"),
    case("vocab-getitem-None", lambda: VOCAB[None], TypeError, r"\btokens\b.*NoneType"),
    case(
        "vocab-encode-unknown", lambda: VOCAB.encode(["a", "z"]), ValueError, r"\btokens\b.*not in the vocabulary.*'z'"
    ),
    case("vocab-index-float", lambda: VOCAB.to_tokens([1.0]), TypeError, r"\bindices\b.*float"),
    case("vocab-to_tokens-None", lambda: VOCAB.to_tokens(None), TypeError, r"\bindices\b.*NoneType"),
    case("preprocess-None", lambda: lc.preprocess_time_machine(None), TypeError, r"\btext\b.*NoneType"),
    case("split-fraction-str", lambda: lc.split_corpus(CORPUS, "0.1"), TypeError, r"\bval_fraction\b.*str"),
    case("split-fraction-nan", lambda: lc.split_corpus(CORPUS, NAN), ValueError, r"\bval_fraction\b.*nan"),
    case("split-test-fraction-none", lambda: lc.split_corpus(CORPUS, 0.1, None), TypeError, r"\btest_fraction\b"),
    case(
        "shard_stream-float",
        lambda: lc.shard_stream(STREAM.float(), 2),
        TypeError,
        r"stream must be an integer tensor of token indices",
    ),
    case(
        "shard_stream-2d",
        lambda: lc.shard_stream(STREAM.reshape(20, 10), 2),
        ValueError,
        r"stream must have 1 dimensions",
    ),
    case(
        "shard_stream-None",
        lambda: lc.shard_stream(None, 2),
        TypeError,
        r"stream must be a torch\.Tensor, got NoneType",
    ),
    case(
        "shard_stream-list",
        lambda: lc.shard_stream(list(range(20)), 2),
        TypeError,
        r"stream must be a torch\.Tensor, got list",
    ),
    case("shard_stream-empty", lambda: lc.shard_stream(STREAM[:0], 2), ValueError, r"stream must not be empty"),
    case(
        "shard_stream-batch_size-0",
        lambda: lc.shard_stream(STREAM, 0),
        ValueError,
        r"batch_size must be an int > 0, got 0",
    ),
    case(
        "shard_stream-batch_size-float",
        lambda: lc.shard_stream(STREAM, 2.0),
        TypeError,
        r"batch_size must be an int > 0",
    ),
    case(
        "shard_stream-rank-too-large",
        lambda: lc.shard_stream(STREAM, 2, rank=2, world_size=2),
        ValueError,
        r"rank must be in \[0, world_size=2\), got 2",
    ),
    case(
        "shard_stream-rank-negative",
        lambda: lc.shard_stream(STREAM, 2, rank=-1, world_size=2),
        ValueError,
        r"rank must be in \[0, world_size=2\), got -1",
    ),
    case(
        "shard_stream-world_size-0",
        lambda: lc.shard_stream(STREAM, 2, world_size=0),
        ValueError,
        r"world_size must be an int > 0, got 0",
    ),
    case(
        "shard_stream-too-short",
        lambda: lc.shard_stream(torch.arange(3), 2, world_size=2),
        ValueError,
        r"stream of 3 tokens is too short for world_size \* batch_size = 4 rows",
    ),
    case(
        "sampler-bptt-0", lambda: lc.ShardedStreamSampler(STREAM, 2, 0), ValueError, r"bptt must be an int > 0, got 0"
    ),
    case("sampler-bptt-float", lambda: lc.ShardedStreamSampler(STREAM, 2, 3.5), TypeError, r"bptt must be an int > 0"),
    case(
        "sampler-batch_size-bool",
        lambda: lc.ShardedStreamSampler(STREAM, True, 3),
        TypeError,
        r"batch_size must be an int > 0, got bool",
    ),
    case(
        "sampler-rank-str",
        lambda: lc.ShardedStreamSampler(STREAM, 2, 3, rank="0"),
        TypeError,
        r"rank must be an int in \[0, world_size\)",
    ),
    case(
        "sampler-world_size-None",
        lambda: lc.ShardedStreamSampler(STREAM, 2, 3, world_size=None),
        TypeError,
        r"world_size must be an int > 0",
    ),
    case(
        "sampler-stream-float",
        lambda: lc.ShardedStreamSampler(STREAM.float(), 2, 3),
        TypeError,
        r"stream must be an integer tensor",
    ),
    case(
        "sampler-load_state_dict-None",
        lambda: sampler().load_state_dict(None),
        TypeError,
        r"state must be a mapping from state_dict\(\)",
    ),
    case(
        "sampler-load_state_dict-empty",
        lambda: sampler().load_state_dict({}),
        ValueError,
        r"state is missing \['batch_size'",
    ),
    case(
        "sampler-load_state_dict-position",
        lambda: sampler().load_state_dict({**sampler().state_dict(), "position": -5}),
        ValueError,
        r"state position must be an int in \[0, 100\), got -5",
    ),
    case("data-fetch-name", lambda: fetch("nope.txt"), ValueError, r"\bname\b.*'nope.txt'"),
    case(
        "data-tokenize-text",
        lambda: tokenize(["ok", 3]),
        TypeError,
        r"text must be a str or a sequence of str, got list",
    ),
    case(
        "data-Vocab-tokens",
        lambda: Vocab("abc").encode(["a", "z"]),
        ValueError,
        r"tokens contains 1 token\(s\) not in the vocabulary:",
    ),
    case(
        "data-Vocab-tokens-2",
        lambda: Vocab("abc").encode(["a", "z"], strict=True),
        ValueError,
        r"tokens contains 1 token\(s\) not in the vocabulary:",
    ),
    case(
        "data-Vocab-indices", lambda: Vocab("ab").to_tokens([1.0]), TypeError, r"indices must be ints, got float 1\.0"
    ),
    case(
        "data-list-offset",
        lambda: list(seq_data_iter_sequential(torch.arange(21), 4, 5, offset=1)),
        ValueError,
        r"offset must be in \[0, 1\), got 1",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
