"""Every place that branches on what the machine has, with each answer forced.

CI runs on whichever processor it gets (an AMD EPYC without bfloat16 kernels,
an Intel Xeon with them), without a GPU, on 2 cores. So the tests, not the CI
machine, must take every branch: each detection function is monkeypatched to
each answer. The other branches are tested beside their modules:

- oneDNN bfloat16 kernels (``lc.onednn_bf16_supported``): both answers in
  ``tests/test_distributed.py`` (``test_bf16_steps_carry_the_model_dtype_whatever_the_cpu``);
- a C++ compiler for the C++ rung: present (``tests/test_cpp_lstm.py``'s
  ``built`` fixture) and missing (``test_missing_compiler_falls_back_with_one_warning``);
- the world size: one process and two under ``torchrun`` (``tests/test_distributed.py``).
"""

from __future__ import annotations

import pytest
import torch

import lstm_companion as lc
from lstm_companion import runtime


@pytest.fixture
def restore_threads():  # type: ignore[no-untyped-def]
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_get_device_auto_takes_each_branch(
    monkeypatch: pytest.MonkeyPatch, restore_threads: None, cuda: bool, mps: bool, expected: str
) -> None:
    monkeypatch.setattr(runtime, "others_running", lambda: 0)
    monkeypatch.setattr(runtime, "_cuda_available", lambda: cuda)
    monkeypatch.setattr(runtime, "_mps_available", lambda: mps)
    assert lc.get_device().type == expected
    assert lc.get_device("auto").type == expected


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_get_device_refuses_an_absent_accelerator(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(runtime, "_cuda_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    with pytest.raises(ValueError, match=f"{kind.upper()} is not available"):
        lc.get_device(kind)


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_get_device_accepts_a_present_accelerator(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(runtime, f"_{kind}_available", lambda: True)
    assert lc.get_device(kind).type == kind


@pytest.mark.parametrize(
    ("affinity", "default", "processes", "expected"),
    [
        ({0}, 2, 1, 1),  # a 2-core machine, this process pinned to one core
        ({0, 1}, 2, 1, 2),  # the book's CI machine
        ({0, 1}, 2, 2, 1),  # two ranks on two cores: one thread each
        (set(range(16)), 8, 1, 8),  # 8 cores with hyperthreads: torch's physical count wins
        (set(range(16)), 8, 2, 4),
        (set(range(4)), 8, 1, 4),  # a container allowed 4 of 8 cores
        ({0, 1}, 2, 3, 1),  # more processes than cores: still one thread
    ],
)
def test_fit_threads_follows_the_usable_cores(
    monkeypatch: pytest.MonkeyPatch,
    restore_threads: None,
    affinity: set[int],
    default: int,
    processes: int,
    expected: int,
) -> None:
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: affinity, raising=False)
    monkeypatch.setattr(runtime, "_TORCH_DEFAULT_THREADS", default)
    assert lc.usable_cores() == len(affinity)
    assert lc.fit_threads(processes) == expected
    assert torch.get_num_threads() == expected


def test_usable_cores_without_sched_getaffinity(monkeypatch: pytest.MonkeyPatch) -> None:
    # macOS and Windows have no os.sched_getaffinity: os.cpu_count() it is
    monkeypatch.delattr(runtime.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 6)
    assert lc.usable_cores() == 6
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: None)
    assert lc.usable_cores() == 1


@pytest.mark.parametrize(("busy", "expected"), [(None, 2), (0, 2), (1, 1), (2, 1), (7, 1)])
def test_get_device_leaves_busy_cores_alone(
    monkeypatch: pytest.MonkeyPatch, restore_threads: None, busy: int | None, expected: int
) -> None:
    """A quiet 2-core machine (CI) gets two threads; beside busy processes, one per free core, at least one."""
    monkeypatch.setattr(runtime, "_cuda_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    monkeypatch.setattr(runtime, "_TORCH_DEFAULT_THREADS", 2)
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(runtime, "others_running", lambda: busy)
    torch.set_num_threads(2)
    lc.get_device()
    assert torch.get_num_threads() == expected


def test_others_running_reads_the_runnable_count(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import io

    real_open = builtins.open

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path == "/proc/loadavg":
            return io.StringIO("3.10 2.00 1.00 4/300 12345\n")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    assert lc.others_running() == 3  # four runnable, this process among them

    def no_proc(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path == "/proc/loadavg":
            raise FileNotFoundError(path)  # macOS, Windows
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_proc)
    assert lc.others_running() is None


def test_get_device_on_the_cpu_caps_the_threads(monkeypatch: pytest.MonkeyPatch, restore_threads: None) -> None:
    monkeypatch.setattr(runtime, "_cuda_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    monkeypatch.setattr(runtime, "others_running", lambda: 0)
    monkeypatch.setattr(runtime, "_TORCH_DEFAULT_THREADS", 4)
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    torch.set_num_threads(4)  # more than the 2 usable cores: capped
    assert lc.get_device().type == "cpu"
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)  # a reader's (or a chapter's) lower choice is kept
    assert lc.get_device("cpu").type == "cpu"
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("fixed", [True, False])
def test_get_device_cap_both_ways_with_a_script_fixing_its_threads(
    fixed: bool, monkeypatch: pytest.MonkeyPatch, restore_threads: None
) -> None:
    """A busy machine lowers the threads, unless a script fixed its count to record it (LSTM_COMPANION_FIXED_THREADS)."""
    monkeypatch.setattr(runtime, "others_running", lambda: 1)  # one other task: one free core of two
    monkeypatch.setattr(runtime, "_TORCH_DEFAULT_THREADS", 2)
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    if fixed:
        monkeypatch.setenv(lc.FIXED_THREADS_ENV, "1")
    else:
        monkeypatch.delenv(lc.FIXED_THREADS_ENV, raising=False)
    torch.set_num_threads(2)
    assert lc.get_device("cpu").type == "cpu"
    assert torch.get_num_threads() == (2 if fixed else 1)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "2"])
def test_fit_threads_bad_input(bad: object) -> None:
    with pytest.raises(ValueError, match="processes must be an int >= 1"):
        lc.fit_threads(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ratio", "expected"), [(2.0, "up"), (1.2, "up"), (1.05, "tie"), (1.0, "tie"), (0.95, "tie"), (0.5, "down")]
)
def test_compare_ratio(ratio: float, expected: str) -> None:
    assert lc.compare_ratio(ratio, "up", "down", "tie") == expected


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan"), None, "1"])
def test_compare_ratio_bad_ratio(bad: object) -> None:
    with pytest.raises(ValueError, match="ratio must be a finite number > 0"):
        lc.compare_ratio(bad, "a", "b", "c")  # type: ignore[arg-type]


def test_compare_ratio_bad_words_and_tie() -> None:
    with pytest.raises(TypeError, match="within must be a str"):
        lc.compare_ratio(1.0, "a", "b", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tie must be a number in"):
        lc.compare_ratio(1.0, "a", "b", "c", tie=1.5)
