"""Bad input across the package: each case must raise the right exception with a
message that names the argument at fault (a reader's mistake points at itself).

One table: ``(callable, exception type, regex that must appear in the message)``.
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import lstm_companion as lc
from lstm_companion import (
    RNNLM,
    RNNScratch,
    TrainConfig,
    Vocab,
    cache_key,
    clip_gradients,
    evaluate_perplexity,
    fetch,
    generate,
    get_device,
    load_model,
    load_or_train,
    seq_data_iter_random,
    seq_data_iter_sequential,
    split_corpus,
    tokenize,
    train_lm,
    uniform_perplexity,
    unigram_perplexity,
)

V = 5  # vocabulary size of the small models below
VOCAB = Vocab(list("abcd"))  # <unk>, a, b, c, d
CORPUS = torch.arange(100) % V


def scratch(d=3, h=4):
    torch.manual_seed(0)
    return RNNScratch(d, h)


def lm():
    torch.manual_seed(0)
    return RNNLM(RNNScratch(V, 4), V)


def X3(T=2, B=2, d=3, dtype=torch.float32):
    return torch.zeros(T, B, d, dtype=dtype)


def first(it):
    return next(iter(it))


def train(**cfg):
    base = dict(num_epochs=1, batch_size=2, num_steps=4)
    return lambda: train_lm(lm(), CORPUS, None, TrainConfig(**{**base, **cfg}), progress=False)


def with_grad():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    return [p]


def case(id, fn, exc, pattern, **kw):
    return pytest.param(fn, exc, pattern, id=id, **kw)


NAN, INF = math.nan, math.inf


def cell(d=3, h=4):
    torch.manual_seed(0)
    return lc.LSTMCellScratch(d, h)


def st(B=2, h=4, dtype=torch.float32):
    return torch.zeros(B, h, dtype=dtype), torch.zeros(B, h, dtype=dtype)


def rnn_args(X_t=None, H=None):
    r = scratch()
    X_t = torch.zeros(2, 3) if X_t is None else X_t
    H = torch.zeros(2, 4) if H is None else H
    return X_t, H, r.W_xh, r.W_hh, r.b_h


def classifier(**kw):
    torch.manual_seed(0)
    return lc.SentimentClassifier(30, 8, 6, bidirectional=False, **{"dropout": 0.0, **kw})


def polarity_split(labels):
    tokens, lengths = lc.encode(["a b", "c"], POLARITY_VOCAB)
    return lc.PolaritySplit(["a b", "c"], tokens, lengths, torch.tensor(labels))


POLARITY_VOCAB = Vocab(["a", "b", "c"] + [f"w{i}" for i in range(25)], reserved_tokens=[lc.PAD_TOKEN])  # 30 tokens


def last_state(num_outputs=2):
    torch.manual_seed(0)
    return lc.LastStateModel(RNNScratch(3, 4), num_outputs)


def padded(num_outputs=2):
    torch.manual_seed(0)
    return lc.PaddedSequenceModel(nn.LSTM(1, 4), num_outputs)


def tagger(num_tags=3):
    torch.manual_seed(0)
    return lc.Tagger(nn.LSTM(V, 4), V, num_tags)


def attention(kind="additive", size=4):
    torch.manual_seed(0)
    return lc.make_attention(kind, size, size)


def qkv(dtype=torch.float32, B=2, nq=1, nk=3, size=4):
    return torch.zeros(B, nq, size, dtype=dtype), torch.zeros(B, nk, size), torch.zeros(B, nk, size)


TEXT = "\n".join(f"{a} {b}\t{b} {a}" for a in "abcdef" for b in "ghijkl")
SEQ2SEQ_CONFIG = lc.Seq2SeqConfig(8, 8, 1, 0.0, "luong", "general")


def translation_data():
    return lc.load_translation(lc.TranslationConfig(max_words=2, min_freq=1, num_test=3), text=TEXT)


def seq2seq(data=None):
    data = data or translation_data()
    torch.manual_seed(0)
    return lc.build_seq2seq(SEQ2SEQ_CONFIG, len(data.src_vocab), len(data.tgt_vocab))


def record(data):
    return {"data": data.config.to_dict(), "model": SEQ2SEQ_CONFIG.to_dict()}


def in_tmp(fn):
    """A callable that runs ``fn(folder)`` in a fresh temporary folder (removed afterwards)."""

    def run():
        with tempfile.TemporaryDirectory() as folder:
            return fn(Path(folder))

    return run


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


def write_and_read(read, text, name="table.json"):
    def run(folder):
        (folder / name).write_text(text)
        return read(folder / name)

    return in_tmp(run)


ABLATION_TABLE = {"settings": {}, "ablations": [], "seeds": [0], "results": {"adding": {"vanilla": {"scores": [1.0]}}}}
SPEED_ROW = {"train_ms": {"median": 1.0, "q25": 0.9, "q75": 1.1}}
SPEED = {"num_steps": 2, "batch_size": 2, "num_inputs": 2, "num_hiddens": 2}


CASES = [
    # ------------------------------------------------------------ data
    case("fetch-unknown-name", lambda: fetch("nope.txt"), ValueError, r"\bname\b.*'nope\.txt'"),
    case("tokenize-byte", lambda: tokenize("abc", token="byte"), ValueError, r"\btoken\b.*'byte'"),
    case("tokenize-not-text", lambda: tokenize(42), TypeError, r"\btext\b"),  # type: ignore[arg-type]
    case("vocab-min_freq-0", lambda: Vocab("ab", min_freq=0), ValueError, r"\bmin_freq\b.*0"),
    case("vocab-min_freq-bool", lambda: Vocab("ab", min_freq=True), TypeError, r"\bmin_freq\b.*bool"),
    case("vocab-index-out-of-range", lambda: VOCAB.to_tokens([1, 9]), ValueError, r"\bindices\b.*9"),
    case("split-fraction-0", lambda: split_corpus(CORPUS, 0.0), ValueError, r"\bval_fraction\b"),
    case("split-fraction-1.5", lambda: split_corpus(CORPUS, 1.5), ValueError, r"\bval_fraction\b.*1\.5"),
    case("split-2d-corpus", lambda: split_corpus(CORPUS.reshape(10, 10)), ValueError, r"\bcorpus\b.*1 dimensions"),
    case("split-float-corpus", lambda: split_corpus(CORPUS.float()), TypeError, r"\bcorpus\b.*integer"),
    case("split-too-short", lambda: split_corpus(torch.arange(3), 0.5), ValueError, r"\bcorpus\b.*too short"),
    case("split-test-0", lambda: split_corpus(CORPUS, 0.1, 0.0), ValueError, r"\btest_fraction\b"),
    case("split-sum-1", lambda: split_corpus(CORPUS, 0.6, 0.4), ValueError, r"val_fraction \+ test_fraction"),
    case(
        "batch-corpus-too-short",
        lambda: first(seq_data_iter_sequential(torch.arange(20), 4, 5)),
        ValueError,
        r"\bcorpus\b.*too short.*batch_size \* num_steps \+ 1 = 21",
    ),
    case(
        "batch-random-too-short", lambda: first(seq_data_iter_random(torch.arange(5), 2, 3)), ValueError, r"\bcorpus\b"
    ),
    case("batch_size-0", lambda: first(seq_data_iter_sequential(CORPUS, 0, 5)), ValueError, r"\bbatch_size\b.*0"),
    case("batch_size-bool", lambda: first(seq_data_iter_random(CORPUS, True, 5)), TypeError, r"\bbatch_size\b.*bool"),
    case("num_steps-negative", lambda: first(seq_data_iter_sequential(CORPUS, 2, -1)), ValueError, r"\bnum_steps\b"),
    case("num_steps-float", lambda: first(seq_data_iter_random(CORPUS, 2, 2.5)), TypeError, r"\bnum_steps\b.*float"),
    case("batch-offset", lambda: first(seq_data_iter_sequential(CORPUS, 2, 5, offset=95)), ValueError, r"\boffset\b"),
    # ------------------------------------------------------------ rnn
    case("rnn-X-2d", lambda: scratch()(torch.zeros(2, 3)), ValueError, r"\bX\b.*3 dimensions"),
    case("rnn-X-features", lambda: scratch()(X3(d=5)), ValueError, r"\bX\b.*shape.*dimension 2 is 5, expected 3"),
    case("rnn-X-integer", lambda: scratch()(X3().long()), TypeError, r"\bX\b.*floating"),
    case("rnn-X-float64", lambda: scratch()(X3(dtype=torch.float64)), TypeError, r"\bX\b.*dtype.*float64"),
    case("rnn-X-empty", lambda: scratch()(X3(T=0)), ValueError, r"\bX\b.*empty"),
    case("rnn-X-not-tensor", lambda: scratch()([[[0.0] * 3]]), TypeError, r"\bX\b.*torch\.Tensor"),
    case("rnn-H-shape", lambda: scratch()(X3(B=2), torch.zeros(3, 4)), ValueError, r"\bH\b.*shape"),
    case("rnn-H-nn.RNN-shape", lambda: scratch()(X3(B=2), torch.zeros(1, 2, 4)), ValueError, r"\bH\b.*2 dimensions"),
    case(
        "rnn-H-float64",
        lambda: scratch()(X3(), torch.zeros(2, 4, dtype=torch.float64)),
        TypeError,
        r"\bH\b.*float64",
    ),
    case("rnn-num_hiddens-0", lambda: RNNScratch(3, 0), ValueError, r"\bnum_hiddens\b"),
    case("rnn-num_inputs-negative", lambda: RNNScratch(-3, 4), ValueError, r"\bnum_inputs\b.*-3"),
    case("rnn-num_inputs-bool", lambda: RNNScratch(True, 4), TypeError, r"\bnum_inputs\b.*bool"),
    case("rnn-num_hiddens-float", lambda: RNNScratch(3, 4.0), TypeError, r"\bnum_hiddens\b.*float"),
    case("rnn-nonlinearity", lambda: RNNScratch(3, 4, "sigmoid"), ValueError, r"\bnonlinearity\b.*'sigmoid'"),
    case(
        "from_torch-2-layers",
        lambda: RNNScratch.from_torch(nn.RNN(3, 4, num_layers=2)),
        ValueError,
        r"\brnn\b.*num_layers=2",
    ),
    case(
        "from_torch-bidirectional",
        lambda: RNNScratch.from_torch(nn.RNN(3, 4, bidirectional=True)),
        ValueError,
        r"\brnn\b.*bidirectional=True",
    ),
    case(
        "from_torch-batch_first",
        lambda: RNNScratch.from_torch(nn.RNN(3, 4, batch_first=True)),
        ValueError,
        r"\brnn\b.*batch_first=True",
    ),
    case(
        "from_torch-no-bias",
        lambda: RNNScratch.from_torch(nn.RNN(3, 4, bias=False)),
        ValueError,
        r"\brnn\b.*bias=False",
    ),
    case("from_torch-lstm", lambda: RNNScratch.from_torch(nn.LSTM(3, 4)), TypeError, r"\brnn\b.*LSTM"),
    case("from_torch-linear", lambda: RNNScratch.from_torch(nn.Linear(3, 4)), TypeError, r"\brnn\b.*Linear"),
    # ------------------------------------------------------------ lm
    case("lm-X-float", lambda: lm()(torch.zeros(2, 3)), TypeError, r"\bX\b.*integer"),
    case("lm-X-too-large", lambda: lm()(torch.tensor([[0, V]])), ValueError, r"\bX\b.*\[0, 5\)"),
    case("lm-X-negative", lambda: lm()(torch.tensor([[-1, 0]])), ValueError, r"\bX\b.*-1"),
    case("lm-X-1d", lambda: lm()(torch.tensor([0, 1])), ValueError, r"\bX\b.*2 dimensions"),
    case("lm-core-input-size", lambda: RNNLM(RNNScratch(4, 3), V), ValueError, r"\bvocab_size\b=5.*got 4"),
    case("lm-core-no-size", lambda: RNNLM(nn.Linear(5, 3), V), TypeError, r"\bcore\b.*Linear"),
    case("lm-core-batch_first", lambda: RNNLM(nn.RNN(V, 3, batch_first=True), V), ValueError, r"\bcore\b.*batch_first"),
    case("lm-vocab_size-0", lambda: RNNLM(RNNScratch(V, 3), 0), ValueError, r"\bvocab_size\b"),
    case("generate-empty-prefix", lambda: generate(lm(), "", 5, VOCAB), ValueError, r"\bprefix\b"),
    case("generate-prefix-not-str", lambda: generate(lm(), ["a"], 5, VOCAB), ValueError, r"\bprefix\b"),
    case("generate-unknown-char", lambda: generate(lm(), "abé", 5, VOCAB), ValueError, r"\bprefix\b.*'é'"),
    case("generate-num_preds-0", lambda: generate(lm(), "ab", 0, VOCAB), ValueError, r"\bnum_preds\b"),
    case(
        "generate-temperature-negative",
        lambda: generate(lm(), "ab", 3, VOCAB, temperature=-1.0),
        ValueError,
        r"\btemperature\b.*-1",
    ),
    case(
        "generate-temperature-0", lambda: generate(lm(), "ab", 3, VOCAB, temperature=0), ValueError, r"\btemperature\b"
    ),
    case("uniform-vocab_size", lambda: uniform_perplexity(0), ValueError, r"\bvocab_size\b"),
    case("unigram-2d-train", lambda: unigram_perplexity(CORPUS.reshape(2, -1), CORPUS, V), ValueError, r"\btrain\b"),
    case("unigram-float-val", lambda: unigram_perplexity(CORPUS, CORPUS.float(), V), TypeError, r"\bval\b"),
    case(
        "unigram-val-out-of-range",
        lambda: unigram_perplexity(CORPUS, torch.tensor([0, 7]), V),
        ValueError,
        r"\bval\b.*7",
    ),
    case(
        "unigram-train-out-of-range",
        lambda: unigram_perplexity(torch.tensor([0, 7]), CORPUS, V),
        ValueError,
        r"\btrain\b.*7",
    ),
    # ------------------------------------------------------------ train
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
        lambda: train_lm(lm(), CORPUS, None, TrainConfig(), device="gpu"),
        ValueError,
        r"\bdevice\b.*'gpu'",
    ),
    case("device-tpu", lambda: get_device("tpu"), ValueError, r"\bdevice\b.*'tpu'"),
    case("device-cuda-bad-index", lambda: get_device("cuda:x"), ValueError, r"\bdevice\b"),
    case("clip-max_norm-0", lambda: clip_gradients(with_grad(), 0.0), ValueError, r"\bmax_norm\b"),
    case("evaluate-2d-corpus", lambda: evaluate_perplexity(lm(), CORPUS.reshape(10, 10)), ValueError, r"\bcorpus\b"),
    case(
        "evaluate-too-short",
        lambda: evaluate_perplexity(lm(), torch.arange(10) % V),
        ValueError,
        r"\bcorpus\b.*too short",
    ),
    case("evaluate-num_steps-0", lambda: evaluate_perplexity(lm(), CORPUS, num_steps=0), ValueError, r"\bnum_steps\b"),
    case(
        "evaluate-batch_size-0", lambda: evaluate_perplexity(lm(), CORPUS, batch_size=0), ValueError, r"\bbatch_size\b"
    ),
    # ------------------------------------------------------------ checkpoint
    case("cache_key-name", lambda: cache_key("my model", {}), ValueError, r"\bname\b.*'my model'"),
    case("cache_key-empty-name", lambda: cache_key("", {}), ValueError, r"\bname\b"),
    case(
        "load_or_train-name",
        lambda: load_or_train("../up", lm(), {}, lambda: None),
        ValueError,
        r"\bname\b.*'\.\./up'",
    ),
    case("load_model-missing-file", lambda: load_model(lm(), "no/such/file.pt"), FileNotFoundError, r"file\.pt"),
    # ------------------------------------------------------------ runtime
    case("file_hash-None", lambda: lc.file_hash(None), TypeError, r"\bpath\b.*NoneType"),
    case("file_hash-algorithm", lambda: lc.file_hash(__file__, "sha999"), ValueError, r"\balgorithm\b.*'sha999'"),
    case("seed_everything-None", lambda: lc.seed_everything(None), TypeError, r"\bseed\b.*NoneType"),
    case("model_device-None", lambda: lc.model_device(None), TypeError, r"\bmodel\b.*NoneType"),
    case("find_results-absolute", lambda: lc.find_results("/etc/passwd"), ValueError, r"\bname\b.*'/etc/passwd'"),
    case("device-int", lambda: get_device(3), ValueError, r"\bdevice\b.*3"),
    # ------------------------------------------------------------ data: text, downloads, batching
    case("fetch-name-None", lambda: fetch(None), ValueError, r"\bname\b.*None"),
    case("fetch-timeout-inf", lambda: fetch("timemachine.txt", timeout=INF), ValueError, r"\btimeout\b.*inf"),
    case("fetch-local_dir-int", lambda: fetch("timemachine.txt", local_dir=3), TypeError, r"\blocal_dir\b.*int"),
    case("vocab-tokens-None", lambda: Vocab(None), TypeError, r"\btokens\b.*NoneType"),
    case(
        "vocab-reserved-str", lambda: Vocab("ab", reserved_tokens="<pad>"), TypeError, r"\breserved_tokens\b.*'<pad>'"
    ),
    case("vocab-reserved-int", lambda: Vocab("ab", reserved_tokens=[1]), TypeError, r"\breserved_tokens\[0\].*int"),
    case("vocab-encode-None", lambda: VOCAB.encode(None), TypeError, r"\btokens\b.*NoneType"),
    case("vocab-getitem-None", lambda: VOCAB[None], TypeError, r"\btokens\b.*NoneType"),
    case(
        "vocab-encode-unknown", lambda: VOCAB.encode(["a", "z"]), ValueError, r"\btokens\b.*not in the vocabulary.*'z'"
    ),
    case("vocab-index-float", lambda: VOCAB.to_tokens([1.0]), TypeError, r"\bindices\b.*float"),
    case("vocab-to_tokens-None", lambda: VOCAB.to_tokens(None), TypeError, r"\bindices\b.*NoneType"),
    case("preprocess-None", lambda: lc.preprocess_time_machine(None), TypeError, r"\btext\b.*NoneType"),
    case("split-fraction-str", lambda: split_corpus(CORPUS, "0.1"), TypeError, r"\bval_fraction\b.*str"),
    case("split-fraction-nan", lambda: split_corpus(CORPUS, NAN), ValueError, r"\bval_fraction\b.*nan"),
    case("split-test-fraction-none", lambda: split_corpus(CORPUS, 0.1, None), TypeError, r"\btest_fraction\b"),
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
    case("adding-num_steps-1", lambda: lc.adding_problem(4, 1), ValueError, r"\bnum_steps\b.*>= 2"),
    case("agreement-vocab-2", lambda: lc.agreement_task(4, 3, vocab_size=2), ValueError, r"\bvocab_size\b.*>= 3"),
    case("sign_of_sum-lengths", lambda: lc.sign_of_sum_task(4, 5, 2), ValueError, r"\bmax_length\b.*>= min_length"),
    case("lookahead-offset", lambda: lc.lookahead_task(4, 3, offset=3), ValueError, r"\boffset\b.*< num_steps=3"),
    case("lookahead-seed-float", lambda: lc.lookahead_task(4, 5, seed=1.5), TypeError, r"\bseed\b.*float"),
    case("digits-test_fraction-nan", lambda: lc.load_digit_rows(NAN), ValueError, r"\btest_fraction\b.*nan"),
    case(
        "sunspots-window-0",
        lambda: lc.sliding_windows(torch.zeros(9, dtype=torch.float64), 0),
        ValueError,
        r"\bwindow\b",
    ),
    case(
        "standardizer-fit-nan",
        lambda: lc.Standardizer.fit(torch.tensor([1.0, NAN, 2.0])),
        ValueError,
        r"\btrain\b.*finite.*1 NaN",
    ),
    case("standardizer-std-0", lambda: lc.Standardizer(0.0, 0.0), ValueError, r"\bstd\b.*> 0"),
    case("standardizer-mean-inf", lambda: lc.Standardizer(INF, 1.0), ValueError, r"\bmean\b.*inf"),
    case(
        "standardizer-transform-None", lambda: lc.Standardizer(0.0, 1.0).transform(None), TypeError, r"\bx\b.*NoneType"
    ),
    # ------------------------------------------------------------ data: sentences and translation pairs
    case("encode-vocab-no-pad", lambda: lc.encode(["a"], Vocab(["a"])), ValueError, r"\bvocab\b.*'<pad>'"),
    case("encode-texts-str", lambda: lc.encode("a b", POLARITY_VOCAB), TypeError, r"\btexts\b.*str"),
    case("encode-max_length-0", lambda: lc.encode(["a"], POLARITY_VOCAB, max_length=0), ValueError, r"\bmax_length\b"),
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
    # ------------------------------------------------------------ models: scratch cells and layers
    case(
        "lstmcell-X_t-size",
        lambda: cell()(torch.zeros(2, 5), st()),
        ValueError,
        r"\bX_t\b.*dimension 1 is 5, expected 3",
    ),
    case("lstmcell-X_t-1d-broadcast", lambda: cell()(torch.zeros(3), st()), ValueError, r"\bX_t\b.*2 dimensions"),
    case(
        "lstmcell-X_t-float64",
        lambda: cell()(torch.zeros(2, 3, dtype=torch.float64), st()),
        TypeError,
        r"\bX_t\b.*dtype.*float32.*got torch\.float64",
    ),
    case("lstmcell-X_t-None", lambda: cell()(None, st()), TypeError, r"\bX_t\b.*torch\.Tensor.*NoneType"),
    case(
        "lstmcell-state-tensor", lambda: cell()(torch.zeros(2, 3), torch.zeros(2, 4)), TypeError, r"\bstate\b.*\(H, C\)"
    ),
    case(
        "lstmcell-H-batch", lambda: cell()(torch.zeros(2, 3), st(B=1)), ValueError, r"state\[0\] \(H\).*shape \(2, 4\)"
    ),
    case("lstmcell-gate", lambda: cell().weights("g"), ValueError, r"\bgate\b.*'g'"),
    case(
        "lstm-state-shape",
        lambda: lc.LSTMScratch(3, 4)(X3(), st()),
        ValueError,
        r"state\[0\] \(H\).*3 dimensions",
    ),
    case(
        "lstm-gate_trace-layer",
        lambda: lc.LSTMScratch(3, 4).gate_trace(X3(), layer=1),
        ValueError,
        r"\blayer\b.*\[0, 1\)",
    ),
    case("set_forget_bias-inf", lambda: lc.set_forget_bias(lc.LSTMScratch(3, 4), INF), ValueError, r"\bvalue\b.*inf"),
    case("set_forget_bias-gru", lambda: lc.set_forget_bias(nn.GRU(3, 4), 1.0), TypeError, r"\bcore\b.*GRU"),
    case(
        "rnn_step-nonlinearity", lambda: lc.rnn_step(*rnn_args(), "sigmoid"), ValueError, r"\bnonlinearity\b.*'sigmoid'"
    ),
    case("rnn_step-X_t-size", lambda: lc.rnn_step(*rnn_args(torch.zeros(2, 5))), ValueError, r"\bX_t\b.*expected 3"),
    case("rnn_step-X_t-1d", lambda: lc.rnn_step(*rnn_args(torch.zeros(3))), ValueError, r"\bX_t\b.*2 dimensions"),
    case(
        "rnn_step-H-batch-broadcast",
        lambda: lc.rnn_step(*rnn_args(H=torch.zeros(1, 4))),
        ValueError,
        r"\bH\b.*shape \(2, 4\)",
    ),
    case(
        "rnn_step-X_t-float64",
        lambda: lc.rnn_step(*rnn_args(torch.zeros(2, 3, dtype=torch.float64))),
        TypeError,
        r"\bX_t\b.*same dtype as W_xh",
    ),
    case(
        "grucell-X_t-float64",
        lambda: lc.GRUCellScratch(3, 4)(torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 4)),
        TypeError,
        r"\bX_t\b.*float64",
    ),
    case(
        "grucell-H-shape",
        lambda: lc.GRUCellScratch(3, 4)(torch.zeros(2, 3), torch.zeros(4)),
        ValueError,
        r"\bH\b.*2 dimensions",
    ),
    case("gru-H0-shape", lambda: lc.GRUScratch(3, 4)(X3(), torch.zeros(2, 4)), ValueError, r"\bH0\b.*3 dimensions"),
    case(
        "fused-X-float64",
        lambda: lc.FusedLSTM(3, 4)(X3(dtype=torch.float64)),
        TypeError,
        r"\bX\b.*dtype.*float64",
    ),
    case(
        "bptt-state-shape",
        lambda: lc.BPTTLSTM(3, 4)(X3(), st()),
        ValueError,
        r"state\[0\] \(H0\).*3 dimensions",
    ),
    case(
        "bptt_tanh-W_hh-shape",
        lambda: lc.bptt_tanh(X3(), torch.zeros(2, 4), torch.zeros(2, 2, 4), torch.zeros(3, 3), torch.zeros(2, 2, 4)),
        ValueError,
        r"\bW_hh\b.*shape \(4, 4\)",
    ),
    case(
        "fused_to_torch-b-shape",
        lambda: lc.fused_to_torch(torch.zeros(3, 16), torch.zeros(4, 16), torch.zeros(12)),
        ValueError,
        r"\bb\b must have shape \(16\)",
    ),
    case("make_lstm-name", lambda: lc.make_lstm("fastest", nn.LSTM(3, 4)), ValueError, r"\bname\b.*'fastest'"),
    case("variant-name", lambda: lc.LSTMVariant(3, 4, variant="peephole"), ValueError, r"\bvariant\b.*'peephole'"),
    case("variant-forget_bias-inf", lambda: lc.LSTMVariant(3, 4, forget_bias=INF), ValueError, r"\bforget_bias\b.*inf"),
    case(
        "variant-no_forget-bias",
        lambda: lc.LSTMVariant(3, 4, variant="no_forget", forget_bias=1.0),
        ValueError,
        r"\bforget_bias\b must be None",
    ),
    case("variant-X-integer", lambda: lc.LSTMVariant(3, 4)(X3().long()), TypeError, r"\bX\b.*floating"),
    case(
        "bilstm-lengths-long",
        lambda: lc.BiLSTMScratch(3, 4)(X3(), lengths=torch.tensor([1, 3])),
        ValueError,
        r"\blengths\b.*\[1, 2\]",
    ),
    case(
        "reverse_padded-lengths-float",
        lambda: lc.reverse_padded(X3(), torch.tensor([1.0, 2.0])),
        TypeError,
        r"\blengths\b.*integer",
    ),
    # ------------------------------------------------------------ models: attention
    case(
        "attention-keys-float64",
        lambda: attention()(*qkv()[:1], torch.zeros(2, 3, 4, dtype=torch.float64), torch.zeros(2, 3, 4)),
        TypeError,
        r"\bkeys\b.*same dtype as the layer's parameters \(torch\.float32\)",
    ),
    case(
        "attention-dot-queries-float64",
        lambda: attention("dot")(*qkv(dtype=torch.float64)),
        TypeError,
        r"\bkeys\b.*same dtype as queries \(torch\.float64\)",
    ),
    case(
        "attention-queries-size",
        lambda: attention()(torch.zeros(2, 1, 5), *qkv()[1:]),
        ValueError,
        r"\bqueries\b must have shape \(\*, \*, 4\)",
    ),
    case(
        "make_attention-num_hiddens-0",
        lambda: lc.make_attention("additive", 4, 4, 0),
        ValueError,
        r"\bnum_hiddens\b.*0",
    ),
    case(
        "make_attention-general-num_hiddens",
        lambda: lc.make_attention("general", 4, 4, 8),
        ValueError,
        r"\bnum_hiddens\b is only used by kind='additive'",
    ),
    case("make_attention-kind", lambda: lc.make_attention("cosine", 4, 4), ValueError, r"\bkind\b.*'cosine'"),
    case(
        "masked_softmax-mask-float",
        lambda: lc.masked_softmax(torch.zeros(1, 1, 3), torch.ones(1, 3)),
        TypeError,
        r"\bmask\b.*torch\.bool",
    ),
    case(
        "masked_softmax-empty-row",
        lambda: lc.masked_softmax(torch.zeros(1, 1, 3), torch.zeros(1, 3, dtype=torch.bool)),
        ValueError,
        r"\bmask\b.*at least one key",
    ),
    case("attention-dropout-1.5", lambda: lc.AdditiveAttention(4, 4, 4, dropout=1.5), ValueError, r"\bdropout\b.*1\.5"),
    case("attention-dropout-nan", lambda: lc.DotProductAttention(4, dropout=NAN), ValueError, r"\bdropout\b.*nan"),
    case(
        "lengths_to_mask-0", lambda: lc.lengths_to_mask(torch.tensor([0, 2]), 4), ValueError, r"\blengths\b.*\[1, 4\]"
    ),
    # ------------------------------------------------------------ models: language models and heads
    case(
        "generate-temperature-inf",
        lambda: generate(lm(), "ab", 3, VOCAB, temperature=INF),
        ValueError,
        r"\btemperature\b.*inf",
    ),
    case(
        "generate-temperature-nan",
        lambda: generate(lm(), "ab", 3, VOCAB, temperature=NAN),
        ValueError,
        r"\btemperature\b.*nan",
    ),
    case("generate-prefix-None", lambda: generate(lm(), None, 3, VOCAB), ValueError, r"\bprefix\b.*None"),
    case(
        "generate-vocab-size",
        lambda: generate(lm(), "ab", 3, Vocab(list("abcde"))),
        ValueError,
        r"\bvocab\b.*6 tokens.*vocab_size is 5",
    ),
    case("generate-vocab-None", lambda: generate(lm(), "ab", 3, None), TypeError, r"\bvocab\b.*NoneType"),
    case("generate-seed-str", lambda: generate(lm(), "ab", 3, VOCAB, seed="0"), TypeError, r"\bseed\b.*str"),
    case("generate-model-None", lambda: generate(None, "ab", 3, VOCAB), TypeError, r"\bmodel\b.*NoneType"),
    case(
        "generate_causal-unknown",
        lambda: lc.generate_causal(lc.CharLSTM(V, 4, bidirectional=False), "az", 3, VOCAB),
        ValueError,
        r"\bprefix\b.*'z'",
    ),
    case(
        "charlstm-X-range",
        lambda: lc.CharLSTM(V, 4, bidirectional=True)(torch.tensor([[0, V]])),
        ValueError,
        r"\bX\b.*\[0, 5\)",
    ),
    case(
        "last_state-X-range",
        lambda: lc.LastStateModel(RNNScratch(V, 4), 2, vocab_size=V)(torch.tensor([[0, 7]])),
        ValueError,
        r"\bX\b.*\[0, 5\).*7",
    ),
    case(
        "lm-X-device",
        lambda: lm()(torch.zeros(1, 2, dtype=torch.long, device="meta")),
        ValueError,
        r"\bX\b is on device meta, but the model's parameters are on cpu",
    ),
    case(
        "last_state-X-device",
        lambda: last_state()(torch.zeros(1, 2, 3, device="meta")),
        ValueError,
        r"\bX\b is on device meta",
    ),
    case(
        "attention-values-device",
        lambda: attention()(*qkv()[:2], torch.zeros(2, 3, 4, device="meta")),
        ValueError,
        r"\bvalues\b is on device meta, but the layer's parameters are on cpu",
    ),
    case(
        "lstmcell-X_t-device",
        lambda: cell()(torch.zeros(2, 3, device="meta"), st()),
        ValueError,
        r"\bX_t\b is on device meta",
    ),
    case("tagger-core-size", lambda: lc.Tagger(nn.LSTM(4, 4), V, 3), ValueError, r"\bvocab_size\b=5.*got 4"),
    case(
        "padded-core-bidirectional",
        lambda: lc.PaddedSequenceModel(nn.LSTM(1, 4, bidirectional=True), 2),
        ValueError,
        r"\bcore\b.*bidirectional",
    ),
    # ------------------------------------------------------------ models: encoder-decoders
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
    # ------------------------------------------------------------ models: sentence classifier
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
    # ------------------------------------------------------------ measure: metrics and baselines
    case(
        "accuracy-label-beyond-outputs",
        lambda: lc.accuracy(last_state(2), torch.zeros(3, 2, 3), torch.tensor([0, 1, 2])),
        ValueError,
        r"\by\b.*class labels in \[0, 2\) \(the model has 2 outputs\)",
    ),
    case(
        "accuracy-label-negative",
        lambda: lc.accuracy(last_state(2), torch.zeros(2, 2, 3), torch.tensor([0, -1])),
        ValueError,
        r"\by\b.*\[-1, 0\]",
    ),
    case(
        "padded_accuracy-label",
        lambda: lc.padded_accuracy(padded(2), torch.zeros(2, 3, 1), torch.tensor([3, 1]), torch.tensor([0, 5])),
        ValueError,
        r"\by\b.*class labels in \[0, 2\)",
    ),
    case(
        "tagging_accuracy-tag",
        lambda: lc.tagging_accuracy(tagger(3), torch.zeros(2, 4, dtype=torch.long), torch.full((2, 4), 3)),
        ValueError,
        r"\bY\b.*tags in \[0, 3\)",
    ),
    case(
        "mse-y-nan",
        lambda: lc.mean_squared_error(last_state(1), torch.zeros(2, 2, 3), torch.tensor([0.0, NAN])),
        ValueError,
        r"\by\b.*finite.*1 NaN",
    ),
    case(
        "rmse-pred-inf",
        lambda: lc.rmse(torch.tensor([INF]), torch.tensor([0.0])),
        ValueError,
        r"\bpred\b.*finite.*1 infinite",
    ),
    case("mae-target-None", lambda: lc.mae(torch.tensor([0.0]), None), TypeError, r"\btarget\b.*NoneType"),
    case(
        "causal_perplexity-corpus-range",
        lambda: lc.causal_perplexity(lc.CharLSTM(V, 4, bidirectional=False), torch.arange(20) % 7, num_steps=3),
        ValueError,
        r"\bcorpus\b.*\[0, 5\)",
    ),
    case(
        "unigram-alpha-negative",
        lambda: unigram_perplexity(CORPUS, CORPUS, V, alpha=-1.0),
        ValueError,
        r"\balpha\b.*-1",
    ),
    case("unigram-alpha-inf", lambda: unigram_perplexity(CORPUS, CORPUS, V, alpha=INF), ValueError, r"\balpha\b.*inf"),
    case(
        "logistic-C-inf",
        lambda: lc.logistic_regression_accuracy(
            torch.zeros(4, 2), torch.arange(4) % 2, torch.zeros(4, 2), torch.arange(4) % 2, C=INF
        ),
        ValueError,
        r"\bC\b.*inf",
    ),
    case(
        "fit_autoregression-y-nan",
        lambda: lc.fit_autoregression(torch.zeros(5, 2), torch.tensor([0.0, 1.0, NAN, 0.0, 1.0])),
        ValueError,
        r"\by\b.*finite",
    ),
    case(
        "predict_autoregression-coef-inf",
        lambda: lc.predict_autoregression(torch.tensor([1.0, INF]), torch.zeros(3, 1)),
        ValueError,
        r"\bcoef\b.*finite",
    ),
    # ------------------------------------------------------------ measure: BLEU
    case("ngrams-None", lambda: lc.ngrams(None, 2), TypeError, r"\btokens\b.*NoneType"),
    case(
        "bleu-references-count",
        lambda: lc.corpus_bleu([["a"]], []),
        ValueError,
        r"\breferences\b.*one entry per candidate",
    ),
    case("bleu-max_n-0", lambda: lc.bleu_stats([["a"]], [["a"]], max_n=0), ValueError, r"\bmax_n\b"),
    case(
        "bleu_by_length-bin-reversed",
        lambda: lc.bleu_by_length([["a"]], [["a"]], [1], [(3, 1)]),
        ValueError,
        r"bins\[0\] must have low <= high",
    ),
    case(
        "bleu_by_length-bin-int", lambda: lc.bleu_by_length([["a"]], [["a"]], [1], [3]), TypeError, r"bins\[0\].*pair"
    ),
    case(
        "evaluate_bleu-max_steps-0",
        lambda: lc.evaluate_bleu(seq2seq(), translation_data(), max_steps=0),
        ValueError,
        r"\bmax_steps\b.*0",
    ),
    case("evaluate_bleu-data-None", lambda: lc.evaluate_bleu(seq2seq(), None), TypeError, r"\bdata\b.*NoneType"),
    # ------------------------------------------------------------ measure: diagnostics and interpretation
    case(
        "scaled_orthogonal-inf",
        lambda: lc.scaled_orthogonal(4, INF),
        ValueError,
        r"\bspectral_radius\b.*inf",
    ),
    case("scaled_orthogonal-seed-float", lambda: lc.scaled_orthogonal(4, 1.0, seed=0.5), TypeError, r"\bseed\b.*float"),
    case(
        "spectral_radius-nan", lambda: lc.spectral_radius(torch.full((2, 2), NAN)), ValueError, r"\bW\b.*finite.*4 NaN"
    ),
    case(
        "singular_value-inf", lambda: lc.largest_singular_value(torch.full((2, 2), INF)), ValueError, r"\bW\b.*finite"
    ),
    case(
        "geometric_rate-zero",
        lambda: lc.geometric_rate(torch.tensor([1.0, 0.0])),
        ValueError,
        r"\bnorms\b.*finite and > 0",
    ),
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
    # ------------------------------------------------------------ measure: benchmark
    case("summarize_times-inf", lambda: lc.summarize_times([0.1, INF]), ValueError, r"seconds\[1\].*inf"),
    case(
        "time_interleaved-not-callable",
        lambda: lc.time_interleaved({"a": 3}, repeats=1),
        TypeError,
        r"cases\['a'\] must be callable",
    ),
    case(
        "speed_ladder-no-nn.LSTM",
        lambda: lc.plot_speed_ladder({**SPEED, "results": {"fused": SPEED_ROW}}),
        ValueError,
        r"results\['results'\] must contain 'nn\.LSTM'",
    ),
    case(
        "speed_ladder-damaged-row",
        lambda: lc.plot_speed_ladder(
            {**SPEED, "results": {"nn.LSTM": SPEED_ROW, "fused": {"train_ms": {"median": 1}}}}
        ),
        ValueError,
        r"results\['results'\]\['fused'\]\['train_ms'\].*'q25'",
    ),
    case(
        "speed_ladder-no-shape", lambda: lc.plot_speed_ladder({"results": {}}), ValueError, r"\bresults\b.*'batch_size'"
    ),
    case("profile_step-X-None", lambda: lc.profile_step(lc.FusedLSTM(3, 4), None), TypeError, r"\bX\b.*NoneType"),
    # ------------------------------------------------------------ plots
    case("plot_perplexities-inf", lambda: lc.plot_perplexities({"rnn": INF}), ValueError, r"values\['rnn'\].*inf"),
    case(
        "plot_attention-words-None",
        lambda: lc.plot_attention(torch.zeros(1, 1), None, ["a"]),
        TypeError,
        r"\bsrc_words\b.*None",
    ),
    case(
        "plot_accuracy_vs_distance-chance",
        lambda: lc.plot_accuracy_vs_distance([1], [[0.5]], chance=2.0),
        ValueError,
        r"\bchance\b.*2\.0",
    ),
    # ------------------------------------------------------------ recipes: the pretrained translator
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
    # ------------------------------------------------------------ checkpoints: weights with a record, atomic writes
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
    case(
        "atomic_write_many-list", lambda: lc.atomic_write_many([Path("x")]), TypeError, r"\bfiles\b must be a mapping"
    ),
    case(
        "atomic_write_many-path-str",
        lambda: lc.atomic_write_many({"x": lambda tmp: None}),
        TypeError,
        r"\bpath\b must be a pathlib\.Path",
    ),
    # ------------------------------------------------------------ recipes: ablations and character LMs
    case(
        "ablation_table-damaged",
        write_and_read(lc.load_ablation_table, '{"settings": '),
        ValueError,
        r"table\.json is not a valid JSON ablation table",
    ),
    case(
        "ablation_table-incomplete",
        write_and_read(lc.load_ablation_table, '{"settings": {}}'),
        ValueError,
        r"table\.json is not a complete ablation table.*'ablations'",
    ),
    case(
        "ablation_table-row-without-mean",
        write_and_read(lc.load_ablation_table, json.dumps(ABLATION_TABLE)),
        ValueError,
        r"table\.json \['results'\]\['adding'\]\['vanilla'\].*'mean'",
    ),
    case(
        "ablation_table-missing",
        lambda: lc.load_ablation_table("no/such/ablations.json"),
        FileNotFoundError,
        r"ablations\.json was not found",
    ),
    case("make_core-ablation", lambda: lc.make_core("nope", 2, 4), ValueError, r"\bablation\b.*'nope'"),
    case("make_core-num_hiddens-0", lambda: lc.make_core("gru", 2, 0), ValueError, r"\bnum_hiddens\b.*0"),
    case(
        "ablation_model-seed-str",
        lambda: lc.ablation_model("adding", "vanilla", "1", lc.AblationData("adding")),
        TypeError,
        r"\bseed\b.*str",
    ),
    case(
        "ablation_model-data-None",
        lambda: lc.ablation_model("adding", "vanilla", 1, None),
        TypeError,
        r"\bdata\b.*NoneType",
    ),
    case("ablation-task", lambda: lc.ablation_data("sorting"), ValueError, r"\btask\b.*'sorting'"),
    case("char_lm-kind", lambda: lc.char_lm_config("gru"), ValueError, r"\bkind\b.*'gru'"),
]


def test_clip_gradients_reports_a_non_finite_norm():
    """A NaN gradient must not be "clipped" silently: clip_gradients raises, or warns and returns the NaN norm."""
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([math.nan, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            norm = clip_gradients([p], 1.0)
        except (ValueError, FloatingPointError) as err:
            assert "norm" in str(err) or "grad" in str(err), str(err)
            return
    assert not math.isfinite(norm) and caught, f"clip_gradients returned {norm} for a NaN gradient without a warning"


def test_table_is_big_enough():
    assert len(CASES) >= 120


def test_every_case_names_an_argument():
    """Each pattern must pin down the argument (or file) at fault, not accept any error text."""
    for param in CASES:
        _, _, pattern = param.values
        assert len(pattern) >= 6 and pattern not in (".*", r".+"), param.id


@pytest.mark.parametrize(("fn", "exc", "pattern"), CASES)
def test_bad_input(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()
