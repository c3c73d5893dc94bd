"""Tests of ``lstm_companion.measure.benchmark`` (chapter 10): timings, their summaries, profiles, the speed ladder."""

from __future__ import annotations

from bad_input import bad_input_test, case

import lstm_companion as lc

# ---- bad input

NAN, INF = float("nan"), float("inf")


SPEED_ROW = {"train_ms": {"median": 1.0, "q25": 0.9, "q75": 1.1}}


SPEED = {"num_steps": 2, "batch_size": 2, "num_inputs": 2, "num_hiddens": 2}


BAD_INPUT = [
    case("summarize_times-inf", lambda: lc.summarize_times([0.1, INF]), ValueError, r"seconds\[1\].*inf"),
    case(
        "time_interleaved-not-callable",
        lambda: lc.time_interleaved({"a": 3}, repeats=1),
        TypeError,
        r"cases\['a'\] must be callable",
    ),
    case(
        "speed_ladder-no-nn.LSTM",
        lambda: lc.plot_speed_ladder({**SPEED, "results": {"fused": SPEED_ROW}}),
        ValueError,
        r"results\['results'\] must contain 'nn\.LSTM'",
    ),
    case(
        "speed_ladder-damaged-row",
        lambda: lc.plot_speed_ladder(
            {**SPEED, "results": {"nn.LSTM": SPEED_ROW, "fused": {"train_ms": {"median": 1}}}}
        ),
        ValueError,
        r"results\['results'\]\['fused'\]\['train_ms'\].*'q25'",
    ),
    case(
        "speed_ladder-no-shape", lambda: lc.plot_speed_ladder({"results": {}}), ValueError, r"\bresults\b.*'batch_size'"
    ),
    case("profile_step-X-None", lambda: lc.profile_step(lc.FusedLSTM(3, 4), None), TypeError, r"\bX\b.*NoneType"),
]

test_bad_input = bad_input_test(BAD_INPUT)
