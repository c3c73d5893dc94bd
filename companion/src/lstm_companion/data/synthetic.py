"""Seeded synthetic tasks: long-range dependencies, variable lengths, looking ahead (chapters 2, 4, 5, 6 and 8).

Chapter 2 ("Vanishing and exploding gradients") shows a plain RNN failing on
the agreement task as the distance between cause and effect grows; chapter 4's
LSTM solves it, and chapters 5 and 8 set the harder adding problem. Every
generator takes a ``seed`` and draws from its own ``torch.Generator``: the
same seed gives the same data, whatever else the program does with PyTorch's
global random state.

- :func:`agreement_task` (chapters 2 and 4): "The cat(s), which ...,
  was/were": the first token is a subject of class 0 or 1
  (:data:`SUBJECT_TOKENS`), then ``distance`` filler tokens; the label is the
  subject's class.
- :func:`adding_problem` (chapters 5 and 8): the adding problem in its modern
  form (as in Le, Jaitly and Hinton, 2015, not exactly the 1997 original of
  Hochreiter and Schmidhuber; see the function): a sequence of ``(value,
  marker)`` pairs, exactly two markers; the target is the sum of the two
  marked values. :func:`adding_baseline_mse` is the error of always
  predicting the mean, 1/6.
- :func:`sign_of_sum_task` (chapter 5): variable-length sequences labelled by
  the sign of their sum, to be padded.
- :func:`parity_task`, :func:`mqar_task` (chapter 14): running parity of a
  bit string (state tracking), and multi-query associative recall (Arora et
  al. 2023): key-value pairs, then the keys again in another order, each to
  be answered with its value.
- :func:`lookahead_task` (chapter 6): tag every position with the token
  ``offset`` steps later, which no left-to-right model can know;
  :func:`lookahead_bound` is the best accuracy without seeing the future.

Data are stored **sample-first**: ``X`` has shape ``(num_samples, num_steps)``
(token indices) or ``(num_samples, num_steps, num_inputs)`` (features), so
that a minibatch is ``X[indices]``; :func:`sign_of_sum_task` returns a list of
``(length_i, 1)`` tensors instead, for :func:`~lstm_companion.pad_batch`.

The models that read them are in :mod:`lstm_companion.models.task_models`
(:class:`~lstm_companion.LastStateModel` turns a minibatch into the
time-major layout ``(num_steps, batch_size, num_inputs)`` that
``RNNScratch`` and ``nn.RNN`` read; :class:`~lstm_companion.Tagger`), their
training in :mod:`lstm_companion.training.supervised`
(:func:`~lstm_companion.train_on_task`, :func:`~lstm_companion.train_tagger`)
and their scores in :mod:`lstm_companion.measure.metrics`
(:func:`~lstm_companion.accuracy`, :func:`~lstm_companion.mean_squared_error`,
:func:`~lstm_companion.tagging_accuracy`).
"""

from __future__ import annotations

import torch

from .._checks import check_positive_int, check_seed

__all__ = [
    "lookahead_task",
    "lookahead_bound",
    "sign_of_sum_task",
    "SUBJECT_TOKENS",
    "agreement_task",
    "adding_problem",
    "adding_baseline_mse",
    "parity_task",
    "mqar_task",
]


def lookahead_task(
    num_samples: int, num_steps: int, *, vocab_size: int = 10, offset: int = 3, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tag every position with the token ``offset`` steps later (chapter 6).

    ``X`` holds tokens drawn uniformly from ``0 .. vocab_size - 1``, shape
    ``(num_samples, num_steps)``. The tag of position ``t`` is ``X[t +
    offset]``, and for the last ``offset`` positions, which have no such
    token, the extra tag ``vocab_size`` ("end"). Returns ``X`` and tags ``Y``
    of the same shape, both ``torch.long``. A left-to-right model can only
    guess the future token (accuracy ``1 / vocab_size`` there) but knows
    where the end is: :func:`lookahead_bound`.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("num_steps", num_steps)
    check_positive_int("vocab_size", vocab_size)
    check_positive_int("offset", offset)
    if offset >= num_steps:
        raise ValueError(f"offset must be < num_steps={num_steps}, got {offset}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    gen = torch.Generator().manual_seed(seed)
    X = torch.randint(0, vocab_size, (num_samples, num_steps), generator=gen)
    Y = torch.full_like(X, vocab_size)
    Y[:, : num_steps - offset] = X[:, offset:]
    return X, Y


def lookahead_bound(num_steps: int, vocab_size: int, offset: int) -> float:
    """The best accuracy on :func:`lookahead_task` without seeing the future (chapter 6).

    Chance ``1 / vocab_size`` on the ``num_steps - offset`` positions whose
    tag is a future token, certainty on the ``offset`` "end" positions.
    """
    check_positive_int("num_steps", num_steps)
    check_positive_int("vocab_size", vocab_size)
    check_positive_int("offset", offset)
    return ((num_steps - offset) / vocab_size + offset) / num_steps


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
    gen = torch.Generator().manual_seed(check_seed(seed))
    lengths = torch.randint(min_length, max_length + 1, (num_samples,), generator=gen)
    sequences = [torch.rand(int(n), 1, generator=gen) * 2 - 1 for n in lengths]  # (length_i, 1)
    y = torch.tensor([int(s.sum() > 0) for s in sequences], dtype=torch.long)  # (num_samples,)
    return sequences, y


SUBJECT_TOKENS = (0, 1)  # token 0: a class-0 subject ("cat"), token 1: a class-1 subject ("cats")


def agreement_task(
    num_samples: int,
    distance: int,
    *,
    vocab_size: int = 10,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subject-verb agreement across ``distance`` filler tokens (chapters 2 and 4).

    Each sequence has ``distance + 1`` tokens: a subject, token ``0`` (class 0,
    "cat") or token ``1`` (class 1, "cats"), followed by ``distance`` filler
    tokens drawn uniformly from ``2, ..., vocab_size - 1`` (the relative
    clause "which ..."). The label is the subject's class (the verb's number:
    "was" or "were"), to be predicted after the last token. The fillers carry
    no information about the label, so a model must carry it for ``distance``
    steps. Classes are exactly balanced (up to one sample) and shuffled, so
    guessing scores 0.5.

    Returns ``X`` of shape ``(num_samples, distance + 1)`` and ``y`` of shape
    ``(num_samples,)``, both ``torch.long``.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("distance", distance)
    check_positive_int("vocab_size", vocab_size)
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be >= 3 (two subject tokens and at least one filler), got {vocab_size}")
    gen = torch.Generator().manual_seed(check_seed(seed))
    y = (torch.arange(num_samples) % 2)[torch.randperm(num_samples, generator=gen)]  # (num_samples,)
    X = torch.randint(2, vocab_size, (num_samples, distance + 1), generator=gen)  # fillers
    X[:, 0] = y  # the subject's token is its class
    return X, y


def adding_problem(num_samples: int, num_steps: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem, in its modern form (chapters 5 and 8).

    Each of the ``num_steps`` time steps carries two inputs: a value drawn
    uniformly from ``[0, 1)`` and a marker, ``0`` or ``1``. Exactly two steps
    are marked, one drawn uniformly from the first half of the sequence
    (``t < num_steps // 2``) and one from the second half, and the target is
    the sum of the two marked values. Predicting the constant 1 (the mean
    target) gives a mean squared error of 1/6 (:func:`adding_baseline_mse`).

    This is the common modern form of the task, as used by Le, Jaitly and
    Hinton (2015): values in ``[0, 1)``, a fixed length, the plain sum as the
    target and the mean squared error as the score (where the two markers go
    varies between papers). Hochreiter and Schmidhuber's original (1997,
    experiment 4) drew values from ``[-1, 1]``, gave each sequence a random
    length between ``T`` and ``T + T/10``, marked one of the first ten steps
    and one more step in the first half, marked the first and last steps
    with ``-1``, asked for the scaled sum ``0.5 + (X1 + X2) / 4`` and counted
    a sequence as solved when the absolute error at its end was below 0.04.

    Returns ``X`` of shape ``(num_samples, num_steps, 2)`` (channel 0: values,
    channel 1: markers) and ``y`` of shape ``(num_samples,)``, both float32.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("num_steps", num_steps)
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2 to hold two markers, got {num_steps}")
    gen = torch.Generator().manual_seed(check_seed(seed))
    values = torch.rand(num_samples, num_steps, generator=gen)  # (num_samples, num_steps)
    half = num_steps // 2
    first = torch.randint(0, half, (num_samples,), generator=gen)
    second = torch.randint(half, num_steps, (num_samples,), generator=gen)
    markers = torch.zeros(num_samples, num_steps)
    rows = torch.arange(num_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = torch.stack([values, markers], dim=-1)  # (num_samples, num_steps, 2)
    y = values[rows, first] + values[rows, second]  # (num_samples,)
    return X, y


def adding_baseline_mse() -> float:
    """MSE of always predicting 1 on the adding problem: Var(U1 + U2) = 2/12 = 1/6 (chapters 5 and 8)."""
    return 1.0 / 6.0


def parity_task(num_samples: int, num_steps: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random bits ``X`` ``(num_samples, num_steps)`` and their running parity ``Y`` (same shape) (chapter 14).

    ``Y[:, t]`` is the sum of ``X[:, :t+1]`` modulo 2: a model must carry one
    bit that flips at every 1, over any length.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("num_steps", num_steps)
    gen = torch.Generator().manual_seed(check_seed(seed))
    X = torch.randint(0, 2, (num_samples, num_steps), generator=gen)
    return X, X.cumsum(dim=1) % 2


def mqar_task(
    num_samples: int, num_pairs: int, *, num_keys: int = 64, num_values: int = 64, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-query associative recall (Arora et al. 2023) in its simplest form (chapter 14).

    Each sequence is ``k_1 v_1 ... k_P v_P`` (``P = num_pairs`` distinct keys
    drawn from ``[0, num_keys)``, values from ``[num_keys, num_keys +
    num_values)``), then the ``P`` keys again in a random order. Returns the
    tokens ``X`` ``(num_samples, 3 P)`` and targets ``Y`` of the same shape:
    the value of the key at each query position, ``-100`` (ignored) elsewhere.
    """
    check_positive_int("num_samples", num_samples)
    check_positive_int("num_pairs", num_pairs)
    check_positive_int("num_keys", num_keys)
    check_positive_int("num_values", num_values)
    if num_pairs > num_keys:
        raise ValueError(f"num_pairs must be at most num_keys={num_keys} (distinct keys), got {num_pairs}")
    gen = torch.Generator().manual_seed(check_seed(seed))
    keys = torch.rand(num_samples, num_keys, generator=gen).argsort(dim=1)[:, :num_pairs]
    values = num_keys + torch.randint(0, num_values, (num_samples, num_pairs), generator=gen)
    order = torch.rand(num_samples, num_pairs, generator=gen).argsort(dim=1)
    X = torch.cat([torch.stack([keys, values], dim=2).reshape(num_samples, -1), keys.gather(1, order)], dim=1)
    Y = torch.full_like(X, -100)
    Y[:, 2 * num_pairs :] = values.gather(1, order)
    return X, Y
