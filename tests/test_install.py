"""`pip install ./companion` works in a fresh virtual environment.

The companion package must install and import on its own: no Jupyter, no d2l,
nothing from the book's environment. To keep the test cheap it installs a CPU
build of torch 2.13.0 (a version older than the book's pin, inside the
package's lower bound) from a local wheel found through pip's configured
find-links, instead of downloading the multi-gigabyte CUDA build.
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


@pytest.mark.slow
def test_pip_install_companion_in_a_fresh_venv(tmp_path: Path) -> None:
    wheel = local_torch_wheel()
    if wheel is None:
        pytest.skip(
            f"no local {TORCH_WHEEL_GLOB} in pip's find-links {find_links()}; "
            "the test would have to download the full torch build"
        )
    assert (COMPANION / "pyproject.toml").is_file(), "companion/pyproject.toml is missing"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
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
    assert Path(info["file"]).is_relative_to(env_dir), f"imported from outside the fresh venv: {info['file']}"
    assert not info["present"], f"installing the companion pulled in {info['present']}"
