"""Tests of ``lstm_companion.runtime``: devices, seeds, hashes and their arguments."""

from __future__ import annotations

from pathlib import Path

import torch
from bad_input import bad_input_test, case

import lstm_companion as lc

# ---- bad input

BAD_INPUT = [
    case(
        "atomic_write_many-list", lambda: lc.atomic_write_many([Path("x")]), TypeError, r"\bfiles\b must be a mapping"
    ),
    case(
        "atomic_write_many-path-str",
        lambda: lc.atomic_write_many({"x": lambda tmp: None}),
        TypeError,
        r"\bpath\b must be a pathlib\.Path",
    ),
    case("device-tpu", lambda: lc.get_device("tpu"), ValueError, r"\bdevice\b.*'tpu'"),
    case("device-cuda-bad-index", lambda: lc.get_device("cuda:x"), ValueError, r"\bdevice\b"),
    case("file_hash-None", lambda: lc.file_hash(None), TypeError, r"\bpath\b.*NoneType"),
    case("file_hash-algorithm", lambda: lc.file_hash(__file__, "sha999"), ValueError, r"\balgorithm\b.*'sha999'"),
    case("seed_everything-None", lambda: lc.seed_everything(None), TypeError, r"\bseed\b.*NoneType"),
    case("model_device-None", lambda: lc.model_device(None), TypeError, r"\bmodel\b.*NoneType"),
    case("device-int", lambda: lc.get_device(3), ValueError, r"\bdevice\b.*3"),
    case(
        "restore_rng_state-None",
        lambda: lc.restore_rng_state(None),
        ValueError,
        r"state must be a mapping from capture_rng_state\(\)",
    ),
    case(
        "restore_rng_state-empty",
        lambda: lc.restore_rng_state({}),
        ValueError,
        r"state must be a mapping from capture_rng_state\(\) with keys",
    ),
    case(
        "restore_rng_state-torch",
        lambda: lc.restore_rng_state({**lc.capture_rng_state(), "torch": torch.zeros(3)}),
        ValueError,
        r"state\['torch'\] must be torch's generator state",
    ),
    case(
        "restore_rng_state-python",
        lambda: lc.restore_rng_state({**lc.capture_rng_state(), "python": 3}),
        ValueError,
        r"state\['python'\] must be Python's random state",
    ),
    case(
        "restore_rng_state-numpy",
        lambda: lc.restore_rng_state({**lc.capture_rng_state(), "numpy": "x"}),
        ValueError,
        r"state\['numpy'\] must be NumPy's MT19937 state",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
