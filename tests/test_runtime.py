"""Tests of ``lstm_companion.runtime``: devices, seeds, hashes and their arguments."""

from __future__ import annotations

from bad_input import bad_input_test, case

import lstm_companion as lc

# ---- bad input

BAD_INPUT = [
    case("device-tpu", lambda: lc.get_device("tpu"), ValueError, r"\bdevice\b.*'tpu'"),
    case("device-cuda-bad-index", lambda: lc.get_device("cuda:x"), ValueError, r"\bdevice\b"),
    case("file_hash-None", lambda: lc.file_hash(None), TypeError, r"\bpath\b.*NoneType"),
    case("file_hash-algorithm", lambda: lc.file_hash(__file__, "sha999"), ValueError, r"\balgorithm\b.*'sha999'"),
    case("seed_everything-None", lambda: lc.seed_everything(None), TypeError, r"\bseed\b.*NoneType"),
    case("model_device-None", lambda: lc.model_device(None), TypeError, r"\bmodel\b.*NoneType"),
    case("device-int", lambda: lc.get_device(3), ValueError, r"\bdevice\b.*3"),
]

test_bad_input = bad_input_test(BAD_INPUT)
