"""Variable-length batches: padding, the last valid step, and a length-aware model (chapter 5).

Sequences in a minibatch rarely have the same length. Chapter 5 pads them to
the longest one, shows that ``nn.utils.rnn.pack_padded_sequence`` makes
``nn.LSTM`` skip the padding exactly, and measures what goes wrong when the
padding is not masked.

- :func:`pad_batch`: a list of ``(length_i, num_inputs)`` tensors -> one
  padded tensor and the lengths.
- :func:`length_mask`: ``True`` at valid steps, ``False`` at padding.
- :func:`last_valid`: each sequence's output at its own last step (a gather).
- :class:`PaddedSequenceModel`: a recurrent core and a linear layer that reads
  each sequence's last valid state (packed), or, to show the mistake, the
  state after the padding (``packed=False``).
- :func:`train_padded` and :func:`padded_accuracy`: training and evaluation
  for it, with :class:`~lstm_companion.tasks.TaskConfig`'s settings.
- :func:`sign_of_sum_task`: seeded variable-length sequences whose label is
  the sign of their sum.

Padded tensors are **batch-first** here, ``(batch_size, num_steps,
num_inputs)``, so that a minibatch is ``X[indices]``; the model turns them
time-major for the core, as :class:`~lstm_companion.tasks.LastStateModel`
does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._checks import check_positive_int, check_tensor
from .tasks import TaskConfig, _check_seed, train_on_task
from .train import History

__all__ = [
    "pad_batch",
    "check_lengths",
    "length_mask",
    "last_valid",
    "PaddedSequenceModel",
    "train_padded",
    "padded_accuracy",
    "sign_of_sum_task",
]


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
        return self.output(last)  # (batch_size, num_outputs)


def _check_padded_data(X: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    check_tensor("X", X, ndim=3, floating=True)
    check_tensor("y", y, ndim=1, floating=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must hold the same number of samples, got {X.shape[0]} and {y.shape[0]}")
    return check_lengths(lengths, X.shape[0], X.shape[1])


def train_padded(
    model: PaddedSequenceModel,
    X: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    config: TaskConfig,
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train a :class:`PaddedSequenceModel` classifier with cross-entropy (chapter 5).

    Like :func:`~lstm_companion.tasks.train_on_task`, but every minibatch
    carries its sequences' ``lengths``: ``X`` is a batch-first padded batch
    ``(num_samples, num_steps, num_inputs)``, ``lengths`` ``(num_samples,)``
    and ``y`` integer labels ``(num_samples,)``. Returns a
    :class:`~lstm_companion.train.History` with one loss and one gradient norm
    (before clipping) per update.
    """
    lengths = _check_padded_data(X, lengths, y)
    return train_on_task(model, X, y, config, lengths=lengths, device=device, progress=progress)


@torch.no_grad()
def padded_accuracy(
    model: PaddedSequenceModel,
    X: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 1024,
) -> float:
    """Fraction of padded sequences whose largest logit is the label ``y`` (chapter 5)."""
    lengths = _check_padded_data(X, lengths, y)
    check_positive_int("batch_size", batch_size)
    dev = model.output.weight.device
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, X.shape[0], batch_size):
        logits = model(X[i : i + batch_size].to(dev), lengths[i : i + batch_size])  # (batch_size, num_classes)
        correct += int((logits.argmax(dim=1).cpu() == y[i : i + batch_size].cpu()).sum())
    model.train(was_training)
    return correct / X.shape[0]


def sign_of_sum_task(
    num_samples: int, min_length: int, max_length: int, *, seed: int = 0
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Variable-length sequences labelled by the sign of their sum (chapter 5).

    Each sequence has a length drawn uniformly from ``[min_length,
    max_length]`` and one input per step, drawn uniformly from ``[-1, 1)``.
    The label is ``1`` if the sum of the sequence is positive, else ``0``,
    so the model must read every step up to the sequence's own end, and
    guessing scores about 0.5. Returns a list of ``num_samples`` float32
    tensors of shape ``(length_i, 1)`` (pad them with :func:`pad_batch`) and
    the labels ``(num_samples,)`` (``torch.long``).
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("min_length", min_length)
    check_positive_int("max_length", max_length)
    if max_length < min_length:
        raise ValueError(f"max_length must be >= min_length={min_length}, got {max_length}")
    gen = torch.Generator().manual_seed(_check_seed(seed))
    lengths = torch.randint(min_length, max_length + 1, (num_samples,), generator=gen)
    sequences = [torch.rand(int(n), 1, generator=gen) * 2 - 1 for n in lengths]  # (length_i, 1)
    y = torch.tensor([int(s.sum() > 0) for s in sequences], dtype=torch.long)  # (num_samples,)
    return sequences, y
