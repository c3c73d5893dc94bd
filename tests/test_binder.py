"""Binder's configuration: its requirements match the book's pins, and postBuild works in a fresh venv."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from test_environment import exact_version, parse_requirements
from test_install import torch_wheel

ROOT = Path(__file__).resolve().parents[1]


def test_binder_requirements_use_the_book_pins_with_cpu_torch() -> None:
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "-r ../requirements.txt" in lines, "binder/requirements.txt must include the book's pins"
    pins, _ = parse_requirements()
    for name in ("torch", "torchvision"):
        cpu = [Requirement(line) for line in lines if not line.startswith("-") and Requirement(line).name == name]
        assert len(cpu) == 1, f"binder/requirements.txt must pin {name}'s CPU build once"
        (spec,) = list(cpu[0].specifier)
        assert spec.operator == "==" and spec.version == exact_version(pins[name]) + "+cpu", (name, str(spec))


@pytest.mark.slow
def test_postbuild_installs_d2l_and_the_companion(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(torch_wheel())], env=env, check=True
    )
    result = subprocess.run(["bash", "binder/postBuild"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    probe = "import d2l, numpy, lstm_companion; print(d2l.__version__, numpy.__version__)"
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d2l_version, numpy_version = out.stdout.split()
    assert d2l_version == "1.0.3" and not numpy_version.startswith("1.23"), out.stdout  # numpy not downgraded
