"""The word-level LM of chapter 11: corpus, dropouts, weight drop, tying, equality with nn.LSTM, training."""

from __future__ import annotations

import pytest
import torch
from bad_input import bad_input_test, case
from torch import nn

import lstm_companion as lc

V, E, L = 40, 6, 2


def reference(model: lc.WordLM) -> tuple[nn.Embedding, nn.LSTM, nn.Linear]:
    """Embedding + nn.LSTM(num_layers) + Linear holding ``model``'s weights."""
    emb, lstm, lin = nn.Embedding(V, E), nn.LSTM(E, E, L, batch_first=True), nn.Linear(E, V)
    with torch.no_grad():
        emb.weight.copy_(model.embedding.weight)
        lin.weight.copy_(model.decoder.weight)
        lin.bias.copy_(model.decoder.bias)
        for layer in range(L):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(lstm, f"{name}_l{layer}").copy_(getattr(model.rnns[layer].module, f"{name}_l0"))
    return emb, lstm, lin


def test_equals_embedding_lstm_linear():
    torch.manual_seed(0)
    model = lc.WordLM(V, E, E, L)
    emb, lstm, lin = reference(model)
    X = torch.randint(0, V, (3, 7))
    state = (torch.randn(L, 3, E), torch.randn(L, 3, E))
    logits, (H, C) = model(X, state)
    out, (H_ref, C_ref) = lstm(emb(X), state)
    torch.testing.assert_close(logits, lin(out), rtol=0, atol=1e-6)
    torch.testing.assert_close(H, H_ref, rtol=0, atol=1e-6)
    torch.testing.assert_close(C, C_ref, rtol=0, atol=1e-6)
    logits.square().sum().backward()
    lin(out).square().sum().backward()
    torch.testing.assert_close(model.embedding.weight.grad, emb.weight.grad, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(model.rnns[1].module.weight_hh_l0.grad, lstm.weight_hh_l1.grad, rtol=1e-5, atol=1e-6)


def test_eval_mode_drops_nothing():
    torch.manual_seed(0)
    rates = dict(dropout=0.5, dropouti=0.5, dropouth=0.5, dropoute=0.5, wdrop=0.5)
    model = lc.WordLM(V, E, E, L, **rates)
    plain = lc.WordLM(V, E, E, L)
    plain.load_state_dict(model.state_dict())
    X = torch.randint(0, V, (4, 9))
    model.train()
    train_out = model(X)[0]
    model.eval()
    eval_out = model(X)[0]
    torch.testing.assert_close(eval_out, plain(X)[0], rtol=0, atol=0)
    assert (train_out - eval_out).abs().max() > 1e-3  # dropout was active in training mode
    torch.testing.assert_close(model(X)[0], eval_out, rtol=0, atol=0)  # and eval is deterministic


def test_locked_dropout_same_mask_at_every_step():
    torch.manual_seed(0)
    drop = lc.LockedDropout(0.5)
    y = drop(torch.ones(8, 20, 16))
    assert torch.equal(y, y[:, :1].expand_as(y))  # one mask per (sequence, feature)
    assert set(y.unique().tolist()) == {0.0, 2.0}  # kept entries scaled by 1 / (1 - p)
    assert not torch.equal(y[0], y[1])  # but different sequences get different masks
    plain = lc.LockedDropout(0.5, locked=False)(torch.ones(8, 20, 16))
    assert not torch.equal(plain, plain[:, :1].expand_as(plain))
    drop.eval()
    x = torch.randn(2, 3, 4)
    assert drop(x) is x


def test_embedding_dropout_drops_whole_words():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 5)
    tokens = torch.tensor([[3, 3, 4, 4, 3, 4, 5, 6, 7, 8]] * 4)
    dropped, kept = 0, 0
    for _ in range(20):
        out = lc.embedding_dropout(emb, tokens, 0.5)
        for t in range(10):
            rows = out[tokens == t]  # every occurrence of word t
            if len(rows):
                assert torch.equal(rows, rows[:1].expand_as(rows))
                if bool((rows == 0).all()):
                    dropped += 1
                else:
                    torch.testing.assert_close(rows[0], emb.weight[t] * 2)
                    kept += 1
    assert dropped > 0 and kept > 0
    torch.testing.assert_close(lc.embedding_dropout(emb, tokens, 0.5, training=False), emb(tokens))


def test_weight_drop_one_mask_per_forward_gradient_to_raw_weight():
    torch.manual_seed(0)
    wd = lc.WeightDrop(nn.LSTM(4, 5, batch_first=True), 0.5)
    raw = wd.module.weight_hh_l0.detach().clone()
    x = torch.randn(3, 6, 4)
    torch.manual_seed(1)
    out, _ = wd(x)
    torch.manual_seed(1)
    mask = wd.dropped_weights()["weight_hh_l0"] != 0  # the mask that call drew
    assert 0.3 < float(mask.float().mean()) < 0.7
    out.square().sum().backward()
    grad = wd.module.weight_hh_l0.grad
    assert grad is not None
    assert torch.equal(grad[~mask], torch.zeros_like(grad[~mask]))  # dropped weights get no gradient
    assert float((grad[mask] != 0).float().mean()) > 0.9  # kept ones do
    assert torch.equal(wd.module.weight_hh_l0.detach(), raw)  # the raw weight is never overwritten
    # the same forward with that mask applied by hand through nn.LSTM
    manual = nn.LSTM(4, 5, batch_first=True)
    manual.load_state_dict(wd.module.state_dict())
    with torch.no_grad():
        manual.weight_hh_l0.mul_(mask / 0.5)
    torch.testing.assert_close(out, manual(x)[0], rtol=1e-5, atol=1e-6)
    # a new mask at the next call; none in eval mode
    assert not torch.equal(wd(x)[0], wd(x)[0])
    wd.eval()
    torch.testing.assert_close(wd(x)[0], wd.module(x)[0], rtol=0, atol=0)


def test_weight_drop_mask_shared_by_every_step():
    # with W_hh dropped once per call, a state-free sequence of identical inputs repeats exactly what
    # the same LSTM with that fixed dropped matrix computes at every step (checked above); here: the
    # wrapped module keeps no dropped copy after the call
    wd = lc.WeightDrop(nn.LSTM(2, 3), 0.5)
    wd(torch.randn(4, 1, 2))
    assert all(isinstance(p, nn.Parameter) for p in wd.module.parameters())
    assert [n for n, _ in wd.named_parameters()] == [f"module.{n}" for n, _ in wd.module.named_parameters()]


def test_tied_weights_share_one_parameter():
    tied = lc.WordLM(V, E, E, L, tie_weights=True)
    untied = lc.WordLM(V, E, E, L)
    assert tied.decoder.weight is tied.embedding.weight
    n = sum(p.numel() for p in tied.parameters())
    assert n == sum(p.numel() for p in untied.parameters()) - V * E
    tied(torch.randint(0, V, (2, 3)))[0].sum().backward()
    assert tied.embedding.weight.grad is not None
    with pytest.raises(ValueError, match=r"tie_weights=True needs embed_size == hidden_size.*embed_size=6.*8"):
        lc.WordLM(V, E, 8, L, tie_weights=True)


def test_config_builds_the_model():
    cfg = lc.WordLMConfig(embed_size=E, hidden_size=E, num_layers=3, wdrop=0.2, tie_weights=True)
    model = cfg.build(V)
    assert len(model.rnns) == 3 and model.rnns[0].p == 0.2 and model.tie_weights


# ----------------------------------------------------------------------------- corpus

TEXT = "Hi.\tSalut.\nHi.\tSalut !\nRun!\tCours !\nGo on.\tVas-y.\nHi.\tBonjour.\nRun!\tFuyez !\n\n"


def test_english_sentences_deduplicated_in_order():
    assert lc.english_sentences(TEXT) == [("hi", "."), ("run", "!"), ("go", "on", ".")]


def test_vocab_cap_keeps_the_most_frequent_words():
    sents = [("a", "b", "a"), ("c", "a", "b"), ("d",)]
    vocab = lc.build_word_vocab(sents, 4)
    assert vocab.idx_to_token == ["<unk>", "<eos>", "a", "b"]
    assert vocab["c"] == vocab["d"] == 0 and vocab["<eos>"] == 1
    with pytest.raises(ValueError, match="max_vocab must be at least 3"):
        lc.build_word_vocab(sents, 2)


@pytest.fixture(scope="module")
def corpus() -> lc.WordCorpus:
    from conftest import SHARED_DATA

    if not (SHARED_DATA / "fra-eng.zip").is_file():
        pytest.skip("fra-eng.zip is not in ../shared/data")
    return lc.load_word_corpus(max_vocab=500, seed=3, max_sentences=4000, local_dir=SHARED_DATA)


def test_corpus_splits_share_no_sentence(corpus):
    splits = {k: set(v) for k, v in corpus.sentences.items()}
    assert not splits["train"] & splits["val"]
    assert not splits["train"] & splits["test"]
    assert not splits["val"] & splits["test"]
    assert corpus.settings["sentences"] == {"train": 3200, "val": 400, "test": 400}


def test_corpus_streams_and_vocab(corpus):
    assert len(corpus.vocab) == 500 and corpus.vocab_size == 500
    train_words = {w for s in corpus.sentences["train"] for w in s}
    assert set(corpus.vocab.idx_to_token[2:]) <= train_words  # built on training sentences only
    for split in ("train", "val", "test"):
        stream = getattr(corpus, split)
        assert stream.dtype == torch.long and stream.dim() == 1
        assert int((stream == corpus.eos).sum()) == len(corpus.sentences[split])  # one <eos> per sentence
        assert int(stream[-1]) == corpus.eos
        assert len(stream) == sum(len(s) + 1 for s in corpus.sentences[split])
    first = corpus.sentences["val"][0]
    assert corpus.val[: len(first)].tolist() == corpus.vocab[list(first)]


def test_corpus_is_seeded(corpus, shared_data):
    again = lc.load_word_corpus(max_vocab=500, seed=3, max_sentences=4000, local_dir=shared_data)
    assert torch.equal(again.train, corpus.train) and torch.equal(again.test, corpus.test)
    other = lc.load_word_corpus(max_vocab=500, seed=4, max_sentences=4000, local_dir=shared_data)
    assert not torch.equal(other.train[:100], corpus.train[:100])


def test_corpus_bad_input(shared_data):
    with pytest.raises(ValueError, match="val_fraction and test_fraction"):
        lc.load_word_corpus(val_fraction=0.6, test_fraction=0.5, local_dir=shared_data)
    with pytest.raises(ValueError, match="max_vocab"):
        lc.load_word_corpus(max_vocab=0, local_dir=shared_data)
    with pytest.raises(ValueError, match="empty split"):
        lc.load_word_corpus(max_sentences=3, local_dir=shared_data)


def test_train_word_lm_is_seeded_and_learns():
    gen = torch.Generator().manual_seed(0)
    pattern = torch.randint(2, 30, (50,), generator=gen)
    stream = pattern.repeat(30)
    vocab = lc.Vocab([str(i) for i in range(30)])
    tiny = lc.WordCorpus(vocab, stream, pattern.repeat(3), pattern.repeat(3), {"tiny": True})
    cfg = lc.WordLMConfig(embed_size=16, hidden_size=16, dropouth=0.2, wdrop=0.2)
    train = lc.FitConfig(num_epochs=3, batch_size=4, num_steps=10, lr=1e-2, optimizer="adam", clip=0.25)
    model, hist = lc.train_word_lm(tiny, cfg, train, seed=5)
    _, again = lc.train_word_lm(tiny, cfg, train, seed=5)
    assert hist.val_ppl == again.val_ppl
    assert hist.val_ppl[-1] < 0.5 * hist.val_ppl[0]
    settings = lc.word_lm_settings(tiny, cfg, train, 5)
    assert settings["model"]["wdrop"] == 0.2 and settings["seed"] == 5
    with pytest.raises(TypeError, match="corpus must be a WordCorpus"):
        lc.train_word_lm(stream, cfg)  # type: ignore[arg-type]


def test_cached_word_lm_loads_the_second_time():
    gen = torch.Generator().manual_seed(1)
    stream = torch.randint(0, 20, (600,), generator=gen)
    tiny = lc.WordCorpus(lc.Vocab([str(i) for i in range(20)]), stream, stream[:200], stream[:200], {"n": 600})
    cfg = lc.WordLMConfig(embed_size=8, hidden_size=8, wdrop=0.2)
    train = lc.FitConfig(num_epochs=1, batch_size=4, num_steps=10, lr=1e-2, optimizer="adam")
    first, hist, loaded = lc.cached_word_lm("tiny", tiny, cfg, train, seed=0, device="cpu")
    again, hist2, loaded2 = lc.cached_word_lm("tiny", tiny, cfg, train, seed=0, device="cpu")
    assert (loaded, loaded2) == (False, True)
    assert hist2.val_ppl == hist.val_ppl
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


# ---- bad input


def word_lm():
    return lc.WordLM(V, E, E, L)


BAD_INPUT = [
    case(
        "word_lm-tokens-float",
        lambda: word_lm()(torch.zeros(2, 3)),
        TypeError,
        r"tokens must be an integer tensor",
    ),
    case(
        "word_lm-tokens-1d",
        lambda: word_lm()(torch.zeros(3, dtype=torch.long)),
        ValueError,
        r"tokens must have 2 dimensions",
    ),
    case(
        "word_lm-tokens-range",
        lambda: word_lm()(torch.tensor([[0, 40]])),
        ValueError,
        r"tokens must hold token ids in \[0, 40\)",
    ),
    case(
        "word_lm-state-shape",
        lambda: word_lm()(torch.tensor([[0, 1]]), (torch.zeros(1, 1, E), torch.zeros(1, 1, E))),
        ValueError,
        r"state\[0\] \(H\) must have shape \(2, 1, 6\)",
    ),
    case(
        "word_lm-state-tensor",
        lambda: word_lm()(torch.tensor([[0, 1]]), torch.zeros(2, 1, E)),
        TypeError,
        r"state must be None or a tuple",
    ),
    *[
        case(
            f"word_lm-{name}-1",
            lambda name=name: lc.WordLM(V, E, E, L, **{name: 1.0}),
            ValueError,
            rf"\b{name} must be a number >= 0 and < 1",
        )
        for name in ("dropout", "dropouti", "dropouth", "dropoute", "wdrop")
    ],
    case("word_lm-num_layers-0", lambda: lc.WordLM(V, E, E, 0), ValueError, r"num_layers must be an int > 0"),
    case(
        "word_lm-tie_weights-int", lambda: lc.WordLM(V, E, E, tie_weights=1), TypeError, r"tie_weights must be a bool"
    ),
    case("weight_drop-gru", lambda: lc.WeightDrop(nn.GRU(2, 2)), TypeError, r"module must be an nn\.LSTM"),
    case(
        "embedding_dropout-linear",
        lambda: lc.embedding_dropout(nn.Linear(2, 2), torch.zeros(1, dtype=torch.long), 0.1),
        TypeError,
        r"embedding must be an nn\.Embedding",
    ),
    case("word_lm-vocab_size-0", lambda: lc.WordLM(0, E, E), ValueError, r"vocab_size must be an int > 0, got 0"),
    case(
        "word_lm-embed_size-negative", lambda: lc.WordLM(V, -1, E), ValueError, r"embed_size must be an int > 0, got -1"
    ),
    case(
        "word_lm-hidden_size-float",
        lambda: lc.WordLM(V, E, 6.0),
        TypeError,
        r"hidden_size must be an int > 0, got float",
    ),
    case(
        "word_lm-dropout-nan",
        lambda: lc.WordLM(V, E, E, dropout=float("nan")),
        ValueError,
        r"dropout must be a finite number >= 0 and < 1, got nan",
    ),
    case("word_lm-locked-int", lambda: lc.WordLM(V, E, E, locked=1), TypeError, r"locked must be a bool, got int 1"),
    case("word_lm-tokens-None", lambda: word_lm()(None), TypeError, r"tokens must be a torch\.Tensor, got NoneType"),
    case(
        "word_lm-tokens-negative",
        lambda: word_lm()(torch.tensor([[-1, 0]])),
        ValueError,
        r"tokens must hold token ids in \[0, 40\).*\[-1, 0\]",
    ),
    case(
        "word_lm-tokens-empty",
        lambda: word_lm()(torch.zeros(0, 2, dtype=torch.long)),
        ValueError,
        r"tokens must not be empty",
    ),
    case(
        "word_lm-tokens-device",
        lambda: word_lm()(torch.zeros(2, 2, dtype=torch.long, device="meta")),
        ValueError,
        r"tokens is on device meta, but the model's parameters are on cpu",
    ),
    case(
        "word_lm-state-list",
        lambda: word_lm()(torch.zeros(2, 1, dtype=torch.long), [(torch.zeros(1, 1, E), torch.zeros(1, 1, E))] * 2),
        TypeError,
        r"state must be None or a tuple \(H, C\)",
    ),
    case(
        "word_lm_config-embed_size-0",
        lambda: lc.WordLMConfig(embed_size=0).build(V),
        ValueError,
        r"embed_size must be an int > 0, got 0",
    ),
    case(
        "word_lm_config-vocab_size-0",
        lambda: lc.WordLMConfig(embed_size=E, hidden_size=E).build(0),
        ValueError,
        r"vocab_size must be an int > 0, got 0",
    ),
    case(
        "weight_drop-p-1", lambda: lc.WeightDrop(nn.LSTM(2, 2), p=1.0), ValueError, r"\bp must be a number >= 0 and < 1"
    ),
    case(
        "weight_drop-p-nan", lambda: lc.WeightDrop(nn.LSTM(2, 2), p=float("nan")), ValueError, r"\bp must be a finite"
    ),
    case(
        "weight_drop-p-negative", lambda: lc.WeightDrop(nn.LSTM(2, 2), p=-0.1), ValueError, r"\bp must be a number >= 0"
    ),
    case(
        "embedding_dropout-p-1.5",
        lambda: lc.embedding_dropout(nn.Embedding(3, 2), torch.zeros(1, dtype=torch.long), 1.5),
        ValueError,
        r"\bp must be a number >= 0 and < 1, got 1\.5",
    ),
    case(
        "embedding_dropout-tokens-float",
        lambda: lc.embedding_dropout(nn.Embedding(3, 2), torch.zeros(1), 0.1),
        TypeError,
        r"tokens must be an integer tensor",
    ),
    case(
        "embedding_dropout-tokens-range",
        lambda: lc.embedding_dropout(nn.Embedding(3, 2), torch.tensor([5]), 0.1),
        ValueError,
        r"tokens must hold token ids in \[0, 3\) \(the embedding's rows\), got values in \[5, 5\]",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
