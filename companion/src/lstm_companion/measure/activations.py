"""Recording a trained LSTM's every unit at every step: cell, hidden state and gates (chapter 9).

:func:`cell_activations` runs an LSTM language model (an
:class:`~lstm_companion.RNNLM` around an :class:`~lstm_companion.LSTMScratch`
or ``nn.LSTM``) over a long stretch of text from a zero state, optionally as
several streams side by side, and returns every unit's gates, candidate, cell
``C_t`` and hidden state ``H_t`` per step (:data:`TRACE_KEYS`), read with
:meth:`~lstm_companion.LSTMScratch.gate_trace`
(:mod:`lstm_companion.models.lstm`).

Neighbours: the model comes from :func:`~lstm_companion.char_lm`
(:mod:`lstm_companion.recipes.char_lm`); the text signals the activations are
compared with are in :mod:`lstm_companion.measure.signals`, the correlations
and their controls in :mod:`lstm_companion.measure.interpret`.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_positive_int, check_tensor
from ..models.lm import RNNLM
from ..models.lstm import LSTMScratch
from ..runtime import get_device

__all__ = ["TRACE_KEYS", "cell_activations"]


#: What :func:`cell_activations` returns: the input, forget and output gates, the candidate, the cell, the hidden state.
TRACE_KEYS = ("i", "f", "o", "c", "C", "H")


@torch.no_grad()
def cell_activations(
    model: RNNLM | LSTMScratch,
    indices: torch.Tensor,
    *,
    num_streams: int = 1,
    warmup: int = 0,
    layer: int = 0,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """Run an LSTM language model over a long stretch of tokens and record every unit at every step (chapter 9).

    ``model`` is an :class:`~lstm_companion.RNNLM` whose core is an
    :class:`~lstm_companion.LSTMScratch` (or an ``nn.LSTM``, converted
    with ``LSTMScratch.from_torch``), or the core itself; its layer ``layer``
    is read with :meth:`~lstm_companion.LSTMScratch.gate_trace`.
    ``indices`` (shape ``(N,)``) are the tokens, read from a zero state. The
    model runs on ``device`` (default: where its parameters are; a model
    elsewhere is copied there, never moved).

    To go faster, ``num_streams > 1`` cuts the stretch into that many equal
    consecutive pieces, run side by side as one minibatch. Each piece after
    the first starts reading ``warmup`` tokens before its first recorded
    step, so that its state has seen context; with ``warmup >= N`` the result
    equals ``num_streams=1`` up to float rounding.

    Returns ``{"i", "f", "o", "c", "C", "H"}`` (:data:`TRACE_KEYS`), each of
    shape ``(N, num_hiddens)``, float32 on the CPU: row ``t`` is the state
    after reading ``indices[t]``.
    """
    if isinstance(model, RNNLM):
        core, vocab_size = model.core, model.vocab_size
    elif isinstance(model, (LSTMScratch, nn.LSTM)):
        core, vocab_size = model, None
    else:
        raise TypeError(f"model must be an RNNLM, an LSTMScratch or an nn.LSTM, got {type(model).__name__}")
    if isinstance(core, nn.LSTM):
        core = LSTMScratch.from_torch(core)
    if not isinstance(core, LSTMScratch):
        raise TypeError(f"model's core must be an LSTMScratch or an nn.LSTM, got {type(core).__name__}")
    vocab_size = vocab_size or core.num_inputs
    check_tensor("indices", indices, ndim=1, floating=False)
    if indices.min() < 0 or indices.max() >= vocab_size:
        raise ValueError(
            f"indices must hold token indices in [0, {vocab_size}), got values in "
            f"[{int(indices.min())}, {int(indices.max())}]"
        )
    check_positive_int("num_streams", num_streams)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    n = len(indices)
    if num_streams > n:
        raise ValueError(f"num_streams must be at most len(indices) = {n}, got {num_streams}")
    weight = core.cell(0).W_hi
    dev = weight.device if device is None else get_device(device)
    if dev.type != weight.device.type:
        core = copy.deepcopy(core).to(dev)  # leave the caller's model where it is
    length = math.ceil(n / num_streams)  # steps recorded per stream
    starts = [max(0, s * length - warmup) for s in range(num_streams)]
    offsets = [s * length - start for s, start in enumerate(starts)]  # steps read before recording
    num_steps = length + max(offsets)
    padded = torch.cat([indices.cpu(), torch.zeros(num_steps + n, dtype=indices.dtype)])  # the tail is never kept
    tokens = torch.stack([padded[start : start + num_steps] for start in starts], dim=1)  # (num_steps, num_streams)
    X = F.one_hot(tokens, vocab_size).to(device=dev, dtype=weight.dtype)  # (num_steps, num_streams, vocab_size)
    trace = core.gate_trace(X, layer=layer)  # each (num_steps, num_streams, num_hiddens)
    steps = torch.tensor(offsets)[:, None] + torch.arange(length)[None, :]  # (num_streams, length)
    streams = torch.arange(num_streams)[:, None].expand_as(steps)
    out = {}
    for key in TRACE_KEYS:
        recorded = trace[key].cpu()[steps, streams]  # (num_streams, length, num_hiddens)
        out[key] = recorded.reshape(num_streams * length, -1)[:n].float().contiguous()  # (N, num_hiddens)
    return out
