"""Chapter 14: the scratch sLSTM and mLSTM equal the official ``xlstm`` package (2.0.6) on a CPU.

Skipped when ``xlstm`` cannot be imported (it is a book pin in
requirements-nodeps.txt, not a dependency of the companion), except under
``make test``/``make unit`` (``LSTM_BOOK_REQUIRE_XLSTM=1``), where it must run.
"""

from __future__ import annotations

import importlib
import os

import pytest
import torch

import lstm_companion as lc

if os.environ.get("LSTM_BOOK_REQUIRE_XLSTM") == "1":  # make test: a missing xlstm is an error
    xlstm_backends = importlib.import_module("xlstm.blocks.mlstm.backends")
    slstm_cell = importlib.import_module("xlstm.blocks.slstm.cell")
else:
    xlstm_backends = pytest.importorskip("xlstm.blocks.mlstm.backends")
    slstm_cell = pytest.importorskip("xlstm.blocks.slstm.cell")

D64 = torch.float64


def _reference_recurrent(q, k, v, i, f):
    B, NH, T, D = q.shape
    C = torch.zeros(B, NH, D, D, dtype=q.dtype)
    n = torch.zeros(B, NH, D, 1, dtype=q.dtype)
    m = torch.zeros(B, NH, 1, 1, dtype=q.dtype)
    out = []
    for t in range(T):
        h, (C, n, m) = xlstm_backends.recurrent_step_stabilized_simple(
            C, n, m, *(x[:, :, t : t + 1] * 1 for x in (q, k, v)), i[:, :, t, None, None], f[:, :, t, None, None]
        )
        out.append(h)
    return torch.cat(out, dim=2)


REFERENCE = {
    "parallel": (
        lc.mlstm_parallel,
        lambda q, k, v, i, f: xlstm_backends.parallel_stabilized_simple(q, k, v, i[..., None], f[..., None]),
    ),
    "recurrent": (lc.mlstm_recurrent, _reference_recurrent),
    "chunkwise": (
        lambda *a: lc.mlstm_chunkwise(*a, chunk_size=4),
        lambda *a: xlstm_backends.chunkwise_simple(*a, chunk_size=4),
    ),
}


@pytest.mark.parametrize("form", list(REFERENCE))
def test_mlstm_equals_xlstm(form):
    g = torch.Generator().manual_seed(0)
    args = [torch.randn(2, 2, 8, 4, generator=g, dtype=D64) for _ in range(3)]
    args += [3 * torch.randn(2, 2, 8, generator=g, dtype=D64) for _ in range(2)]
    mine_fn, ref_fn = REFERENCE[form]
    a1 = [t.clone().requires_grad_() for t in args]
    a2 = [t.clone().requires_grad_() for t in args]
    mine, ref = mine_fn(*a1), ref_fn(*a2)
    torch.testing.assert_close(mine, ref, rtol=1e-10, atol=1e-12)
    w = torch.randn(mine.shape, generator=g, dtype=D64)
    g1 = torch.autograd.grad((mine * w).sum(), a1)
    g2 = torch.autograd.grad((ref * w).sum(), a2)
    for x, y in zip(g1, g2):
        torch.testing.assert_close(x, y, rtol=1e-9, atol=1e-10)


def test_slstm_equals_xlstm_vanilla():
    torch.manual_seed(0)
    H, heads = 8, 2
    mine = lc.SLSTMScratch(5, H, heads).double()
    with torch.no_grad():
        mine.b.normal_()
    cfg = slstm_cell.sLSTMCellConfig(hidden_size=H, num_heads=heads, backend="vanilla", dtype="float32")
    ref = slstm_cell.sLSTMCell(cfg).double()
    with torch.no_grad():  # the vanilla backend stores R as (heads, 4 d, d), gate-major rows, as the scratch layer
        ref._recurrent_kernel_.copy_(mine.R)
        ref._bias_.copy_(mine.b)
    x = torch.randn(3, 7, 5, dtype=D64)
    y = mine(x)[0]
    y_ref = ref(x @ mine.W.T)[0]  # (B, heads, T, d)
    y_ref = y_ref.permute(0, 2, 1, 3).reshape(3, 7, H)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    w = torch.randn(y.shape, dtype=D64)
    g_mine = torch.autograd.grad((y * w).sum(), [mine.R, mine.b])
    g_ref = torch.autograd.grad((y_ref * w).sum(), [ref._recurrent_kernel_, ref._bias_])
    for a, b in zip(g_mine, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
