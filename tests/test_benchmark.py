"""Tests of ``lstm_companion.measure.benchmark`` (chapter 10): timings, their summaries, profiles, the speed ladder."""

from __future__ import annotations

import torch
from bad_input import INF, bad_input_test, case

import lstm_companion as lc

# ---- bad input


SPEED_ROW = {"train_ms": {"median": 1.0, "q25": 0.9, "q75": 1.1}}


SPEED = {"num_steps": 2, "batch_size": 2, "num_inputs": 2, "num_hiddens": 2}


def fused():
    torch.manual_seed(0)
    return lc.FusedLSTM(3, 4)


X = torch.zeros(2, 2, 3)  # (num_steps, batch_size, num_inputs)
NOTHING = {"a": lambda: None}


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
    case(
        "forward_backward-X-None", lambda: lc.forward_backward(fused(), None), TypeError, r"\bX must be a torch\.Tensor"
    ),
    case(
        "forward_backward-model-None",
        lambda: lc.forward_backward(None, X),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case(
        "forward_backward-X-size",
        lambda: lc.forward_backward(fused(), torch.zeros(2, 2, 5)),
        ValueError,
        r"\bX must have shape \(\*, \*, 3\)",
    ),
    case(
        "time_interleaved-repeats-0",
        lambda: lc.time_interleaved(NOTHING, repeats=0),
        ValueError,
        r"repeats must be an int > 0, got 0",
    ),
    case(
        "time_interleaved-repeats-float",
        lambda: lc.time_interleaved(NOTHING, repeats=2.0),
        TypeError,
        r"repeats must be an int > 0, got float",
    ),
    case(
        "time_interleaved-warmup-negative",
        lambda: lc.time_interleaved(NOTHING, repeats=1, warmup=-1),
        ValueError,
        r"warmup must be an int >= 0, got -1",
    ),
    case(
        "time_interleaved-empty",
        lambda: lc.time_interleaved({}, repeats=1),
        ValueError,
        r"cases must hold at least one case",
    ),
    case(
        "time_interleaved-list",
        lambda: lc.time_interleaved([lambda: None], repeats=1),
        ValueError,
        r"cases must hold at least one case \(a mapping",
    ),
    case(
        "time_interleaved-None",
        lambda: lc.time_interleaved(None, repeats=1),
        ValueError,
        r"cases must hold at least one case",
    ),
    case(
        "time_interleaved-name-int",
        lambda: lc.time_interleaved({1: lambda: None}, repeats=1),
        TypeError,
        r"cases must be keyed by str names, got the key 1",
    ),
    case(
        "time_interleaved-device-gpu",
        lambda: lc.time_interleaved(NOTHING, repeats=1, device="gpu"),
        ValueError,
        r"device must name a device such as 'cpu'.*got 'gpu'",
    ),
    case(
        "time_interleaved-device-int",
        lambda: lc.time_interleaved(NOTHING, repeats=1, device=0),
        TypeError,
        r"device must be a torch\.device or a device string",
    ),
    case("summarize_times-empty", lambda: lc.summarize_times([]), ValueError, r"seconds must hold at least one timing"),
    case(
        "summarize_times-None",
        lambda: lc.summarize_times(None),
        ValueError,
        r"seconds must hold at least one timing.*None",
    ),
    case(
        "summarize_times-str",
        lambda: lc.summarize_times("0.1"),
        ValueError,
        r"seconds must hold at least one timing.*'0\.1'",
    ),
    case(
        "summarize_times-negative",
        lambda: lc.summarize_times([0.1, -0.1]),
        ValueError,
        r"seconds\[1\] must be a finite number of seconds >= 0",
    ),
    case(
        "summarize_times-nan",
        lambda: lc.summarize_times([float("nan")]),
        ValueError,
        r"seconds\[0\] must be a finite number of seconds",
    ),
    case(
        "summarize_times-bool",
        lambda: lc.summarize_times([0.1, True]),
        TypeError,
        r"seconds\[1\] must be a number of seconds, got bool",
    ),
    case(
        "summarize_times-None-entry",
        lambda: lc.summarize_times([None]),
        TypeError,
        r"seconds\[0\] must be a number of seconds, got NoneType",
    ),
    case(
        "lstm_matmul_flops-num_steps-0",
        lambda: lc.lstm_matmul_flops(0, 2, 3, 4),
        ValueError,
        r"num_steps must be an int > 0, got 0",
    ),
    case(
        "lstm_matmul_flops-batch_size-float",
        lambda: lc.lstm_matmul_flops(2, 2.0, 3, 4),
        TypeError,
        r"batch_size must be an int > 0, got float",
    ),
    case(
        "lstm_matmul_flops-num_inputs-negative",
        lambda: lc.lstm_matmul_flops(2, 2, -3, 4),
        ValueError,
        r"num_inputs must be an int > 0, got -3",
    ),
    case(
        "lstm_matmul_flops-num_hiddens-bool",
        lambda: lc.lstm_matmul_flops(2, 2, 3, True),
        TypeError,
        r"num_hiddens must be an int > 0, got bool",
    ),
    case(
        "compare_ratio-nan",
        lambda: lc.compare_ratio(float("nan"), "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got nan",
    ),
    case(
        "compare_ratio-inf",
        lambda: lc.compare_ratio(float("inf"), "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got inf",
    ),
    case(
        "compare_ratio-0",
        lambda: lc.compare_ratio(0.0, "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got 0\.0",
    ),
    case(
        "compare_ratio-negative",
        lambda: lc.compare_ratio(-1.0, "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got -1",
    ),
    case(
        "compare_ratio-str",
        lambda: lc.compare_ratio("1.2", "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got '1\.2'",
    ),
    case(
        "compare_ratio-tensor",
        lambda: lc.compare_ratio(torch.tensor(1.2), "a", "b", "c"),
        ValueError,
        r"ratio must be a finite number > 0, got tensor",
    ),
    case(
        "compare_ratio-tie-negative",
        lambda: lc.compare_ratio(1.2, "a", "b", "c", tie=-0.1),
        ValueError,
        r"tie must be a number in \[0, 1\), got -0\.1",
    ),
    case(
        "compare_ratio-tie-nan",
        lambda: lc.compare_ratio(1.2, "a", "b", "c", tie=float("nan")),
        ValueError,
        r"tie must be a number in \[0, 1\), got nan",
    ),
    case(
        "compare_ratio-tie-1",
        lambda: lc.compare_ratio(1.2, "a", "b", "c", tie=1.0),
        ValueError,
        r"tie must be a number in \[0, 1\), got 1\.0",
    ),
    case(
        "compare_ratio-above-None",
        lambda: lc.compare_ratio(1.2, None, "b", "c"),
        TypeError,
        r"above must be a str, got NoneType",
    ),
    case(
        "profile_step-model-None",
        lambda: lc.profile_step(None, X),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case(
        "profile_step-train-int",
        lambda: lc.profile_step(fused(), X, train=1),
        TypeError,
        r"train must be a bool, got int 1",
    ),
    case(
        "profile_table-row_limit-0",
        lambda: lc.profile_table(fused(), X, row_limit=0),
        ValueError,
        r"row_limit must be an int > 0, got 0",
    ),
    case(
        "profile_table-X-None",
        lambda: lc.profile_table(fused(), None),
        TypeError,
        r"\bX must be a torch\.Tensor, got NoneType",
    ),
    case("matmul_gflops-m-0", lambda: lc.matmul_gflops(0, 2, 2), ValueError, r"\bm must be an int > 0, got 0"),
    case(
        "matmul_gflops-repeats-0",
        lambda: lc.matmul_gflops(2, 2, 2, repeats=0),
        ValueError,
        r"repeats must be an int > 0, got 0",
    ),
    case(
        "matmul_gflops-device-gpu",
        lambda: lc.matmul_gflops(2, 2, 2, device="gpu"),
        ValueError,
        r"device must name a device.*'gpu'",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
