"""LSTM encoder–decoder translation models, with and without attention (chapter 7).

- :class:`Seq2SeqEncoder`: embedding + ``nn.LSTM`` over the padded source,
  packed so that padding never enters the state. Returns every step's output
  (the keys and values of attention) and the final ``(h_n, c_n)``.
- Three decoders with one interface, ``decoder(dec_in, memory, state) ->
  (logits, weights, state)``, where ``memory = (enc_outputs, src_mask, context)``:

  * :class:`PlainDecoder` (Sutskever et al., 2014; Cho et al., 2014): the
    encoder's final state starts the decoder and its top-layer ``h`` is fed
    again at every step (d2l's layout). The whole source must pass through
    that one fixed-size vector.
  * :class:`LuongDecoder` (Luong et al., 2015, without input feeding): an
    ``nn.LSTM`` runs over all the teacher-forced inputs in one call, then
    every decoder output attends to all encoder outputs at once (one masked
    batched matmul), and ``tanh(W_c [context; h])`` is projected to the
    vocabulary. No Python loop over time steps in training.
  * :class:`BahdanauDecoder` (Bahdanau et al., 2015, as in d2l): the query is
    the *previous* decoder state and the context is an input of the step, so
    training needs a Python loop over target steps.

- :class:`Seq2Seq` joins an encoder and a decoder; :func:`build_seq2seq`
  makes one from a :class:`Seq2SeqConfig`.
- :func:`train_seq2seq`: teacher forcing, masked cross-entropy, Adam, clipping.
- :func:`greedy_decode` (batched) and :func:`translate`; :func:`evaluate_bleu`.
- :func:`save_pretrained` / :func:`load_pretrained`: a float16 checkpoint
  with a JSON record, whose sha256 is verified before loading.

Shapes are batch-first: sources ``(batch_size, src_steps)``, decoder inputs
``(batch_size, tgt_steps)``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tqdm.auto import tqdm

from ._checks import check_nonneg_float, check_positive_float, check_positive_int, check_tensor
from .attention import Attention, lengths_to_mask, make_attention
from .bleu import corpus_bleu
from .data import Vocab
from .train import History, clip_gradients
from .translation import BOS, EOS, PAD, TranslationConfig, TranslationData, decode_ids, encode_batch, load_translation

__all__ = [
    "LSTMState",
    "Memory",
    "Seq2SeqEncoder",
    "PlainDecoder",
    "LuongDecoder",
    "BahdanauDecoder",
    "Seq2Seq",
    "Seq2SeqConfig",
    "build_seq2seq",
    "Seq2SeqTrainConfig",
    "sequence_loss",
    "train_seq2seq",
    "greedy_decode",
    "translate",
    "evaluate_bleu",
    "file_sha256",
    "save_pretrained",
    "load_pretrained",
]

LSTMState = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (num_layers, batch_size, num_hiddens)


class Memory(NamedTuple):
    """What the encoder hands the decoder."""

    outputs: torch.Tensor  # (batch_size, src_steps, num_hiddens): keys and values of attention
    mask: torch.Tensor  # (batch_size, src_steps), True at real source tokens
    context: torch.Tensor  # (batch_size, num_hiddens): top-layer final h, the fixed-size summary


def _check_tokens(name: str, tokens: object, vocab_size: int) -> torch.Tensor:
    x = check_tensor(name, tokens, ndim=2, floating=False)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= vocab_size:
        raise ValueError(f"{name} must hold token indices in [0, {vocab_size}), got values in [{lo}, {hi}]")
    return x


class Seq2SeqEncoder(nn.Module):
    """Embedding and a (packed) ``nn.LSTM`` over the source (chapter 7)."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size = check_positive_int("vocab_size", vocab_size)
        self.embedding = nn.Embedding(vocab_size, check_positive_int("embed_size", embed_size), padding_idx=PAD)
        self.rnn = nn.LSTM(
            embed_size,
            check_positive_int("num_hiddens", num_hiddens),
            check_positive_int("num_layers", num_layers),
            batch_first=True,
            dropout=check_nonneg_float("dropout", dropout) if num_layers > 1 else 0.0,
        )

    def forward(self, src: torch.Tensor, src_len: torch.Tensor) -> tuple[Memory, LSTMState]:
        _check_tokens("src", src, self.vocab_size)
        check_tensor("src_len", src_len, ndim=1, floating=False)
        if src_len.shape[0] != src.shape[0]:
            raise ValueError(f"src_len must have one length per source sentence ({src.shape[0]}), got {src_len.shape[0]}")
        mask = lengths_to_mask(src_len.to(src.device), src.shape[1])  # (batch_size, src_steps); checks 1 <= len <= steps
        emb = self.embedding(src)  # (batch_size, src_steps, embed_size)
        packed = pack_padded_sequence(emb, src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, (h, c) = self.rnn(packed)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (batch_size, src_steps, h)
        return Memory(outputs, mask, h[-1]), (h, c)


class PlainDecoder(nn.Module):
    """No attention: the encoder's top-layer final ``h`` is appended to every input (chapter 7)."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = nn.LSTM(
            embed_size + num_hiddens, num_hiddens, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(self, dec_in: torch.Tensor, memory: Memory, state: LSTMState) -> tuple[torch.Tensor, None, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        ctx = memory.context[:, None, :].expand(-1, dec_in.shape[1], -1)  # (batch_size, tgt_steps, num_hiddens)
        out, state = self.rnn(torch.cat([emb, ctx], dim=-1), state)  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(out)), None, state  # logits (batch_size, tgt_steps, vocab_size)


class LuongDecoder(nn.Module):
    """Attention after the LSTM, all target steps at once (Luong et al., 2015; chapter 7).

    ``h_t = LSTM(emb(y_{t-1}), state)`` for all ``t`` in one call; then
    ``c_t = sum_j softmax_j(a(h_t, e_j)) e_j`` over encoder outputs ``e_j``
    (padding masked), ``h̃_t = tanh([c_t, h_t] W_c)`` and logits ``h̃_t W_o + b_o``.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        attention: str = "general",
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = nn.LSTM(embed_size, num_hiddens, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.attention: Attention = make_attention(attention, num_hiddens, num_hiddens)
        self.W_c = nn.Linear(2 * num_hiddens, num_hiddens, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(self, dec_in: torch.Tensor, memory: Memory, state: LSTMState) -> tuple[torch.Tensor, torch.Tensor, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        out, state = self.rnn(emb, state)  # (batch_size, tgt_steps, num_hiddens): every query at once
        context, weights = self.attention(out, memory.outputs, memory.outputs, memory.mask)
        # context (batch_size, tgt_steps, num_hiddens), weights (batch_size, tgt_steps, src_steps)
        attn_h = torch.tanh(self.W_c(torch.cat([context, out], dim=-1)))  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(attn_h)), weights, state


class BahdanauDecoder(nn.Module):
    """Attention before the LSTM step, one Python step at a time (Bahdanau et al., 2015; chapter 7).

    At step ``t`` the query is the previous top-layer state ``h_{t-1}``; the
    context ``c_t`` is concatenated with ``emb(y_{t-1})`` as the LSTM's input,
    so step ``t`` cannot start before step ``t-1`` finished (as d2l's
    ``Seq2SeqAttentionDecoder``, with an LSTM in place of its GRU).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        attention: str = "additive",
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.attention: Attention = make_attention(attention, num_hiddens, num_hiddens)
        self.rnn = nn.LSTM(
            embed_size + num_hiddens, num_hiddens, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(self, dec_in: torch.Tensor, memory: Memory, state: LSTMState) -> tuple[torch.Tensor, torch.Tensor, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        outs, all_weights = [], []
        for t in range(dec_in.shape[1]):  # the Python loop Luong's layout avoids
            query = state[0][-1][:, None, :]  # (batch_size, 1, num_hiddens): previous top-layer h
            context, weights = self.attention(query, memory.outputs, memory.outputs, memory.mask)  # (b, 1, h), (b, 1, s)
            out, state = self.rnn(torch.cat([emb[:, t : t + 1], context], dim=-1), state)  # (batch_size, 1, num_hiddens)
            outs.append(out)
            all_weights.append(weights)
        out = torch.cat(outs, dim=1)  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(out)), torch.cat(all_weights, dim=1), state


class Seq2Seq(nn.Module):
    """Encoder + decoder; ``forward(src, src_len, dec_in) -> (logits, weights)`` (chapter 7).

    ``logits`` ``(batch_size, tgt_steps, tgt_vocab_size)``; ``weights``
    ``(batch_size, tgt_steps, src_steps)`` or ``None`` without attention.
    """

    def __init__(self, encoder: Seq2SeqEncoder, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(
        self, src: torch.Tensor, src_len: torch.Tensor, dec_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        memory, state = self.encoder(src, src_len)
        _check_tokens("dec_in", dec_in, self.decoder.vocab_size)
        if dec_in.shape[0] != src.shape[0]:
            raise ValueError(f"dec_in must have one row per source sentence ({src.shape[0]}), got {dec_in.shape[0]}")
        logits, weights, _ = self.decoder(dec_in, memory, state)
        return logits, weights


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of a :class:`Seq2Seq` model (chapter 7)."""

    embed_size: int = 128  # word embedding size, source and target
    num_hiddens: int = 128  # LSTM state size, encoder and decoder
    num_layers: int = 1  # stacked LSTM layers, encoder and decoder
    dropout: float = 0.0  # before the output layer (and between layers)
    decoder: str = "luong"  # "plain" (no attention), "luong" or "bahdanau"
    attention: str = "general"  # score for luong/bahdanau: "additive", "general" or "dot"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_seq2seq(config: Seq2SeqConfig, src_vocab_size: int, tgt_vocab_size: int) -> Seq2Seq:
    """A :class:`Seq2Seq` with the sizes and decoder of ``config`` (chapter 7)."""
    c = config
    encoder = Seq2SeqEncoder(src_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout)
    check_positive_int("tgt_vocab_size", tgt_vocab_size)
    decoder: nn.Module
    if c.decoder == "plain":
        decoder = PlainDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout)
    elif c.decoder == "luong":
        decoder = LuongDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout, c.attention)
    elif c.decoder == "bahdanau":
        decoder = BahdanauDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout, c.attention)
    else:
        raise ValueError(f"decoder must be 'plain', 'luong' or 'bahdanau', got {c.decoder!r}")
    return Seq2Seq(encoder, decoder)


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class Seq2SeqTrainConfig:
    """How :func:`train_seq2seq` trains (chapter 7)."""

    num_epochs: int = 10  # passes over the training pairs
    batch_size: int = 128  # sentence pairs per update
    lr: float = 2e-3  # Adam's learning rate
    clip: float = 1.0  # maximal global gradient norm
    seed: int = 0  # seeds the shuffling (and dropout)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sequence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the non-``<pad>`` labels (chapter 7).

    ``logits`` ``(batch_size, tgt_steps, vocab_size)``, ``labels`` ``(batch_size, tgt_steps)``.
    """
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=PAD)


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def train_seq2seq(
    model: Seq2Seq,
    data: TranslationData,
    config: Seq2SeqTrainConfig,
    *,
    progress: bool = True,
    max_seconds: float | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train with teacher forcing: input ``<bos> y_1 … y_n``, labels ``y_1 … y_n <eos>`` (chapter 7).

    Each minibatch is cut to its longest source and target. Records every
    update's loss and gradient norm and each epoch's training perplexity
    (``History.train_ppl``). ``max_seconds`` stops at the first update after
    the time ran out; ``on_epoch(epoch, history)`` is called after each
    (possibly cut) epoch (the training script saves a checkpoint there).
    """
    check_positive_int("num_epochs", config.num_epochs)
    check_positive_int("batch_size", config.batch_size)
    check_positive_float("lr", config.lr)
    check_positive_float("clip", config.clip)
    dev = _model_device(model)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = History()
    start = time.perf_counter()
    n = data.num_train
    num_batches = math.ceil(n / config.batch_size)
    model.train()
    for epoch in range(config.num_epochs):
        perm = torch.randperm(n, generator=gen)
        total, tokens = 0.0, 0
        bar = tqdm(range(num_batches), desc=f"epoch {epoch + 1}/{config.num_epochs}", disable=not progress, leave=False)
        for b in bar:
            idx = perm[b * config.batch_size : (b + 1) * config.batch_size]
            src_len, tgt_len = data.train_src_len[idx], data.train_tgt_len[idx]
            src = data.train_src[idx, : int(src_len.max())].to(dev)  # (batch_size, src_steps)
            tgt = data.train_tgt[idx, : int(tgt_len.max())].to(dev)  # (batch_size, tgt_steps + 1)
            logits, _ = model(src, src_len, tgt[:, :-1])  # (batch_size, tgt_steps, vocab_size)
            loss = sequence_loss(logits, tgt[:, 1:])
            opt.zero_grad()
            loss.backward()
            history.step_grad_norm.append(clip_gradients(model.parameters(), config.clip))
            opt.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                history.diverged = True
                break
            history.step_loss.append(value)
            count = int((tgt_len - 1).sum())
            total += value * count
            tokens += count
            if b % 50 == 0:
                bar.set_postfix(loss=f"{value:.3f}")
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
        history.train_ppl.append(math.exp(total / max(tokens, 1)))
        history.seconds = time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(epoch, history)
        if history.diverged or (max_seconds is not None and history.seconds > max_seconds):
            break
    model.eval()
    return history


# ---------------------------------------------------------------- decoding


@torch.no_grad()
def greedy_decode(
    model: Seq2Seq, src: torch.Tensor, src_len: torch.Tensor, max_steps: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Batched greedy decoding: at each step feed back the most likely word (chapter 7).

    Returns ``ids`` ``(batch_size, steps)`` (``<pad>`` after a sentence's
    ``<eos>``) and the attention ``weights`` ``(batch_size, steps, src_steps)``
    (``None`` without attention); ``steps <= max_steps``, fewer when every
    sentence has ended.
    """
    check_positive_int("max_steps", max_steps)
    was_training = model.training
    model.eval()
    dev = _model_device(model)
    memory, state = model.encoder(src.to(dev), src_len)
    batch_size = src.shape[0]
    token = torch.full((batch_size, 1), BOS, dtype=torch.long, device=dev)  # (batch_size, 1)
    done = torch.zeros(batch_size, dtype=torch.bool, device=dev)
    ids, weights = [], []
    for _ in range(max_steps):
        logits, w, state = model.decoder(token, memory, state)  # (batch_size, 1, vocab_size)
        token = logits.argmax(dim=-1)  # (batch_size, 1)
        token = token.masked_fill(done[:, None], PAD)
        ids.append(token)
        if w is not None:
            weights.append(w)
        done |= token[:, 0] == EOS
        if bool(done.all()):
            break
    model.train(was_training)
    return torch.cat(ids, dim=1), (torch.cat(weights, dim=1) if weights else None)


class Translation(NamedTuple):
    """One sentence's translation (chapter 7)."""

    words: list[str]  # output words, without <eos>
    weights: torch.Tensor | None  # (len(words), len(source words) + 1): attention rows, last column the source <eos>


def translate(
    model: Seq2Seq,
    sentences: Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    *,
    max_steps: int = 20,
    batch_size: int = 500,
) -> list[Translation]:
    """Greedy translations of word lists, in batches (chapter 7)."""
    check_positive_int("batch_size", batch_size)
    results: list[Translation] = []
    for i in range(0, len(sentences), batch_size):
        chunk = sentences[i : i + batch_size]
        src, src_len = encode_batch(chunk, src_vocab)
        ids, weights = greedy_decode(model, src, src_len, max_steps)
        for b in range(len(chunk)):
            words = decode_ids(ids[b], tgt_vocab)
            w = None if weights is None else weights[b, : len(words), : int(src_len[b])].cpu()
            results.append(Translation(words, w))
    return results


def evaluate_bleu(
    model: Seq2Seq, data: TranslationData, *, max_steps: int | None = None, batch_size: int = 500
) -> tuple[float, list[list[str]]]:
    """Corpus BLEU-4 of greedy translations of the held-out sentences, and the translations (chapter 7).

    ``max_steps`` defaults to ``2 * max_words + 2``.
    """
    steps = max_steps or 2 * data.config.max_words + 2
    hyps = [t.words for t in translate(model, data.test_src, data.src_vocab, data.tgt_vocab, max_steps=steps, batch_size=batch_size)]
    return corpus_bleu(hyps, data.test_refs), hyps


# ---------------------------------------------------------------- pretrained checkpoints


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_pretrained(
    model: Seq2Seq,
    folder: str | os.PathLike[str],
    name: str,
    record: dict[str, Any],
) -> dict[str, Any]:
    """Write ``name.pt`` (float16 state dict) and ``name.json`` (``record`` + sha256) into ``folder`` (chapter 7).

    ``record`` must hold ``"data"`` (a :class:`TranslationConfig` dict) and
    ``"model"`` (a :class:`Seq2SeqConfig` dict). The held-out BLEU stored
    under ``"bleu"`` should be computed from the saved float16 weights (see
    :func:`load_pretrained`). Returns the record written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.pt"
    state = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in model.state_dict().items()}
    tmp = weights.with_suffix(".pt.part")
    torch.save(state, tmp)
    os.replace(tmp, weights)
    out = dict(record, checkpoint=weights.name, sha256=file_sha256(weights), bytes=weights.stat().st_size)
    tmp_json = folder / f".{name}.json.part"
    tmp_json.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    os.replace(tmp_json, folder / f"{name}.json")
    return out


def load_pretrained(
    folder: str | os.PathLike[str],
    name: str,
    *,
    data: TranslationData | None = None,
    device: str | torch.device = "cpu",
) -> tuple[Seq2Seq, TranslationData, dict[str, Any]]:
    """Load a model written by :func:`save_pretrained`, after checking its sha256 (chapter 7).

    Rebuilds the data set from the record's ``"data"`` settings (unless
    ``data`` is given; its config must match) and returns ``(model, data,
    record)``, the model in float32 and in eval mode. A checkpoint whose
    sha256 differs from the record is an error naming both hashes.
    """
    folder = Path(folder)
    record = json.loads((folder / f"{name}.json").read_text())
    weights = folder / record["checkpoint"]
    got = file_sha256(weights)
    if got != record["sha256"]:
        raise ValueError(f"{weights} has the wrong sha256: the record says {record['sha256']}, the file hashes to {got}")
    config = TranslationConfig(**record["data"])
    if data is None:
        data = load_translation(config)
    elif data.config != config:
        raise ValueError(f"data was built with {data.config}, but the checkpoint needs {config}")
    model = build_seq2seq(Seq2SeqConfig(**record["model"]), len(data.src_vocab), len(data.tgt_vocab))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    model.to(device).eval()
    return model, data, record
