"""The machine a result was computed on: its record, and whether this machine is the same one (scripts/, chapters 10-14).

Every script that commits a table to ``results/`` stores
:func:`machine_summary` in it: the platform, the processor's model name
(:func:`cpu_model`), a hash of its instruction-set flags
(:func:`cpu_flags_hash`), the kernel level torch dispatches to, Python,
torch and the thread count. A chapter that reruns a slice of a table asks
:func:`same_machine`: on the same machine a CPU rerun repeats the table bit
for bit and is asserted equal; elsewhere only a tolerance from the seeds'
spread holds. Devices, threads and seeding are in :mod:`lstm_companion.runtime`.
"""

from __future__ import annotations

import hashlib
import platform

import torch

__all__ = ["machine_summary", "cpu_model", "cpu_flags_hash", "same_machine"]


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``'s ``model name`` on Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags_hash() -> str:
    """sha256 (16 hex digits) of the CPU's instruction-set flags (``/proc/cpuinfo``), or ``""`` where unreadable.

    Two processors sold under one model name (a virtual machine's "AMD EPYC")
    may still differ in their instruction sets, and so in the kernels torch
    picks: :func:`same_machine` compares this too.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = " ".join(sorted(line.split(":", 1)[1].split()))
                    return hashlib.sha256(flags.encode()).hexdigest()[:16]
    except OSError:
        pass
    return ""


def machine_summary() -> dict[str, object]:
    """Where a committed CPU result was computed: platform, processor, CPU model, Python, torch, threads (scripts/).

    Stored in the results files of the scripts, so that a table says which
    machine made it; :func:`same_machine` compares a record with this one.
    """
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags_hash(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the kernels torch dispatches to
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": "cpu",
        "num_threads": torch.get_num_threads(),
    }


def same_machine(record: object) -> bool:
    """Whether a :func:`machine_summary` ``record`` has this CPU (model name, instruction-set flags, torch's
    kernel level), this torch and this thread count.

    Where it does, a CPU rerun of a committed computation is expected to
    repeat it bit for bit, and a chapter asserts equality (a failure there
    means the code or the data changed); elsewhere only a tolerance holds. A
    record without these fields (written before they were recorded) never
    matches.
    """
    if not isinstance(record, dict):
        raise TypeError(f"record must be a machine_summary() dict, got {type(record).__name__}")
    here = machine_summary()
    keys = ("cpu_model", "cpu_flags", "cpu_capability", "torch", "num_threads")
    return all(record.get(k) == here[k] for k in keys)
