"""The code passes ruff's checks and formatting (settings in ruff.toml).

The same checks as ``make lint`` without mypy: ``ruff check`` and ``ruff
format --check`` on the package, the tests, the scripts and the CI helpers,
and ``ruff check`` on the notebooks (which ruff.toml leaves unformatted). Run
``ruff check --fix`` and ``ruff format`` on the paths named in a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Keep in step with LINT_PATHS in the Makefile.
PYTHON_PATHS = ["companion/src", "tests", "scripts", "bench", "conftest.py", ".ci"]
TIMEOUT_S = 120


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        command = " ".join(["ruff", *result.args[3:]])
        pytest.fail(f"`{command}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}", pytrace=False)


def test_lint_paths_exist() -> None:
    missing = [path for path in PYTHON_PATHS if not (ROOT / path).exists()]
    assert not missing, f"paths to lint are missing: {missing}"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["check", "--no-cache", "--output-format=concise", *PYTHON_PATHS], id="check"),
        pytest.param(["format", "--check", "--no-cache", *PYTHON_PATHS], id="format"),
    ],
)
def test_python_sources(args: list[str]) -> None:
    assert_clean(ruff(*args))


def test_notebooks() -> None:
    notebooks = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks/*.ipynb found"
    assert_clean(ruff("check", "--no-cache", "--output-format=concise", *notebooks))


def test_notebook_code_fits_the_page() -> None:
    """Notebook code lines are at most 80 characters: the book's code column shows about 80 at 1280 px."""
    notebooks = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert_clean(
        ruff("check", "--no-cache", "--output-format=concise", "--select", "E501", "--line-length", "80", *notebooks)
    )
    assert_clean(ruff("format", "--check", "--no-cache", "--line-length", "80", *notebooks))
