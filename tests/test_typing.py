"""The companion package passes ``mypy --strict`` (settings in companion/pyproject.toml, [tool.mypy]).

The same check as the mypy line of ``make lint``. It takes a few seconds
with mypy's cache (``.mypy_cache`` in the repository root, git-ignored) and
about half a minute without it, most of it reading torch's annotations.
Run ``mypy --config-file companion/pyproject.toml`` to see the errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "companion" / "pyproject.toml"
PACKAGE = ROOT / "companion" / "src" / "lstm_companion"
TIMEOUT_S = 600


@pytest.mark.typecheck
def test_package_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    output = f"{result.stdout}\n{result.stderr}".strip()
    if result.returncode != 0:
        pytest.fail(
            f"`mypy --config-file companion/pyproject.toml` exited {result.returncode}:\n{output}", pytrace=False
        )
    # The configured `files` must cover the whole package, not a part of it.
    checked = re.search(r"no issues found in (\d+) source files?", output)
    assert checked is not None, f"unexpected mypy output:\n{output}"
    num_files = len(list(PACKAGE.rglob("*.py")))
    assert int(checked.group(1)) == num_files, f"mypy checked {checked.group(1)} files, the package has {num_files}"
