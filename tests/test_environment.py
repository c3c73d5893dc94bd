"""requirements.txt is the one source of exact pins; environment.yml repeats them.

These tests fail when the two files drift apart, when a pin is not exact, or
when the environment running the tests is not the pinned one.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
NODEPS = ROOT / "requirements-nodeps.txt"
ENVIRONMENT = ROOT / "environment.yml"


def _read(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        assert not text.startswith("-"), f"{path.name}:{number}: options such as {text!r} do not belong here"
        name = canonicalize_name(Requirement(text).name)
        assert name not in out, f"{path.name}:{number}: {name} is listed twice"
        out[name] = text
    return out


def parse_requirements() -> tuple[dict[str, str], dict[str, str]]:
    """(pins of requirements.txt, pins of requirements-nodeps.txt): canonical name -> requirement as written."""
    pins, no_deps = _read(REQUIREMENTS), _read(NODEPS)
    assert not set(pins) & set(no_deps), f"listed in both files: {sorted(set(pins) & set(no_deps))}"
    return pins, no_deps


def parse_environment(path: Path = ENVIRONMENT) -> tuple[list[str], dict[str, str]]:
    """(conda dependencies other than the pip section, pip pins by canonical name)."""
    env = yaml.safe_load(path.read_text())
    conda: list[str] = []
    pip: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for text in dep["pip"]:
                pip[canonicalize_name(Requirement(text).name)] = text
        else:
            conda.append(str(dep))
    return conda, pip


def exact_version(requirement: str) -> str:
    specifiers = list(Requirement(requirement).specifier)
    assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{requirement!r} is not an exact == pin"
    return specifiers[0].version


def test_every_pin_is_exact() -> None:
    pins, no_deps = parse_requirements()
    for requirement in [*pins.values(), *no_deps.values()]:
        exact_version(requirement)


def test_environment_yml_has_the_same_pins() -> None:
    pins, no_deps = parse_requirements()
    _, pip = parse_environment()
    assert set(pip) == set(pins), (
        f"only in requirements.txt: {sorted(set(pins) - set(pip))}; "
        f"only in environment.yml: {sorted(set(pip) - set(pins))}"
    )
    drift = {name: (pins[name], pip[name]) for name in pins if exact_version(pins[name]) != exact_version(pip[name])}
    assert not drift, f"pins differ (requirements.txt, environment.yml): {drift}"
    assert not set(no_deps) & set(pip), "no-deps packages must not be in environment.yml's pip list"


def test_d2l_is_installed_without_its_dependencies() -> None:
    pins, no_deps = parse_requirements()
    assert "d2l" in no_deps and "d2l" not in pins, "requirements-nodeps.txt needs `d2l==...`"
    assert not any(
        NODEPS.name in line and "--no-deps" not in line
        for line in Path(ROOT / "Makefile").read_text().splitlines()
        if "pip" in line.lower() or "PIP" in line
    )
    line = "pip install --no-deps -r requirements-nodeps.txt"
    assert line in ENVIRONMENT.read_text(), f"environment.yml must tell conda users to run `{line}`"
    assert "pip install -e companion" in ENVIRONMENT.read_text()


def test_environment_yml_is_python_311_plus_pip_only() -> None:
    conda, _ = parse_environment()
    assert sorted(conda) == ["pip", "python=3.11"], f"conda dependencies must be python=3.11 and pip, got {conda}"


@pytest.mark.parametrize(("name", "version"), [("torch", "2.14.1"), ("torchvision", "0.29.1")])
def test_torch_pins(name: str, version: str) -> None:
    pins, _ = parse_requirements()
    assert exact_version(pins[name]) == version


def test_numpy_is_not_downgraded_to_d2ls_pin() -> None:
    pins, _ = parse_requirements()
    assert exact_version(pins["numpy"]) != "1.23.5"


def test_installed_versions_match_the_pins() -> None:
    """The environment running the tests (.venv via `make test`) is the pinned one."""
    pins, no_deps = parse_requirements()
    wrong = {}
    for name, requirement in {**pins, **no_deps}.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong[name] = "not installed"
            continue
        if not Requirement(requirement).specifier.contains(installed, prereleases=True):
            wrong[name] = f"{installed} installed, {requirement} pinned"
    assert not wrong, f"run `make venv` (or recreate the environment): {wrong}"
