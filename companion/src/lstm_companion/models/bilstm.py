"""Bidirectional LSTMs from scratch, convertible to and from ``nn.LSTM(bidirectional=True)`` (chapter 6).

A bidirectional LSTM runs two LSTMs over the same sequence: the forward one
reads ``X_1, ..., X_T`` and the backward one ``X_T, ..., X_1``. Its output at
step ``t`` is the concatenation ``[H_t^fwd, H_t^bwd]``: a summary of the whole
sequence around ``t``, the past from the first half and the future from the
second. In a deep BiLSTM, layer ``k + 1`` reads layer ``k``'s concatenated
outputs (``2 * num_hiddens`` features).

- :class:`BiLSTMScratch`: two :class:`~lstm_companion.LSTMScratch` per
  layer, with ``nn.LSTM(bidirectional=True)``'s interface and state layout,
  convertible both ways (:meth:`~BiLSTMScratch.from_torch`,
  :meth:`~BiLSTMScratch.to_torch`; :data:`DIRECTIONS` are ``nn.LSTM``'s
  parameter-name suffixes), and optional ``lengths`` for padded batches.
- :func:`reverse_padded`: reverse each sequence of a padded batch within its
  own length; flipping the whole padded tensor instead is the classic bug
  (the backward direction would start on padding).
- :func:`bilstm_num_params`: the parameter count, and
  :func:`matching_num_hiddens`: the size of a unidirectional LSTM with about
  as many parameters, for a fair comparison.

Chapter 6's experiments with it live by role: the look-ahead task
(:func:`~lstm_companion.lookahead_task`) in
:mod:`lstm_companion.data.synthetic`; the :class:`~lstm_companion.Tagger` in
:mod:`lstm_companion.models.task_models`, and the character language model
:class:`~lstm_companion.CharLSTM` with :func:`~lstm_companion.generate_causal`
in :mod:`lstm_companion.models.lm`; :func:`~lstm_companion.train_tagger` in
:mod:`lstm_companion.training.supervised`; and
:func:`~lstm_companion.tagging_accuracy` and
:func:`~lstm_companion.causal_perplexity`, the honest measurement that
exposes the BiLSTM's leak of the next character, in
:mod:`lstm_companion.measure.metrics`.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from .._checks import check_positive_int, check_same_device, check_tensor
from ..data.batching import check_lengths
from .lstm import TORCH_GATE_ORDER, LSTMCellScratch, LSTMScratch, lstm_num_params
from .scratch_base import ScratchRecurrent
from .state import LSTMState

__all__ = ["DIRECTIONS", "reverse_padded", "BiLSTMScratch", "bilstm_num_params", "matching_num_hiddens"]


DIRECTIONS = ("", "_reverse")  # nn.LSTM's parameter-name suffixes: forward, backward


def reverse_padded(X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of a time-major padded batch within its own length (chapter 6).

    ``X`` has shape ``(num_steps, batch_size, ...)``; sequence ``b`` occupies
    steps ``0 .. lengths[b] - 1``. Step ``t < lengths[b]`` of the result is
    step ``lengths[b] - 1 - t`` of ``X``; the padding stays where it is. So
    the backward direction starts at each sequence's **last valid** step.
    (``X.flip(0)`` would put the padding first.) Applying it twice gives
    ``X`` back.
    """
    check_tensor("X", X)
    if X.dim() < 2:
        raise ValueError(f"X must have shape (num_steps, batch_size, ...), got {tuple(X.shape)}")
    num_steps, batch_size = X.shape[0], X.shape[1]
    lengths = check_lengths(lengths, batch_size, num_steps).to(X.device)
    t = torch.arange(num_steps, device=X.device)[:, None]  # (num_steps, 1)
    index = torch.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)  # (num_steps, batch_size)
    index = index.reshape(num_steps, batch_size, *([1] * (X.dim() - 2))).expand_as(X)
    return X.gather(0, index)


def _run_masked(
    cell: LSTMCellScratch, X: torch.Tensor, H: torch.Tensor, C: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One direction over a padded batch: past a sequence's end its state is frozen and its output is 0."""
    outputs = []
    for X_t, m in zip(X, mask):  # X_t: (batch_size, num_inputs), m: (batch_size,)
        H_new, C_new = cell(X_t, (H, C))
        keep = m[:, None]
        H, C = torch.where(keep, H_new, H), torch.where(keep, C_new, C)
        outputs.append(torch.where(keep, H_new, torch.zeros_like(H_new)))
    return torch.stack(outputs), H, C  # (num_steps, batch_size, num_hiddens), final H, C


class BiLSTMScratch(ScratchRecurrent):
    """A (multi-layer) bidirectional LSTM built from two ``LSTMScratch`` per layer (chapter 6).

    ``forward(X, state=None, lengths=None)`` takes time-major ``X``
    ``(num_steps, batch_size, num_inputs)`` and optional ``(H0, C0)``, each
    ``(num_layers * 2, batch_size, num_hiddens)`` ordered as in ``nn.LSTM``:
    layer 0 forward, layer 0 backward, layer 1 forward, ... It returns the
    last layer's outputs ``(num_steps, batch_size, 2 * num_hiddens)``
    (``[:, :, :num_hiddens]`` forward, ``[:, :, num_hiddens:]`` backward) and
    ``(H_n, C_n)`` in the same layout as the initial state. The forward
    direction's final state is at the last step, the backward direction's
    after reading the first step.

    With ``lengths`` ``(batch_size,)``, sequence ``b`` is
    ``X[:lengths[b], b]`` and the rest padding: the forward direction stops
    at each sequence's end, the backward direction starts there
    (:func:`reverse_padded`), and outputs at padded steps are zero: the same
    as ``nn.LSTM`` on a packed batch followed by ``pad_packed_sequence``.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        num_layers: int = 1,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(num_inputs, num_hiddens, num_layers, dtype=dtype, device=device)
        # Layer k + 1 reads both directions of layer k: 2 * num_hiddens features.
        self.forward_lstms = self.stack_layers(LSTMScratch, 2 * num_hiddens)  # read X_1, ..., X_T
        self.backward_lstms = self.stack_layers(LSTMScratch, 2 * num_hiddens)  # read X_T, ..., X_1

    def directions(self, k: int) -> tuple[LSTMScratch, LSTMScratch]:
        """Layer ``k``'s forward and backward ``LSTMScratch``, typed (``nn.ModuleList`` yields plain modules)."""
        return cast(LSTMScratch, self.forward_lstms[k]), cast(LSTMScratch, self.backward_lstms[k])

    def _weight(self) -> torch.Tensor:
        return self.directions(0)[0].cell(0).W_hi

    def begin_state(self, batch_size: int) -> LSTMState:
        """Zero ``(H, C)``, each ``(num_layers * 2, batch_size, num_hiddens)``."""
        w = self._weight()
        shape = (2 * self.num_layers, batch_size, self.num_hiddens)
        return torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device)

    def check_inputs(self, X: torch.Tensor, state: object, lengths: object) -> torch.Tensor | None:
        """Raise a clear error for bad inputs; return ``lengths`` on the parameters' device (or None)."""
        w = self._weight()
        self.check_sequence(X, w)
        if state is not None:
            if not isinstance(state, tuple) or len(state) != 2:
                raise TypeError(f"state must be a tuple (H, C) of two tensors, got {type(state).__name__}")
            shape = (2 * self.num_layers, X.shape[1], self.num_hiddens)
            for name, s in zip(("state[0] (H)", "state[1] (C)"), state):
                check_tensor(name, s, shape=shape, dtype=w.dtype)
                check_same_device(name, s, w.device)
        if lengths is None:
            return None
        return check_lengths(lengths, X.shape[1], X.shape[0]).to(w.device)

    def forward(
        self, X: torch.Tensor, state: LSTMState | None = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, LSTMState]:
        lengths = self.check_inputs(X, state, lengths)
        H0, C0 = self.begin_state(X.shape[1]) if state is None else state
        mask = None
        if lengths is not None:
            mask = torch.arange(X.shape[0], device=X.device)[:, None] < lengths[None, :]  # (num_steps, batch_size)
        layer_input = X
        H_n, C_n = [], []
        for k in range(self.num_layers):
            fwd, bwd = self.directions(k)
            s_f = (H0[2 * k : 2 * k + 1], C0[2 * k : 2 * k + 1])  # (1, batch_size, num_hiddens) each
            s_b = (H0[2 * k + 1 : 2 * k + 2], C0[2 * k + 1 : 2 * k + 2])
            if lengths is None:
                out_f, (H_f, C_f) = fwd(layer_input, s_f)  # (num_steps, batch_size, num_hiddens)
                out_b_rev, (H_b, C_b) = bwd(layer_input.flip(0), s_b)  # reads X_T first
                out_b = out_b_rev.flip(0)  # back in time order: out_b[t] has read X_t, ..., X_T
                H_f, C_f, H_b, C_b = H_f[0], C_f[0], H_b[0], C_b[0]
            else:
                assert mask is not None
                out_f, H_f, C_f = _run_masked(fwd.cell(0), layer_input, s_f[0][0], s_f[1][0], mask)
                reversed_input = reverse_padded(layer_input, lengths)  # each sequence starts at its last step
                out_b_rev, H_b, C_b = _run_masked(bwd.cell(0), reversed_input, s_b[0][0], s_b[1][0], mask)
                out_b = reverse_padded(out_b_rev, lengths)
            layer_input = torch.cat([out_f, out_b], dim=2)  # (num_steps, batch_size, 2 * num_hiddens)
            H_n += [H_f, H_b]
            C_n += [C_f, C_b]
        return layer_input, (torch.stack(H_n), torch.stack(C_n))

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, lstm: nn.LSTM) -> BiLSTMScratch:
        """A scratch BiLSTM with the weights of ``nn.LSTM(..., bidirectional=True)`` (chapter 6)."""
        if not isinstance(lstm, nn.LSTM):
            raise TypeError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
        if not lstm.bidirectional or lstm.batch_first or not lstm.bias or lstm.proj_size:
            raise ValueError(
                "lstm must have bidirectional=True, batch_first=False, bias=True and proj_size=0, got "
                f"bidirectional={lstm.bidirectional}, batch_first={lstm.batch_first}, "
                f"bias={lstm.bias}, proj_size={lstm.proj_size}"
            )
        w = lstm.get_parameter("weight_ih_l0")
        new = cls(lstm.input_size, lstm.hidden_size, lstm.num_layers, dtype=w.dtype, device=w.device)
        h = lstm.hidden_size
        with torch.no_grad():
            for k in range(lstm.num_layers):
                for suffix, direction in zip(DIRECTIONS, new.directions(k)):
                    cell = direction.cell(0)
                    w_ih, w_hh = getattr(lstm, f"weight_ih_l{k}{suffix}"), getattr(lstm, f"weight_hh_l{k}{suffix}")
                    bias = getattr(lstm, f"bias_ih_l{k}{suffix}") + getattr(lstm, f"bias_hh_l{k}{suffix}")
                    for block, g in enumerate(TORCH_GATE_ORDER):
                        rows = slice(block * h, (block + 1) * h)
                        W_x, W_h, b = cell.weights(g)
                        W_x.copy_(w_ih[rows].T)
                        W_h.copy_(w_hh[rows].T)
                        b.copy_(bias[rows])
        return new

    def to_torch(self) -> nn.LSTM:
        """An ``nn.LSTM(bidirectional=True)`` computing the same function (its ``bias_hh_*`` are zero)."""
        w = self._weight()
        lstm = nn.LSTM(
            self.num_inputs, self.num_hiddens, self.num_layers, bidirectional=True, dtype=w.dtype, device=w.device
        )
        with torch.no_grad():
            for k in range(self.num_layers):
                for suffix, direction in zip(DIRECTIONS, self.directions(k)):
                    parts = [direction.cell(0).weights(g) for g in TORCH_GATE_ORDER]
                    getattr(lstm, f"weight_ih_l{k}{suffix}").copy_(torch.cat([W_x.T for W_x, _, _ in parts]))
                    getattr(lstm, f"weight_hh_l{k}{suffix}").copy_(torch.cat([W_h.T for _, W_h, _ in parts]))
                    getattr(lstm, f"bias_ih_l{k}{suffix}").copy_(torch.cat([b for _, _, b in parts]))
                    getattr(lstm, f"bias_hh_l{k}{suffix}").zero_()
        return lstm


def bilstm_num_params(num_inputs: int, num_hiddens: int, num_layers: int = 1) -> int:
    """Parameters of ``nn.LSTM(num_inputs, num_hiddens, num_layers, bidirectional=True)`` (chapter 6).

    Two LSTMs per layer; layers after the first read ``2 * num_hiddens`` features.
    """
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("num_hiddens", num_hiddens)
    check_positive_int("num_layers", num_layers)
    first = 2 * lstm_num_params(num_inputs, num_hiddens)
    rest = 2 * lstm_num_params(2 * num_hiddens, num_hiddens) * (num_layers - 1)
    return first + rest


def matching_num_hiddens(num_inputs: int, bi_num_hiddens: int, num_outputs: int) -> int:
    """``num_hiddens`` of a unidirectional LSTM + linear layer with about as many parameters as a BiLSTM's (chapter 6).

    Compares one-layer ``LSTM(num_inputs, h) + Linear(h, num_outputs)`` with
    ``BiLSTM(num_inputs, bi_num_hiddens) + Linear(2 * bi_num_hiddens,
    num_outputs)`` and returns the ``h`` whose count is closest.
    """
    check_positive_int("num_inputs", num_inputs)
    check_positive_int("bi_num_hiddens", bi_num_hiddens)
    check_positive_int("num_outputs", num_outputs)
    target = bilstm_num_params(num_inputs, bi_num_hiddens) + (2 * bi_num_hiddens + 1) * num_outputs

    def count(h: int) -> int:
        return lstm_num_params(num_inputs, h) + (h + 1) * num_outputs

    return min(range(1, 4 * bi_num_hiddens + 1), key=lambda h: abs(count(h) - target))
