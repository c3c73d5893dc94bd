"""Backpropagation through time by hand: the ``torch.autograd.Function`` rung of chapter 10's ladder.

:class:`LSTMFunction` is one LSTM layer as an autograd function whose
forward pass is the premultiplied loop (the input projection of every step
in one product before the loop) and whose backward pass is written out step
by step; :class:`BPTTLSTM` is the :class:`~lstm_companion.FastLSTMBase` that
runs it. The C++ rung (:mod:`~lstm_companion.models.fast_lstm.cpp`) is the
same two passes in C++.

Neighbours, in the package :mod:`lstm_companion.models.fast_lstm`: the
shared base in :mod:`~lstm_companion.models.fast_lstm.base`, the rungs whose
backward pass autograd records in
:mod:`~lstm_companion.models.fast_lstm.python_rungs`.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import FastLSTMBase

__all__ = ["LSTMFunction", "BPTTLSTM"]


class LSTMFunction(torch.autograd.Function):
    """An LSTM layer with backpropagation through time written by hand (chapter 10).

    ``LSTMFunction.apply(X, H0, C0, W_x, W_h, b)`` returns ``(outputs, H_n,
    C_n)``. The forward pass is the premultiplied loop and keeps what the
    backward pass needs: the gate activations and every cell state. The
    backward pass walks the steps from last to first, turning the gradient
    that reaches ``H_t`` and ``C_t`` into the gradient of the pre-activations
    ``dZ_t``; everything else (``dX``, ``dW_x``, ``dW_h``, ``db``) is a
    product of the whole ``dZ`` with saved tensors, done after the loop.
    """

    @staticmethod
    def forward(
        ctx: Any,
        X: torch.Tensor,  # (T, B, d)
        H0: torch.Tensor,  # (B, h)
        C0: torch.Tensor,  # (B, h)
        W_x: torch.Tensor,  # (d, 4h)
        W_h: torch.Tensor,  # (h, 4h)
        b: torch.Tensor,  # (4h,)
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        T, B, d = X.shape
        h = H0.shape[1]
        XW = torch.addmm(b, X.reshape(T * B, d), W_x).view(T, B, 4 * h)  # (T, B, 4h), all steps at once
        A = torch.empty(T, B, 4 * h, dtype=X.dtype, device=X.device)  # gate activations [I, F, C~, O] per step
        Cs = torch.empty(T + 1, B, h, dtype=X.dtype, device=X.device)  # C_0 ... C_T
        tanh_Cs = torch.empty(T, B, h, dtype=X.dtype, device=X.device)  # tanh(C_1) ... tanh(C_T)
        Hs = torch.empty(T, B, h, dtype=X.dtype, device=X.device)  # H_1 ... H_T, the outputs
        Cs[0] = C0
        H = H0
        for t in range(T):
            Z = torch.addmm(XW[t], H, W_h)  # (B, 4h) pre-activations
            a = A[t]  # (B, 4h), a view: writing into it fills A
            torch.sigmoid(Z, out=a)  # I, F and O (the candidate's block is overwritten next)
            torch.tanh(Z[:, 2 * h : 3 * h], out=a[:, 2 * h : 3 * h])  # C~
            I, F, G, O = a.chunk(4, dim=1)  # each (B, h)
            torch.addcmul(F * Cs[t], I, G, out=Cs[t + 1])  # C_t = F_t * C_{t-1} + I_t * C~_t
            torch.tanh(Cs[t + 1], out=tanh_Cs[t])
            torch.mul(O, tanh_Cs[t], out=Hs[t])  # H_t = O_t * tanh(C_t)
            H = Hs[t]
        H0_ = H0.unsqueeze(0)  # (1, B, h)
        ctx.save_for_backward(X, H0_, W_x, W_h, A, Cs, tanh_Cs, Hs)
        return Hs, Hs[T - 1].clone(), Cs[T].clone()

    @staticmethod
    def backward(
        ctx: Any,
        dHs: torch.Tensor,  # (T, B, h): the loss's gradient w.r.t. every output H_t
        dH_n: torch.Tensor,  # (B, h): ... w.r.t. the returned final state H_T
        dC_n: torch.Tensor,  # (B, h): ... w.r.t. C_T
    ) -> tuple[torch.Tensor | None, ...]:
        X, H0_, W_x, W_h, A, Cs, tanh_Cs, Hs = ctx.saved_tensors
        T, B, d = X.shape
        h = W_h.shape[0]
        dZ = torch.empty(T, B, 4 * h, dtype=X.dtype, device=X.device)  # (T, B, 4h) gradients of the pre-activations
        dH = dH_n.clone()  # (B, h): gradient reaching H_t from later steps (and the final state)
        dC = dC_n.clone()  # (B, h): gradient reaching C_t from later steps
        for t in reversed(range(T)):
            I, F, G, O = A[t].chunk(4, dim=1)  # (B, h) each
            dH += dHs[t]  # H_t is also an output: add its own gradient
            tanh_C = tanh_Cs[t]
            # H_t = O_t * tanh(C_t): the gradient reaches O_t and, through tanh, C_t
            dO = dH * tanh_C
            dC += dH * O * (1 - tanh_C * tanh_C)
            # C_t = F_t * C_{t-1} + I_t * C~_t: the gradient reaches I_t, F_t, C~_t and C_{t-1}
            dI, dF, dG = dC * G, dC * Cs[t], dC * I
            # through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - tanh^2
            dz = dZ[t]  # (B, 4h), a view into dZ
            torch.mul(dI, I * (1 - I), out=dz[:, 0:h])
            torch.mul(dF, F * (1 - F), out=dz[:, h : 2 * h])
            torch.mul(dG, 1 - G * G, out=dz[:, 2 * h : 3 * h])
            torch.mul(dO, O * (1 - O), out=dz[:, 3 * h :])
            # Z_t = X_t W_x + H_{t-1} W_h + b: the gradient reaching the previous step
            dH = dz @ W_h.T  # (B, 4h) @ (4h, h) -> (B, h)
            dC = dC * F  # the cell path: C_{t-1} reaches C_t only through F_t
        # After the loop: every parameter gradient is one big product over all T * B rows.
        dZ2 = dZ.view(T * B, 4 * h)  # (T B, 4h)
        H_prev = torch.cat([H0_, Hs[:-1]]).view(T * B, h)  # H_0 ... H_{T-1}: (T B, h)
        dX = (dZ2 @ W_x.T).view(T, B, d) if ctx.needs_input_grad[0] else None  # (T, B, d)
        dW_x = X.reshape(T * B, d).T @ dZ2 if ctx.needs_input_grad[3] else None  # (d, 4h) = sum_t X_t^T dZ_t
        dW_h = H_prev.T @ dZ2 if ctx.needs_input_grad[4] else None  # (h, 4h) = sum_t H_{t-1}^T dZ_t
        db = dZ2.sum(0) if ctx.needs_input_grad[5] else None  # (4h,)
        dH0 = dH if ctx.needs_input_grad[1] else None  # (B, h)
        dC0 = dC if ctx.needs_input_grad[2] else None  # (B, h)
        return dX, dH0, dC0, dW_x, dW_h, db


class BPTTLSTM(FastLSTMBase):
    """The premultiplied LSTM with the hand-written backward pass of :class:`LSTMFunction` (chapter 10)."""

    def run(
        self, X: torch.Tensor, H0: torch.Tensor, C0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out: tuple[torch.Tensor, torch.Tensor, torch.Tensor] = LSTMFunction.apply(X, H0, C0, self.W_x, self.W_h, self.b)
        return out
