"""LSTM encoder–decoder translation models, with and without attention (chapter 7).

- :class:`Seq2SeqEncoder`: embedding + ``nn.LSTM`` over the padded source,
  packed so that padding never enters the state. Returns every step's output
  (the keys and values of attention) and the final ``(h_n, c_n)``.
- Three decoders with one interface, ``decoder(dec_in, memory, state) ->
  (logits, weights, state)``, where ``memory`` is a :class:`EncoderMemory`
  ``(outputs, mask, context)``:

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
- :func:`greedy_decode` (batched) and :func:`translate` (word lists in, a
  :class:`Translation` with its attention weights out).

Shapes are batch-first: sources ``(batch_size, src_steps)``, decoder inputs
``(batch_size, tgt_steps)``.

The module is one idea and says so for its length (just over 400 lines): the
three decoders share one interface, ``decoder(dec_in, memory, state)``, and
the encoder, :class:`Seq2Seq`, :func:`build_seq2seq` and
:func:`greedy_decode` are written against it and the encoder's
:class:`EncoderMemory`; splitting the decoding from the models would put that
interface and its only callers in two modules.

The rest of chapter 7's translation lives by role: the data in
:mod:`lstm_companion.data.tatoeba`, the attention layers in
:mod:`lstm_companion.models.attention`, the training
(:func:`~lstm_companion.train_seq2seq`: teacher forcing, masked
cross-entropy, Adam, clipping) in :mod:`lstm_companion.training.supervised`,
:func:`~lstm_companion.evaluate_bleu` in :mod:`lstm_companion.measure.bleu`,
and :func:`~lstm_companion.save_pretrained` /
:func:`~lstm_companion.load_pretrained` (a float16 checkpoint with a JSON
record, whose sha256 is verified before loading) in
:mod:`lstm_companion.recipes.translation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._checks import check_positive_int, check_probability, check_tensor
from ..data.tatoeba import BOS_ID, EOS_ID, PAD_ID, decode_ids, encode_batch
from ..data.text import Vocab
from ..runtime import model_device
from .attention import Attention, lengths_to_mask, make_attention
from .state import LSTMState

__all__ = [
    "EncoderMemory",
    "Seq2SeqEncoder",
    "PlainDecoder",
    "LuongDecoder",
    "BahdanauDecoder",
    "Seq2Seq",
    "Seq2SeqConfig",
    "build_seq2seq",
    "greedy_decode",
    "Translation",
    "translate",
]


class EncoderMemory(NamedTuple):
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


def _check_sizes(vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int, dropout: float) -> float:
    """Check an encoder's or decoder's sizes; return ``dropout`` as a float."""
    for name, value in (
        ("vocab_size", vocab_size),
        ("embed_size", embed_size),
        ("num_hiddens", num_hiddens),
        ("num_layers", num_layers),
    ):
        check_positive_int(name, value)
    return check_probability("dropout", dropout, allow_one=True)


class Seq2SeqEncoder(nn.Module):
    """Embedding and a (packed) ``nn.LSTM`` over the source (chapter 7)."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        _check_sizes(vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.vocab_size = check_positive_int("vocab_size", vocab_size)
        self.embedding = nn.Embedding(vocab_size, check_positive_int("embed_size", embed_size), padding_idx=PAD_ID)
        self.rnn = nn.LSTM(
            embed_size,
            check_positive_int("num_hiddens", num_hiddens),
            check_positive_int("num_layers", num_layers),
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )

    def forward(self, src: torch.Tensor, src_len: torch.Tensor) -> tuple[EncoderMemory, LSTMState]:
        _check_tokens("src", src, self.vocab_size)
        check_tensor("src_len", src_len, ndim=1, floating=False)
        if src_len.shape[0] != src.shape[0]:
            raise ValueError(
                f"src_len must have one length per source sentence ({src.shape[0]}), got {src_len.shape[0]}"
            )
        mask = lengths_to_mask(
            src_len.to(src.device), src.shape[1]
        )  # (batch_size, src_steps); checks 1 <= len <= steps
        emb = self.embedding(src)  # (batch_size, src_steps, embed_size)
        packed = pack_padded_sequence(emb, src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, (h, c) = self.rnn(packed)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (batch_size, src_steps, h)
        return EncoderMemory(outputs, mask, h[-1]), (h, c)


class _Decoder(nn.Module):
    """What the three decoders share: checked sizes and the target embedding (``<pad>`` stays zero)."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int, dropout: float) -> None:
        super().__init__()
        _check_sizes(vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD_ID)


class PlainDecoder(_Decoder):
    """No attention: the encoder's top-layer final ``h`` is appended to every input (chapter 7)."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__(vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.rnn = nn.LSTM(
            embed_size + num_hiddens,
            num_hiddens,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(
        self, dec_in: torch.Tensor, memory: EncoderMemory, state: LSTMState
    ) -> tuple[torch.Tensor, None, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        ctx = memory.context[:, None, :].expand(-1, dec_in.shape[1], -1)  # (batch_size, tgt_steps, num_hiddens)
        out, state = self.rnn(torch.cat([emb, ctx], dim=-1), state)  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(out)), None, state  # logits (batch_size, tgt_steps, vocab_size)


class LuongDecoder(_Decoder):
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
        super().__init__(vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.rnn = nn.LSTM(
            embed_size, num_hiddens, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0
        )
        self.attention: Attention = make_attention(attention, num_hiddens, num_hiddens)
        self.W_c = nn.Linear(2 * num_hiddens, num_hiddens, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(
        self, dec_in: torch.Tensor, memory: EncoderMemory, state: LSTMState
    ) -> tuple[torch.Tensor, torch.Tensor, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        out, state = self.rnn(emb, state)  # (batch_size, tgt_steps, num_hiddens): every query at once
        context, weights = self.attention(out, memory.outputs, memory.outputs, memory.mask)
        # context (batch_size, tgt_steps, num_hiddens), weights (batch_size, tgt_steps, src_steps)
        attn_h = torch.tanh(self.W_c(torch.cat([context, out], dim=-1)))  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(attn_h)), weights, state


class BahdanauDecoder(_Decoder):
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
        super().__init__(vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.attention: Attention = make_attention(attention, num_hiddens, num_hiddens)
        self.rnn = nn.LSTM(
            embed_size + num_hiddens,
            num_hiddens,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def forward(
        self, dec_in: torch.Tensor, memory: EncoderMemory, state: LSTMState
    ) -> tuple[torch.Tensor, torch.Tensor, LSTMState]:
        emb = self.embedding(dec_in)  # (batch_size, tgt_steps, embed_size)
        outs, all_weights = [], []
        for t in range(dec_in.shape[1]):  # the Python loop Luong's layout avoids
            query = state[0][-1][:, None, :]  # (batch_size, 1, num_hiddens): previous top-layer h
            context, weights = self.attention(
                query, memory.outputs, memory.outputs, memory.mask
            )  # (b, 1, h), (b, 1, s)
            out, state = self.rnn(
                torch.cat([emb[:, t : t + 1], context], dim=-1), state
            )  # (batch_size, 1, num_hiddens)
            outs.append(out)
            all_weights.append(weights)
        out = torch.cat(outs, dim=1)  # (batch_size, tgt_steps, num_hiddens)
        return self.dense(self.dropout(out)), torch.cat(all_weights, dim=1), state


Decoder = PlainDecoder | LuongDecoder | BahdanauDecoder  # the decoders of build_seq2seq, one interface


class Seq2Seq(nn.Module):
    """Encoder + decoder; ``forward(src, src_len, dec_in) -> (logits, weights)`` (chapter 7).

    ``logits`` ``(batch_size, tgt_steps, tgt_vocab_size)``; ``weights``
    ``(batch_size, tgt_steps, src_steps)`` or ``None`` without attention.
    """

    def __init__(self, encoder: Seq2SeqEncoder, decoder: Decoder):
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

    def check(self) -> None:
        """Raise a clear error for a size, dropout, decoder or attention that cannot build a model."""
        for name in ("embed_size", "num_hiddens", "num_layers"):
            check_positive_int(name, getattr(self, name))
        check_probability("dropout", self.dropout, allow_one=True)
        if self.decoder not in ("plain", "luong", "bahdanau"):
            raise ValueError(f"decoder must be 'plain', 'luong' or 'bahdanau', got {self.decoder!r}")
        if self.attention not in ("additive", "general", "dot"):
            raise ValueError(f"attention must be 'additive', 'general' or 'dot', got {self.attention!r}")


def build_seq2seq(config: Seq2SeqConfig, src_vocab_size: int, tgt_vocab_size: int) -> Seq2Seq:
    """A :class:`Seq2Seq` with the sizes and decoder of ``config`` (chapter 7)."""
    if not isinstance(config, Seq2SeqConfig):
        raise TypeError(f"config must be a Seq2SeqConfig, got {type(config).__name__}")
    config.check()
    check_positive_int("src_vocab_size", src_vocab_size)
    check_positive_int("tgt_vocab_size", tgt_vocab_size)
    c = config
    encoder = Seq2SeqEncoder(src_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout)
    check_positive_int("tgt_vocab_size", tgt_vocab_size)
    decoder: Decoder
    if c.decoder == "plain":
        decoder = PlainDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout)
    elif c.decoder == "luong":
        decoder = LuongDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout, c.attention)
    elif c.decoder == "bahdanau":
        decoder = BahdanauDecoder(tgt_vocab_size, c.embed_size, c.num_hiddens, c.num_layers, c.dropout, c.attention)
    else:
        raise ValueError(f"decoder must be 'plain', 'luong' or 'bahdanau', got {c.decoder!r}")
    return Seq2Seq(encoder, decoder)


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
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    check_positive_int("max_steps", max_steps)
    _check_tokens("src", src, model.encoder.vocab_size)
    check_tensor("src_len", src_len, ndim=1, floating=False)
    was_training = model.training
    model.eval()
    dev = model_device(model)
    memory, state = model.encoder(src.to(dev), src_len)
    batch_size = src.shape[0]
    token = torch.full((batch_size, 1), BOS_ID, dtype=torch.long, device=dev)  # (batch_size, 1)
    done = torch.zeros(batch_size, dtype=torch.bool, device=dev)
    ids, weights = [], []
    for _ in range(max_steps):
        logits, w, state = model.decoder(token, memory, state)  # (batch_size, 1, vocab_size)
        token = logits.argmax(dim=-1)  # (batch_size, 1)
        token = token.masked_fill(done[:, None], PAD_ID)
        ids.append(token)
        if w is not None:
            weights.append(w)
        done |= token[:, 0] == EOS_ID
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
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(f"sentences must be a list of word lists, got {type(sentences).__name__}")
    for name, vocab, size in (
        ("src_vocab", src_vocab, model.encoder.vocab_size),
        ("tgt_vocab", tgt_vocab, model.decoder.vocab_size),
    ):
        if not isinstance(vocab, Vocab):
            raise TypeError(f"{name} must be a Vocab, got {type(vocab).__name__}")
        if len(vocab) != size:
            raise ValueError(
                f"{name} has {len(vocab)} tokens, but the model was built for {size}: is it the right vocabulary?"
            )
    check_positive_int("max_steps", max_steps)
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
