"""Minibatches of sequences: language-model streams (chapter 1) and padded variable-length batches (chapter 5).

Chapter 1's two batching schemes cut a corpus (a 1-D tensor of token indices)
into minibatches ``X, Y`` of shape ``(batch_size, num_steps)``, ``Y`` being
``X`` shifted by one token; :func:`~lstm_companion.train_lm` uses them for
every language model of the book:

- :func:`seq_data_iter_sequential`: ``batch_size`` parallel streams,
  consecutive in time, so the hidden state can be carried from one minibatch
  to the next and detached (truncated backpropagation through time);
- :func:`seq_data_iter_random`: independent subsequences at random positions,
  each minibatch read from a zero state.

Sequences in a minibatch rarely have the same length. Chapter 5 pads them to
the longest one, shows that ``nn.utils.rnn.pack_padded_sequence`` makes
``nn.LSTM`` skip the padding exactly, and measures what goes wrong when the
padding is not masked:

- :func:`pad_batch`: a list of ``(length_i, num_inputs)`` tensors -> one
  padded tensor and the lengths.
- :func:`length_mask`: ``True`` at valid steps, ``False`` at padding.
- :func:`last_valid`: each sequence's output at its own last step (a gather).
- :func:`check_lengths` and :func:`check_padded_samples`: a padded batch's
  lengths (and labels), checked.

Padded samples are **batch-first** by default, ``(batch_size, num_steps,
num_inputs)``, so that a minibatch is ``X[indices]``; a model turns them
time-major for its core, as :class:`~lstm_companion.LastStateModel` does.

Chapter 12's data-parallel training gives each of ``world_size`` processes
its own rows of the stream: :func:`shard_stream` cuts the stream as
:func:`seq_data_iter_sequential` does for one process with batch
``world_size * batch_size`` and hands rank ``r`` its ``batch_size`` rows;
:class:`ShardedStreamSampler` walks them window by window, with a position
that a training state saves.
The rest of chapter 5's padding experiment lives by role: the model
(:class:`~lstm_companion.PaddedSequenceModel`) in
:mod:`lstm_companion.models.task_models`, its training
(:func:`~lstm_companion.train_padded`) in
:mod:`lstm_companion.training.supervised`, its accuracy
(:func:`~lstm_companion.padded_accuracy`) in
:mod:`lstm_companion.measure.metrics`, and the sign-of-sum task
(:func:`~lstm_companion.sign_of_sum_task`) in
:mod:`lstm_companion.data.synthetic`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch

from .._checks import check_positive_int, check_rank, check_tensor

__all__ = [
    "check_padded_samples",
    "seq_data_iter_sequential",
    "seq_data_iter_random",
    "pad_batch",
    "check_lengths",
    "length_mask",
    "last_valid",
    "shard_stream",
    "ShardedStreamSampler",
]


def _check_batching(corpus: torch.Tensor, batch_size: int, num_steps: int) -> None:
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    if len(corpus) < batch_size * num_steps + 1:
        raise ValueError(
            f"corpus of length {len(corpus)} is too short for batch_size={batch_size} and "
            f"num_steps={num_steps}: need at least batch_size * num_steps + 1 = {batch_size * num_steps + 1} tokens"
        )


def seq_data_iter_sequential(
    corpus: torch.Tensor,
    batch_size: int,
    num_steps: int,
    *,
    offset: int | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Minibatches of ``batch_size`` parallel streams, consecutive in time (chapter 1).

    Row ``b`` of one minibatch continues row ``b`` of the previous one, so the
    hidden state can be carried over (and detached: truncated BPTT). The corpus
    is cut into ``batch_size`` equal streams after a start ``offset`` (random in
    ``[0, num_steps)`` unless given), and each token of the used range appears
    exactly once as an input per epoch. Yields ``X, Y`` of shape
    ``(batch_size, num_steps)``; ``Y`` is ``X`` shifted by one token.
    """
    _check_batching(corpus, batch_size, num_steps)
    if offset is None:
        offset = int(torch.randint(0, min(num_steps, len(corpus) - batch_size * num_steps), (1,), generator=generator))
    if not 0 <= offset < len(corpus) - batch_size * num_steps:
        raise ValueError(f"offset must be in [0, {len(corpus) - batch_size * num_steps}), got {offset}")
    num_batches = (len(corpus) - offset - 1) // (batch_size * num_steps)
    num_tokens = num_batches * batch_size * num_steps
    Xs = corpus[offset : offset + num_tokens].reshape(batch_size, -1)  # (batch_size, num_batches * num_steps)
    Ys = corpus[offset + 1 : offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, num_batches * num_steps, num_steps):
        yield Xs[:, i : i + num_steps], Ys[:, i : i + num_steps]


def seq_data_iter_random(
    corpus: torch.Tensor,
    batch_size: int,
    num_steps: int,
    *,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Minibatches of independent subsequences at random positions (chapter 1).

    A random offset in ``[0, num_steps)``, then the corpus is cut into
    subsequences of ``num_steps`` tokens, shuffled and grouped. Consecutive
    minibatches are unrelated, so the hidden state starts from zero each time.
    Yields ``X, Y`` of shape ``(batch_size, num_steps)``.
    """
    _check_batching(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, min(num_steps, len(corpus) - batch_size * num_steps), (1,), generator=generator))
    starts = torch.arange(offset, len(corpus) - num_steps, num_steps)  # each start leaves room for Y
    starts = starts[torch.randperm(len(starts), generator=generator)]
    steps = torch.arange(num_steps)
    for i in range(0, len(starts) - batch_size + 1, batch_size):
        idx = starts[i : i + batch_size, None] + steps  # (batch_size, num_steps)
        yield corpus[idx], corpus[idx + 1]


def pad_batch(
    sequences: Sequence[torch.Tensor], padding_value: float = 0.0, *, batch_first: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad sequences of different lengths into one tensor (chapter 5).

    ``sequences`` holds tensors of shape ``(length_i, *features)`` (for
    example ``(length_i, num_inputs)``), all with the same feature shape,
    dtype and device, and each with at least one step. Returns ``padded`` of
    shape ``(batch_size, max_length, *features)`` (or ``(max_length,
    batch_size, *features)`` with ``batch_first=False``), filled with
    ``padding_value`` after each sequence's end, and ``lengths``, an int64
    CPU tensor of shape ``(batch_size,)``, which is what
    ``pack_padded_sequence`` wants.
    """
    if isinstance(sequences, (torch.Tensor, str, bytes)) or not isinstance(sequences, Sequence):
        raise TypeError(
            f"sequences must be a list or tuple of tensors, got {type(sequences).__name__}"
            + (" (a tensor is already padded; pass a list of its rows)" if isinstance(sequences, torch.Tensor) else "")
        )
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence, got an empty list")
    first = sequences[0]
    for i, s in enumerate(sequences):
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"sequences[{i}] must be a torch.Tensor, got {type(s).__name__}")
        if s.dim() == 0:
            raise ValueError(f"sequences[{i}] must have a time axis (shape (length, ...)), got a 0-dim tensor")
        if s.shape[0] == 0:
            raise ValueError(f"sequences[{i}] is empty (length 0); every sequence needs at least one step")
        if s.shape[1:] != first.shape[1:]:
            raise ValueError(
                f"sequences[{i}] has feature shape {tuple(s.shape[1:])}, but sequences[0] has "
                f"{tuple(first.shape[1:])}; all sequences must have the same shape after the time axis"
            )
        if s.dtype != first.dtype:
            raise TypeError(f"sequences[{i}] has dtype {s.dtype}, but sequences[0] has {first.dtype}")
        if s.device != first.device:
            raise ValueError(f"sequences[{i}] is on {s.device}, but sequences[0] is on {first.device}")
    lengths = torch.tensor([s.shape[0] for s in sequences], dtype=torch.long)  # (batch_size,)
    padded = first.new_full((len(sequences), int(lengths.max()), *first.shape[1:]), padding_value)
    for i, s in enumerate(sequences):
        padded[i, : s.shape[0]] = s  # (batch_size, max_length, *features)
    return (padded, lengths) if batch_first else (padded.transpose(0, 1), lengths)


def check_lengths(lengths: object, batch_size: int, num_steps: int) -> torch.Tensor:
    """Return ``lengths`` as an int64 CPU tensor if it fits a padded batch, else raise (chapter 5).

    Valid lengths form a 1-D integer tensor of ``batch_size`` entries, each in
    ``[1, num_steps]``.
    """
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"lengths must be a torch.Tensor of ints, got {type(lengths).__name__}")
    check_tensor("lengths", lengths, ndim=1, floating=False)
    if lengths.shape[0] != batch_size:
        raise ValueError(
            f"lengths must have one entry per sequence, batch_size={batch_size}, got {lengths.shape[0]} entries"
        )
    lo, hi = int(lengths.min()), int(lengths.max())
    if lo < 1 or hi > num_steps:
        raise ValueError(
            f"lengths must lie in [1, {num_steps}] (num_steps of the padded batch), got values in [{lo}, {hi}]"
        )
    return lengths.to(device="cpu", dtype=torch.long)


def length_mask(lengths: torch.Tensor, num_steps: int | None = None, *, batch_first: bool = True) -> torch.Tensor:
    """Boolean mask, ``True`` at valid steps and ``False`` at padding (chapter 5).

    Shape ``(batch_size, num_steps)``, or ``(num_steps, batch_size)`` with
    ``batch_first=False``; ``num_steps`` defaults to ``max(lengths)``.
    """
    check_tensor("lengths", lengths, ndim=1, floating=False)
    if num_steps is None:
        num_steps = int(lengths.max())
    check_positive_int("num_steps", num_steps)
    lengths = check_lengths(lengths, lengths.shape[0], num_steps)
    mask = torch.arange(num_steps)[None, :] < lengths[:, None]  # (batch_size, num_steps)
    return mask if batch_first else mask.T


def last_valid(outputs: torch.Tensor, lengths: torch.Tensor, *, batch_first: bool = False) -> torch.Tensor:
    """Each sequence's output at its own last valid step, ``outputs[lengths[b] - 1, b]`` (chapter 5).

    ``outputs`` has shape ``(num_steps, batch_size, num_hiddens)`` (time-major,
    as ``nn.LSTM`` and ``pad_packed_sequence`` return by default) or
    ``(batch_size, num_steps, num_hiddens)`` with ``batch_first=True``.
    Returns ``(batch_size, num_hiddens)``. For a unidirectional LSTM run on a
    packed batch this equals the last layer's ``h_n``.
    """
    check_tensor("outputs", outputs, ndim=3)
    time_axis = 1 if batch_first else 0
    batch_size, num_steps = outputs.shape[1 - time_axis], outputs.shape[time_axis]
    lengths = check_lengths(lengths, batch_size, num_steps).to(outputs.device)
    index = (lengths - 1).view(1, batch_size, 1).expand(1, batch_size, outputs.shape[2])  # (1, batch_size, h)
    time_major = outputs.transpose(0, 1) if batch_first else outputs  # (num_steps, batch_size, h)
    return time_major.gather(0, index)[0]  # (batch_size, num_hiddens)


def check_padded_samples(X: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Check padded samples ``X`` ``(num_samples, num_steps, num_inputs)``, their lengths and labels ``y``; return the lengths (chapter 5)."""
    check_tensor("X", X, ndim=3, floating=True)
    check_tensor("y", y, ndim=1, floating=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must hold the same number of samples, got {X.shape[0]} and {y.shape[0]}")
    return check_lengths(lengths, X.shape[0], X.shape[1])


def shard_stream(stream: torch.Tensor, batch_size: int, *, rank: int = 0, world_size: int = 1) -> torch.Tensor:
    """Rank ``rank``'s ``(batch_size, n)`` rows of a 1-D token stream (chapter 12).

    The stream is cut into ``world_size * batch_size`` contiguous rows of
    ``n = len(stream) // (world_size * batch_size)`` tokens (the tail that
    does not fill a row is dropped), row ``i`` holding
    ``stream[i * n:(i + 1) * n]``: the usual batching of a language model.
    Rank ``r`` gets rows ``r * batch_size`` to ``(r + 1) * batch_size - 1``,
    one contiguous stretch of text; the ranks' rows are disjoint, and stacked
    in rank order they are the rows of one process with batch
    ``world_size * batch_size``.
    """
    stream = check_tensor("stream", stream, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    rank, world_size = check_rank(rank, world_size)
    rows = world_size * batch_size
    n = stream.numel() // rows
    if n < 2:
        raise ValueError(
            f"stream of {stream.numel()} tokens is too short for world_size * batch_size = {rows} rows"
            " of at least 2 tokens each"
        )
    return stream[: rows * n].view(rows, n)[rank * batch_size : (rank + 1) * batch_size]


class ShardedStreamSampler:
    """Consecutive ``(x, y)`` windows of one rank's rows, with a position that can be saved (chapter 12).

    ``next_batch()`` returns ``(x, y, new_pass)``: ``x`` the ``(batch_size,
    T)`` tokens at the current column, ``y`` the same shifted by one, ``T =
    bptt`` except for a shorter last window; ``new_pass`` is true for the first
    window of every pass over the rows, where a carried hidden state must be
    reset. After the last window the sampler starts the next pass (``epoch``
    counts them). ``state_dict()`` holds the position and the layout;
    ``load_state_dict`` refuses a state saved for another layout.
    """

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int, *, rank: int = 0, world_size: int = 1) -> None:
        self.bptt = check_positive_int("bptt", bptt)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.rank, self.world_size = check_rank(rank, world_size)
        self.data = shard_stream(stream, batch_size, rank=rank, world_size=world_size)
        self.position = 0
        self.epoch = 0

    def __len__(self) -> int:
        """Windows in one pass."""
        return math.ceil((self.data.shape[1] - 1) / self.bptt)

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """The next ``(x, y, new_pass)``; moves the position on."""
        if self.position >= self.data.shape[1] - 1:
            self.position = 0
            self.epoch += 1
        i = self.position
        seq = min(self.bptt, self.data.shape[1] - 1 - i)
        x = self.data[:, i : i + seq]
        y = self.data[:, i + 1 : i + 1 + seq]
        self.position = i + seq
        return x, y, i == 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        """The windows left in the current pass (from the current position)."""
        if self.position >= self.data.shape[1] - 1:
            self.position = 0
            self.epoch += 1
        while self.position < self.data.shape[1] - 1:
            yield self.next_batch()

    def _layout(self) -> dict[str, int]:
        return {
            "batch_size": self.batch_size,
            "bptt": self.bptt,
            "rank": self.rank,
            "world_size": self.world_size,
            "columns": int(self.data.shape[1]),
        }

    def state_dict(self) -> dict[str, int]:
        """Position, pass count and layout, as plain ints."""
        return {"position": self.position, "epoch": self.epoch, **self._layout()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a saved position; the layout must match."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping from state_dict(), got {type(state).__name__}")
        missing = {"position", "epoch", *self._layout()} - set(state)
        if missing:
            raise ValueError(f"state is missing {sorted(missing)}")
        for key, value in self._layout().items():
            if state[key] != value:
                raise ValueError(f"state was saved with {key}={state[key]}, this sampler has {key}={value}")
        position, epoch = state["position"], state["epoch"]
        if not (isinstance(position, int) and 0 <= position < self.data.shape[1]):
            raise ValueError(f"state position must be an int in [0, {self.data.shape[1]}), got {position!r}")
        if not (isinstance(epoch, int) and epoch >= 0):
            raise ValueError(f"state epoch must be an int >= 0, got {epoch!r}")
        self.position, self.epoch = position, epoch
