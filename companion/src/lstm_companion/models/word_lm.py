"""A regularised word-level LSTM language model and its dropouts (chapters 11 and 12).

:class:`WordLM` is the model of chapter 11 (and the one chapter 12 trains on
several processes): an embedding, a stack of one-layer ``nn.LSTM`` s and a
linear decoder to the vocabulary, with the dropouts and the weight tying of
the AWD-LSTM (Merity et al., 2018) as arguments, all off by default:

- ``dropoute``: **embedding dropout** (:func:`embedding_dropout`, Gal and
  Ghahramani 2016): whole rows of the embedding matrix (words, not entries)
  are dropped for a minibatch, so every occurrence of a dropped word in it
  reads a zero vector;
- ``dropouti``: dropout on the embeddings fed to the first layer;
- ``dropouth``: dropout between LSTM layers (Zaremba et al., 2014 put
  dropout exactly there, on the non-recurrent connections);
- ``dropout``: dropout on the last layer's outputs, before the decoder;
- ``wdrop``: **DropConnect on the hidden-to-hidden weights**
  (:class:`WeightDrop`, Wan et al. 2013 as used by Merity et al. 2018): one
  mask on each ``W_hh`` per forward call (per minibatch), shared by every time
  step and every sequence of the minibatch, so the fused ``nn.LSTM`` kernel
  still runs;
- ``tie_weights``: the decoder's weight **is** the embedding matrix (Press
  and Wolf 2017; Inan et al. 2017), which needs ``embed_size ==
  hidden_size``.

The three activation dropouts are **locked** (variational, Gal and
Ghahramani 2016) by default: :class:`LockedDropout` draws one mask per
sequence and feature and reuses it at every time step. With
``locked=False`` they are ordinary dropout, a new mask at every step
(Zaremba et al. 2014). In evaluation mode (``model.eval()``) nothing is
dropped.

Left out of the AWD-LSTM: activation regularisation (AR, a penalty on the
last layer's outputs), temporal activation regularisation (TAR, a penalty on
their change from step to step), variable-length backpropagation through
time and averaged SGD (NT-ASGD).

With every rate 0 and ``tie_weights=False`` the model computes exactly what
``nn.Embedding`` + ``nn.LSTM(num_layers=...)`` + ``nn.Linear`` compute
(tested). The data is in :mod:`lstm_companion.data.words`, the training in
:mod:`lstm_companion.recipes.word_lm`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from .._checks import check_index_range, check_positive_int, check_probability, check_same_device, check_tensor
from .state import LSTMState

__all__ = ["LockedDropout", "embedding_dropout", "WeightDrop", "WordLMConfig", "WordLM"]


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence and feature, the same at every time step (chapter 11).

    Input ``(batch_size, num_steps, features)`` (batch first). In training
    mode each ``(sequence, feature)`` pair is kept with probability ``1 - p``
    and scaled by ``1 / (1 - p)`` for the whole sequence (Gal and Ghahramani
    2016, "variational" dropout); ``locked=False`` draws a new mask at each
    step instead (plain dropout, Zaremba et al. 2014). In evaluation mode, or
    with ``p = 0``, the input is returned unchanged.
    """

    def __init__(self, p: float = 0.5, *, locked: bool = True) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.locked = bool(locked)

    def extra_repr(self) -> str:
        return f"p={self.p}, locked={self.locked}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, ndim=3, floating=True)
        if not self.training or self.p == 0:
            return x
        if not self.locked:
            return F.dropout(x, self.p, training=True)
        mask = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)  # (B, 1, F)
        return x * mask


def embedding_dropout(
    embedding: nn.Embedding, tokens: torch.Tensor, p: float, *, training: bool = True
) -> torch.Tensor:
    """Look ``tokens`` up in ``embedding`` with whole words dropped (embedding dropout, chapter 11).

    Each row of the embedding matrix (one word of the vocabulary) is zeroed
    with probability ``p`` for this call and the others scaled by ``1 / (1 -
    p)``, so all occurrences of a dropped word in the minibatch read zeros.
    The gradient flows to the kept rows. With ``training=False`` or ``p = 0``
    this is ``embedding(tokens)``. Returns ``(*tokens.shape, embed_size)``.
    """
    if not isinstance(embedding, nn.Embedding):
        raise TypeError(f"embedding must be an nn.Embedding, got {type(embedding).__name__}")
    p = check_probability("p", p)
    check_tensor("tokens", tokens, floating=False)
    weight = embedding.weight
    check_index_range("tokens", tokens, weight.shape[0], what="token ids", of="the embedding's rows")
    if not training or p == 0:
        return F.embedding(tokens, weight, embedding.padding_idx, embedding.max_norm)
    mask = weight.new_empty(weight.shape[0], 1).bernoulli_(1 - p) / (1 - p)  # (vocab_size, 1)
    return F.embedding(tokens, weight * mask, embedding.padding_idx, embedding.max_norm)


class WeightDrop(nn.Module):
    """DropConnect on an ``nn.LSTM``'s hidden-to-hidden weights, one mask per forward call (chapter 11).

    The wrapped ``module`` keeps its parameters (``weight_hh_l0``, ... are
    the raw weights the optimiser updates). At each call in training mode a
    dropped copy ``dropout(W_hh, p)`` of every ``weight_hh_l*`` is made and
    the LSTM runs with it (through ``torch.func.functional_call``, so the
    fused kernel is used and the gradient reaches the raw weight through the
    mask). The mask is drawn once per call, i.e. once per minibatch, and is
    the same at every time step; in evaluation mode the raw weights are used
    unchanged. ``forward`` takes and returns what the LSTM does.
    """

    def __init__(self, module: nn.LSTM, p: float = 0.5) -> None:
        super().__init__()
        if not isinstance(module, nn.LSTM):
            raise TypeError(f"module must be an nn.LSTM, got {type(module).__name__}")
        self.module = module
        self.p = check_probability("p", p)
        self.weight_names = [name for name, _ in module.named_parameters() if name.startswith("weight_hh")]

    def extra_repr(self) -> str:
        return f"p={self.p}, weights={self.weight_names}"

    def dropped_weights(self) -> dict[str, torch.Tensor]:
        """Fresh dropped copies of the hidden-to-hidden weights (a new mask for each)."""
        return {name: F.dropout(getattr(self.module, name), self.p, training=True) for name in self.weight_names}

    def forward(self, x: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        if not self.training or self.p == 0:
            out: tuple[torch.Tensor, LSTMState] = self.module(x, state)
            return out
        dropped = functional_call(self.module, self.dropped_weights(), (x, state), strict=False)
        return dropped  # type: ignore[no-any-return]


@dataclass
class WordLMConfig:
    """The sizes and regularisers of a :class:`WordLM` (its constructor's arguments, without the vocabulary)."""

    embed_size: int = 200
    hidden_size: int = 200
    num_layers: int = 2
    dropout: float = 0.0  # on the last layer's outputs
    dropouti: float = 0.0  # on the embeddings fed to the first layer
    dropouth: float = 0.0  # between layers
    dropoute: float = 0.0  # whole words of the embedding matrix
    wdrop: float = 0.0  # DropConnect on W_hh
    tie_weights: bool = False
    locked: bool = True  # one mask per sequence for the activation dropouts (False: one per step)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def build(self, vocab_size: int) -> WordLM:
        """A :class:`WordLM` with these settings for a ``vocab_size``-token vocabulary."""
        return WordLM(vocab_size, **self.to_dict())


class WordLM(nn.Module):
    """Word-level LSTM language model with AWD-LSTM's regularisers (chapter 11; see the module docstring).

    ``forward(tokens, state=None)``: ``tokens`` ``(batch_size, num_steps)``
    int64 in ``[0, vocab_size)``; ``state`` ``None`` or ``(H, C)``, each
    ``(num_layers, batch_size, hidden_size)`` as for ``nn.LSTM``. Returns
    ``(logits (batch_size, num_steps, vocab_size), (H, C))``.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        hidden_size: int,
        num_layers: int = 2,
        *,
        dropout: float = 0.0,
        dropouti: float = 0.0,
        dropouth: float = 0.0,
        dropoute: float = 0.0,
        wdrop: float = 0.0,
        tie_weights: bool = False,
        locked: bool = True,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int("vocab_size", vocab_size)
        self.embed_size = check_positive_int("embed_size", embed_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.dropoute = check_probability("dropoute", dropoute)
        self.wdrop = check_probability("wdrop", wdrop)
        if not isinstance(tie_weights, bool):
            raise TypeError(f"tie_weights must be a bool, got {type(tie_weights).__name__} {tie_weights!r}")
        if not isinstance(locked, bool):
            raise TypeError(f"locked must be a bool, got {type(locked).__name__} {locked!r}")
        if tie_weights and embed_size != hidden_size:
            raise ValueError(
                f"tie_weights=True needs embed_size == hidden_size (the decoder reads hidden_size features and "
                f"shares the (vocab_size, embed_size) embedding matrix), got embed_size={embed_size} and "
                f"hidden_size={hidden_size}"
            )
        self.tie_weights = tie_weights
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.drop_i = LockedDropout(check_probability("dropouti", dropouti), locked=locked)
        self.drop_h = LockedDropout(check_probability("dropouth", dropouth), locked=locked)
        self.drop_o = LockedDropout(check_probability("dropout", dropout), locked=locked)
        self.rnns = nn.ModuleList(
            WeightDrop(nn.LSTM(embed_size if i == 0 else hidden_size, hidden_size, batch_first=True), wdrop)
            for i in range(num_layers)
        )
        self.decoder = nn.Linear(hidden_size, vocab_size)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        else:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"dropoute={self.dropoute}, wdrop={self.wdrop}, tie_weights={self.tie_weights}"

    def _check_call(self, tokens: object, state: object) -> LSTMState | None:
        X = check_tensor("tokens", tokens, ndim=2, floating=False)
        weight = self.embedding.weight
        check_same_device("tokens", X, weight.device)
        check_index_range("tokens", X, self.vocab_size, what="token ids", of="the model's vocab_size")
        if state is None:
            return None
        if not isinstance(state, tuple) or len(state) != 2:
            raise TypeError(f"state must be None or a tuple (H, C) of two tensors, got {type(state).__name__}")
        shape = (self.num_layers, X.shape[0], self.hidden_size)
        for name, s in zip(("state[0] (H)", "state[1] (C)"), state):
            check_tensor(name, s, shape=shape, dtype=weight.dtype)
            check_same_device(name, s, weight.device)
        return state

    def forward(self, tokens: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        state = self._check_call(tokens, state)
        x = embedding_dropout(self.embedding, tokens, self.dropoute, training=self.training)  # (B, T, E)
        x = self.drop_i(x)
        hs, cs = [], []
        for layer, rnn in enumerate(self.rnns):
            s = None if state is None else (state[0][layer : layer + 1], state[1][layer : layer + 1])
            x, (h, c) = rnn(x, s)  # (B, T, H)
            hs.append(h)
            cs.append(c)
            if layer < self.num_layers - 1:
                x = self.drop_h(x)
        x = self.drop_o(x)
        return self.decoder(x), (torch.cat(hs), torch.cat(cs))
