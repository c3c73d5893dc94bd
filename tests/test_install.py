"""`pip install ./companion` works in a fresh virtual environment, and trains there.

The companion package must install and import on its own: no Jupyter, no d2l,
nothing from the book's environment. Both tests install a CPU build of torch
2.13.0, the oldest torch on these machines and the package's declared floor,
from a local wheel found through pip's configured find-links (instead of the
multi-gigabyte CUDA build), then run ``tests/install_smoke.py`` there: a
forward pass, a backward pass and three training steps of the scratch LSTM,
the fused LSTM and the seq2seq model. The second test also pins numpy,
matplotlib, tqdm, scikit-learn, statsmodels and sacrebleu to the lower bounds declared in
``companion/pyproject.toml``: the floors are versions that were run.

On these machines the wheel is always there, so a missing wheel is a failure,
not a skip (set ``LSTM_COMPANION_ALLOW_NO_TORCH_WHEEL=1`` to skip elsewhere).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPANION = ROOT / "companion"
TORCH_WHEEL_GLOB = "torch-2.13.0+cpu-*.whl"
NOT_INSTALLED = ("d2l", "jupyter", "jupyter_core", "jupyterlab", "notebook", "ipykernel")
TIMEOUT_S = 900


def find_links() -> list[Path]:
    """Folders named by pip's find-links setting (config files and PIP_FIND_LINKS)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout
    folders = []
    for match in re.finditer(r"^\S*find-links='([^']*)'", out, re.MULTILINE):
        for entry in match.group(1).split():
            path = Path(entry.removeprefix("file://"))
            if path.is_dir() and path not in folders:
                folders.append(path)
    return folders


def local_torch_wheel() -> Path | None:
    for folder in find_links():
        wheels = sorted(folder.glob(TORCH_WHEEL_GLOB))
        if wheels:
            return wheels[-1]
    return None


def run(args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


SMOKE = ROOT / "tests" / "install_smoke.py"


def torch_wheel() -> Path:
    wheel = local_torch_wheel()
    if wheel is None:
        message = (
            f"no local {TORCH_WHEEL_GLOB} in pip's find-links {find_links()}: this test installs the oldest "
            "supported torch from it (downloading it would fetch the multi-gigabyte CUDA build)"
        )
        if os.environ.get("LSTM_COMPANION_ALLOW_NO_TORCH_WHEEL") == "1":
            pytest.skip(message)
        pytest.fail(message + "; set LSTM_COMPANION_ALLOW_NO_TORCH_WHEEL=1 to skip where it cannot exist")
    return wheel


def fresh_venv(tmp_path: Path) -> str:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    return str(env_dir / "bin" / "python")


def smoke(python: str, cwd: Path) -> dict[str, object]:
    """Run tests/install_smoke.py with ``python``; its last line is a JSON report."""
    report: dict[str, object] = json.loads(run([python, str(SMOKE)], cwd=cwd).strip().splitlines()[-1])
    for key in ("scratch_lstm_losses", "fused_lstm_losses", "seq2seq_losses"):
        losses = report[key]
        assert isinstance(losses, list) and len(losses) == 3, (key, losses)
    return report


def declared_floors() -> dict[str, str]:
    """``{distribution: lowest version}`` from companion/pyproject.toml's ``>=`` bounds (extras included)."""
    import tomllib

    project = tomllib.loads((COMPANION / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for deps in project["optional-dependencies"].values() for s in deps]
    floors = {}
    for spec in specs:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", spec.strip())
        assert match, f"dependency {spec!r} must be a plain lower bound NAME>=VERSION"
        floors[match.group(1).lower()] = match.group(2)
    return floors


@pytest.mark.slow
def test_pip_install_companion_in_a_fresh_venv(tmp_path: Path) -> None:
    wheel = torch_wheel()
    assert (COMPANION / "pyproject.toml").is_file(), "companion/pyproject.toml is missing"
    python = fresh_venv(tmp_path)
    run([python, "-m", "pip", "install", str(wheel)], cwd=tmp_path)
    run([python, "-m", "pip", "install", str(COMPANION)], cwd=tmp_path)  # not editable

    probe = (
        "import importlib.metadata, importlib.util, json, lstm_companion\n"
        "print(json.dumps({'version': lstm_companion.__version__,\n"
        "    'dist_version': importlib.metadata.version('lstm-companion'),\n"
        "    'file': lstm_companion.__file__,\n"
        f"    'present': [m for m in {NOT_INSTALLED!r} if importlib.util.find_spec(m)]}}))\n"
    )
    info = json.loads(run([python, "-c", probe], cwd=tmp_path).strip().splitlines()[-1])
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", info["version"]), info
    assert info["version"] == info["dist_version"], info
    assert Path(info["file"]).is_relative_to(tmp_path / "venv"), f"imported from outside the fresh venv: {info['file']}"
    assert not info["present"], f"installing the companion pulled in {info['present']}"
    report = smoke(python, tmp_path)
    assert str(report["torch"]).startswith("2.13.0"), report


@pytest.mark.slow
def test_declared_floors_install_and_train(tmp_path: Path) -> None:
    """The lowest versions companion/pyproject.toml allows install together and train."""
    floors = declared_floors()
    wheel = torch_wheel()
    assert floors["torch"] == "2.13", f"the torch floor must be the oldest torch tested here (2.13), got {floors}"
    python = fresh_venv(tmp_path)
    run([python, "-m", "pip", "install", str(wheel)], cwd=tmp_path)
    pins = [f"{name}=={version}" for name, version in floors.items() if name != "torch"]
    run([python, "-m", "pip", "install", f"{COMPANION}[apps]", *pins], cwd=tmp_path)
    report = smoke(python, tmp_path)
    for name, key in (
        ("numpy", "numpy"),
        ("matplotlib", "matplotlib"),
        ("scikit-learn", "sklearn"),
        ("statsmodels", "statsmodels"),
        ("sacrebleu", "sacrebleu"),
    ):
        got = str(report[key])
        assert got == floors[name] or got.startswith(floors[name] + "."), (name, got, floors[name])
