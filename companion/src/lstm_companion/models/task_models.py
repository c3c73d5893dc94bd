"""Models around a recurrent core: last-state prediction, padded sequences, tagging (chapters 2, 4-6, 8 and 14).

Each takes a time-major recurrent ``core`` with ``nn.RNN``'s convention
(``core(inputs)`` returns ``(outputs, state)``) and adds the input encoding
and a linear layer:

- :class:`LastStateModel`: reads a whole sequence and predicts from the
  core's last output: class logits or a regression output (chapters 2, 4 and
  5, and the adding problem of chapter 8's ablation). With ``vocab_size`` it
  takes token indices and feeds them one-hot; without it, features.
- :class:`PaddedSequenceModel`: a batch-first padded batch and its lengths.
  ``packed=True`` packs the batch, so the core (``nn.LSTM``, ``nn.GRU`` or
  ``nn.RNN``) never sees the padding; ``packed=False`` shows the common
  mistake of reading the state after it (chapter 5).
- :class:`Tagger`: one-hot tokens, a unidirectional or bidirectional LSTM,
  and tag logits at every step (chapter 6).
- :class:`TokenTagger`: embedded tokens, one core of :data:`TAGGER_CORES`
  (``nn.LSTM``, the sLSTM, the mLSTM, minGRU or a small Transformer) and a
  class at every step: chapter 14's synthetic tasks (parity, associative
  recall), with :func:`matched_hidden` giving each core the same parameter
  budget and :data:`CORE_LABELS` the names the book prints. Its cores are
  batch-first, ``(B, T, features)``, as the xLSTM's are.

Samples are **sample-first**, ``(batch_size, num_steps)`` or ``(batch_size,
num_steps, num_inputs)``, so that a minibatch is ``X[indices]``; each model
turns them into the time-major layout ``(num_steps, batch_size,
num_inputs)`` its core reads. The tasks are in
:mod:`lstm_companion.data.synthetic`; the models train with
:func:`~lstm_companion.train_on_task`, :func:`~lstm_companion.train_padded`
and :func:`~lstm_companion.train_tagger`
(:mod:`lstm_companion.training.supervised`) and are scored by
:func:`~lstm_companion.accuracy`, :func:`~lstm_companion.mean_squared_error`,
:func:`~lstm_companion.padded_accuracy` and
:func:`~lstm_companion.tagging_accuracy`
(:mod:`lstm_companion.measure.metrics`). The cores themselves are in the
modules of their own chapters: :mod:`~lstm_companion.models.bilstm`,
:mod:`~lstm_companion.models.slstm`, :mod:`~lstm_companion.models.mlstm`,
:mod:`~lstm_companion.models.scan` (minGRU) and
:mod:`~lstm_companion.models.attention` (the Transformer); chapter 14's
experiments with :class:`TokenTagger` are in
:mod:`lstm_companion.recipes.xlstm_tasks`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from .._checks import check_heads, check_positive_int, check_same_device, check_tensor
from ..data.batching import check_lengths
from .attention import CausalTransformer
from .bilstm import BiLSTMScratch
from .mlstm import MLSTMScratch
from .scan import MinGRU
from .slstm import SLSTMScratch
from .state import one_hot_steps

__all__ = [
    "Tagger",
    "PaddedSequenceModel",
    "LastStateModel",
    "TAGGER_CORES",
    "CORE_LABELS",
    "TokenTagger",
    "matched_hidden",
    "tagger_num_params",
]


class Tagger(nn.Module):
    """One-hot tokens -> recurrent core -> a linear layer at every step (chapter 6).

    ``core`` is ``nn.LSTM`` (uni- or bidirectional), :class:`BiLSTMScratch` or
    :class:`~lstm_companion.LSTMScratch`, time-major. ``forward(X)``
    maps token indices ``(batch_size, num_steps)`` to tag logits
    ``(batch_size, num_steps, num_tags)``.
    """

    def __init__(self, core: nn.Module, vocab_size: int, num_tags: int) -> None:
        super().__init__()
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("num_tags", num_tags)
        num_inputs = getattr(core, "num_inputs", None) or getattr(core, "input_size", None)
        num_hiddens = getattr(core, "num_hiddens", None) or getattr(core, "hidden_size", None)
        if num_inputs is None or num_hiddens is None:
            raise TypeError(f"core must be an nn.LSTM, LSTMScratch or BiLSTMScratch, got {type(core).__name__}")
        if num_inputs != vocab_size:
            raise ValueError(f"core's input size must equal vocab_size={vocab_size} (one-hot inputs), got {num_inputs}")
        bidirectional = isinstance(core, BiLSTMScratch) or bool(getattr(core, "bidirectional", False))
        self.core, self.vocab_size = core, vocab_size
        self.output = nn.Linear((2 if bidirectional else 1) * int(num_hiddens), num_tags)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        inputs = one_hot_steps(X, self.vocab_size, self.output.weight)  # (num_steps, batch_size, vocab_size)
        outputs, _ = self.core(inputs)  # (num_steps, batch_size, D * num_hiddens)
        logits: torch.Tensor = self.output(outputs).transpose(0, 1)  # (batch_size, num_steps, num_tags)
        return logits


class PaddedSequenceModel(nn.Module):
    """A recurrent core and a linear layer on each sequence's last state, for padded batches (chapter 5).

    ``forward(X, lengths)`` takes a batch-first padded batch ``X`` of shape
    ``(batch_size, num_steps, num_inputs)`` and the true ``lengths``, and
    returns ``(batch_size, num_outputs)``.

    - ``packed=True`` (right): the batch is packed with
      ``pack_padded_sequence(..., enforce_sorted=False)``, so the core never
      sees the padding, and the prediction reads the core's last-layer
      ``h_n``, the state after each sequence's own last step.
    - ``packed=False`` (the common mistake): the padded batch goes through the
      core as it is, and the prediction reads the output at the last padded
      step, so shorter sequences are summarised after a run of padding.

    ``core`` must be a unidirectional ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``
    with ``batch_first=False`` (packing needs PyTorch's modules).
    """

    def __init__(self, core: nn.RNNBase, num_outputs: int, *, packed: bool = True) -> None:
        super().__init__()
        if not isinstance(core, nn.RNNBase):
            raise TypeError(f"core must be an nn.LSTM, nn.GRU or nn.RNN, got {type(core).__name__}")
        if core.batch_first or core.bidirectional:
            raise ValueError(
                "core must have batch_first=False and bidirectional=False, got "
                f"batch_first={core.batch_first}, bidirectional={core.bidirectional}"
            )
        check_positive_int("num_outputs", num_outputs)
        self.core = core
        self.packed = bool(packed)
        self.num_inputs = core.input_size
        num_out = core.proj_size if getattr(core, "proj_size", 0) else core.hidden_size
        self.output = nn.Linear(num_out, num_outputs)

    def extra_repr(self) -> str:
        return f"packed={self.packed}"

    def forward(self, X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        check_tensor("X", X, shape=(None, None, self.num_inputs), floating=True)
        check_same_device("X", X, self.output.weight.device)
        lengths = check_lengths(lengths, X.shape[0], X.shape[1])
        inputs = X.transpose(0, 1).to(self.output.weight.dtype)  # (num_steps, batch_size, num_inputs)
        if self.packed:
            packed = pack_padded_sequence(inputs, lengths, enforce_sorted=False)
            _, state = self.core(packed)
            H_n = state[0] if isinstance(state, tuple) else state  # LSTM: (h_n, c_n); GRU/RNN: h_n
            last = H_n[-1]  # (batch_size, num_hiddens): the top layer, after each sequence's own last step
        else:
            outputs, _ = self.core(inputs)  # (num_steps, batch_size, num_hiddens)
            last = outputs[-1]  # after the padding, for every sequence shorter than num_steps
        out: torch.Tensor = self.output(last)  # (batch_size, num_outputs)
        return out


class LastStateModel(nn.Module):
    """Read a whole sequence with a recurrent ``core``; predict from its last output (chapter 2).

    ``core`` follows ``nn.RNN``'s convention (``RNNScratch``, ``nn.RNN``,
    ``nn.LSTM``, ``nn.GRU``): called with time-major inputs ``(num_steps,
    batch_size, num_inputs)``, it returns ``(outputs, state)``. With
    ``vocab_size`` given, ``forward`` takes token indices ``X`` of shape
    ``(batch_size, num_steps)`` and feeds them one-hot; without it, it takes
    features ``(batch_size, num_steps, num_inputs)``. It returns
    ``(batch_size, num_outputs)``: class logits, or a regression output.
    """

    def __init__(self, core: nn.Module, num_outputs: int, *, vocab_size: int | None = None) -> None:
        super().__init__()
        check_positive_int("num_outputs", num_outputs)
        num_hiddens = getattr(core, "num_hiddens", None) or getattr(core, "hidden_size", None)
        num_inputs = getattr(core, "num_inputs", None) or getattr(core, "input_size", None)
        if num_hiddens is None or num_inputs is None:
            raise TypeError(
                "core must expose num_hiddens/num_inputs or hidden_size/input_size (like RNNScratch or nn.RNN), "
                f"got {type(core).__name__}"
            )
        if getattr(core, "batch_first", False):
            raise ValueError("core must take time-major inputs (batch_first=False)")
        if vocab_size is not None:
            check_positive_int("vocab_size", vocab_size)
            if num_inputs != vocab_size:
                raise ValueError(
                    f"core's input size must equal vocab_size={vocab_size} (one-hot inputs), got {num_inputs}"
                )
        self.core = core
        self.vocab_size = vocab_size
        self.num_inputs = int(num_inputs)
        self.num_hiddens = int(num_hiddens)
        self.output = nn.Linear(self.num_hiddens, num_outputs)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        weight = self.output.weight
        if self.vocab_size is not None:
            check_tensor("X", X, ndim=2, floating=False)
            check_same_device("X", X, self.output.weight.device)
            if X.min() < 0 or X.max() >= self.vocab_size:
                raise ValueError(
                    f"X must hold token indices in [0, {self.vocab_size}), got values in [{int(X.min())}, {int(X.max())}]"
                )
            inputs = F.one_hot(X.T, self.vocab_size).to(weight.dtype)  # (num_steps, batch_size, vocab_size)
        else:
            check_tensor("X", X, shape=(None, None, self.num_inputs), floating=True)
            check_same_device("X", X, self.output.weight.device)
            inputs = X.transpose(0, 1).to(weight.dtype)  # (num_steps, batch_size, num_inputs)
        outputs, _ = self.core(inputs)  # (num_steps, batch_size, num_hiddens)
        out: torch.Tensor = self.output(outputs[-1])  # (batch_size, num_outputs)
        return out


#: The cores :class:`TokenTagger` can hold (chapter 14's comparisons): five recurrent ones and a Transformer.
TAGGER_CORES = ("lstm", "slstm", "mlstm", "mingru", "mingru_neg", "transformer")

#: How the book writes each core of :data:`TAGGER_CORES` in prose and tables.
CORE_LABELS: dict[str, str] = {
    "lstm": "LSTM",
    "slstm": "sLSTM",
    "mlstm": "mLSTM",
    "mingru": "minGRU",
    "mingru_neg": "minGRU (negative eigenvalues)",
    "transformer": "Transformer",
}


class TokenTagger(nn.Module):
    """Embedding, one recurrent core of :data:`TAGGER_CORES`, and a linear read-out at every step (chapter 14).

    ``forward(tokens)`` maps ``(B, T)`` token indices to ``(B, T, num_classes)``
    scores. With ``shift=1`` the core reads the embeddings of the current and
    the previous token (as the xLSTM's blocks put a causal convolution before
    the cell): a key and its value then meet at the value's step. The mLSTM
    runs in its parallel form, minGRU as a loop (the forms are equal; the loop
    is the fastest on a CPU at these lengths). ``"transformer"`` is a
    two-layer :class:`~lstm_companion.CausalTransformer` with ``num_heads``
    heads and learned positions for sequences of at most ``max_len`` steps
    (only the Transformer has a limit, and parameters for it).
    """

    def __init__(
        self,
        core: str,
        vocab_size: int,
        num_classes: int,
        hidden_size: int,
        *,
        embed_size: int = 16,
        num_heads: int = 1,
        shift: int = 0,
        max_len: int = 512,
    ) -> None:
        super().__init__()
        if core not in TAGGER_CORES:
            raise ValueError(f"core must be one of {TAGGER_CORES}, got {core!r}")
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("num_classes", num_classes)
        check_positive_int("embed_size", embed_size)
        check_heads(hidden_size, num_heads)
        if shift not in (0, 1):
            raise ValueError(f"shift must be 0 or 1, got {shift!r}")
        self.core_name = core
        self.shift = shift
        core_in = embed_size * (1 + shift)
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.core: nn.Module
        if core == "lstm":
            self.core = nn.LSTM(core_in, hidden_size, batch_first=True)
        elif core == "slstm":
            self.core = SLSTMScratch(core_in, hidden_size, num_heads)
        elif core == "mlstm":
            self.core = MLSTMScratch(core_in, hidden_size, num_heads)
        elif core == "transformer":
            self.core = CausalTransformer(core_in, hidden_size, num_heads, max_len=max_len)
        else:
            self.core = MinGRU(core_in, hidden_size, negative=core == "mingru_neg")
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        check_tensor("tokens", tokens, ndim=2, floating=False)
        if bool((tokens < 0).any()) or bool((tokens >= self.vocab_size).any()):
            raise ValueError(f"tokens must lie in [0, {self.vocab_size}), got values outside")
        x = self.embed(tokens)
        if self.shift:  # the previous token's embedding beside the current one (a causal convolution of width 2)
            x = torch.cat([x, F.pad(x, (0, 0, 1, 0))[:, :-1]], dim=-1)
        out = self.core(x)
        h = out[0] if isinstance(out, tuple) else out
        return self.head(h)  # type: ignore[no-any-return]


def tagger_num_params(core: str, vocab_size: int, num_classes: int, hidden_size: int, **kwargs: int) -> int:
    """Parameters of ``TokenTagger(core, vocab_size, num_classes, hidden_size, **kwargs)`` (chapter 14)."""
    model = TokenTagger(core, vocab_size, num_classes, hidden_size, **kwargs)
    return sum(p.numel() for p in model.parameters())


def matched_hidden(
    core: str, budget: int, vocab_size: int, num_classes: int, *, num_heads: int = 1, **kwargs: int
) -> int:
    """The hidden size (a multiple of ``num_heads``) whose :class:`TokenTagger` is nearest ``budget`` parameters."""
    check_positive_int("budget", budget)
    best, best_gap = num_heads, None
    h = num_heads
    while True:
        n = tagger_num_params(core, vocab_size, num_classes, h, num_heads=num_heads, **kwargs)
        gap = abs(n - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = h, gap
        if n > budget:
            return best
        h += num_heads
