"""The least time an LSTM training step can take: the FLOPs of its matrix products and a roofline (chapter 10).

An LSTM's time is mostly matrix products. Counting their FLOPs and measuring
how fast this machine multiplies matrices of the same shapes gives the least
time a training step can take, the physical limit chapter 10's ladder of
implementations is measured against:

- :func:`lstm_matmul_flops`: the FLOPs of one layer's products, for a
  forward pass and a training step;
- :func:`matmul_gflops`: how fast this machine multiplies two matrices of
  given shapes, in GFLOP/s; :func:`lstm_matmul_shapes` and
  :func:`lstm_matmul_rates`: the shapes a roofline measures and their rates;
- :func:`lstm_roofline_ms`: the least time of a training step from those
  rates, at the machine's peak and at the rates of the products' own shapes.

The timing itself (:func:`~lstm_companion.time_interleaved`), the profiling
and the speed-ladder figure are in :mod:`lstm_companion.measure.benchmark`;
``bench/lstm_speed.py`` writes both modules' measurements to
``results/lstm_speed_cpu.json``.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

import torch

from .._checks import check_device, check_positive_int, check_record_keys
from .benchmark import time_interleaved

__all__ = [
    "lstm_matmul_flops",
    "matmul_gflops",
    "lstm_matmul_shapes",
    "lstm_matmul_rates",
    "lstm_roofline_ms",
]


def lstm_matmul_flops(num_steps: int, batch_size: int, num_inputs: int, num_hiddens: int) -> dict[str, int]:
    """FLOPs of the matrix products of one LSTM layer, for a forward pass and a training step (chapter 10).

    With ``T`` steps, ``B`` sequences, ``d`` inputs and ``h`` hidden units,
    the forward pass multiplies ``(T B, d) @ (d, 4h)`` (the input projection,
    ``2 T B d 4h`` FLOPs) and, once per step, ``(B, h) @ (h, 4h)`` (the
    recurrence, ``2 T B h 4h`` in all). The backward pass computes each
    weight's gradient (one product of each size again) and the gradient of
    each step's previous state (the recurrence once more); the inputs of a
    first layer need no gradient, so a training step is ``2`` input
    projections and ``3`` recurrences. The gate nonlinearities and the cell
    update (``O(T B h)``) are left out: at these sizes they are a few per
    cent of the FLOPs, though not of the time.
    """
    T, B, d, h = (
        check_positive_int(name, v)
        for name, v in (
            ("num_steps", num_steps),
            ("batch_size", batch_size),
            ("num_inputs", num_inputs),
            ("num_hiddens", num_hiddens),
        )
    )
    projection, recurrence = 2 * T * B * d * 4 * h, 2 * T * B * h * 4 * h
    return {
        "input_projection": projection,
        "recurrence": recurrence,
        "forward": projection + recurrence,
        "train": 2 * projection + 3 * recurrence,
    }


def matmul_gflops(
    m: int, k: int, n: int, *, device: torch.device | str = "cpu", repeats: int = 10, warmup: int = 2
) -> float:
    """How fast this machine multiplies an ``(m, k)`` by a ``(k, n)`` float32 matrix, in GFLOP/s (chapter 10).

    ``2 m k n`` FLOPs divided by the median time of ``repeats`` products
    (after ``warmup`` untimed ones), with PyTorch's current thread count.
    """
    for name, v in (("m", m), ("k", k), ("n", n)):
        check_positive_int(name, v)
    check_positive_int("repeats", repeats)
    dev = check_device("device", device)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(dev)
    b = torch.randn(k, n, generator=gen).to(dev)
    seconds = time_interleaved({"matmul": lambda: a @ b}, repeats=repeats, warmup=warmup, device=dev)["matmul"]
    return 2 * m * k * n / statistics.median(seconds) / 1e9


def lstm_matmul_shapes(
    num_steps: int, batch_size: int, num_inputs: int, num_hiddens: int
) -> dict[str, tuple[int, int, int]]:
    """``(m, k, n)`` of the products a roofline measures (chapter 10): the keys of :func:`lstm_roofline_ms`'s rates.

    ``"peak"``: a large square product, ``2048 x 2048 x 2048``; ``"projection"``:
    the input projection of all steps, ``(T B, d) @ (d, 4h)``; ``"step"``: one
    step's recurrent product, ``(B, h) @ (h, 4h)``.
    """
    for name, v in (
        ("num_steps", num_steps),
        ("batch_size", batch_size),
        ("num_inputs", num_inputs),
        ("num_hiddens", num_hiddens),
    ):
        check_positive_int(name, v)
    T, B, d, h = num_steps, batch_size, num_inputs, num_hiddens
    return {"peak": (2048, 2048, 2048), "projection": (T * B, d, 4 * h), "step": (B, h, 4 * h)}


def lstm_matmul_rates(
    num_steps: int,
    batch_size: int,
    num_inputs: int,
    num_hiddens: int,
    *,
    device: torch.device | str = "cpu",
    repeats: int = 10,
) -> dict[str, float]:
    """:func:`matmul_gflops` at each shape of :func:`lstm_matmul_shapes`: the rates :func:`lstm_roofline_ms` takes."""
    shapes = lstm_matmul_shapes(num_steps, batch_size, num_inputs, num_hiddens)
    return {name: matmul_gflops(*mkn, device=device, repeats=repeats) for name, mkn in shapes.items()}


def lstm_roofline_ms(
    num_steps: int, batch_size: int, num_inputs: int, num_hiddens: int, rates: Mapping[str, float]
) -> dict[str, float]:
    """The least time (ms) one LSTM training step can take, from its matrix products (chapter 10).

    ``rates`` holds GFLOP/s measured with :func:`matmul_gflops`: ``"peak"``
    (a large square product, the machine's best), ``"projection"`` (the
    input projection's shape, ``(T B, d) @ (d, 4h)``) and ``"step"`` (one
    step's recurrent product, ``(B, h) @ (h, 4h)``). Returns ``"peak"``:
    every FLOP of :func:`lstm_matmul_flops` at the peak rate; and
    ``"shapes"``: the products at the rates of their own shapes: the input
    projection and its weight's gradient, and the recurrent weight's
    gradient (one product over all steps, as the hand-written BPTT computes
    it), at the projection's rate; the recurrence and the gradient of each
    step's previous state (one small product per step, necessarily) at the
    step's rate.
    """
    check_record_keys(rates, ("peak", "projection", "step"), where="rates", what="matmul rates (GFLOP/s)")
    for key in ("peak", "projection", "step"):
        if not isinstance(rates[key], (int, float)) or not rates[key] > 0:
            raise ValueError(f"rates[{key!r}] must be a positive number of GFLOP/s, got {rates[key]!r}")
    f = lstm_matmul_flops(num_steps, batch_size, num_inputs, num_hiddens)
    big = 2 * f["input_projection"] + f["recurrence"]  # forward and dW_ih; dW_hh over all steps
    per_step = 2 * f["recurrence"]  # forward and the backward of H_{t-1}, step by step
    return {
        "peak": f["train"] / (rates["peak"] * 1e6),
        "shapes": big / (rates["projection"] * 1e6) + per_step / (rates["step"] * 1e6),
    }
