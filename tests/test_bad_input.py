"""Bad input across the package: each case must raise the right exception with a
message that names the argument at fault (a reader's mistake points at itself).

One table: ``(callable, exception type, regex that must appear in the message)``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

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
]


def test_table_is_big_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize(("fn", "exc", "pattern"), CASES)
def test_bad_input(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()
