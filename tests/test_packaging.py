"""The companion package's metadata: license, project URLs, Python versions, and what a build ships.

- ``LICENSE`` (repository root) and ``companion/LICENSE`` are the same MIT text.
- ``companion/pyproject.toml`` declares the license as the SPDX expression
  ``"MIT"`` with ``license-files`` (PEP 639, setuptools >= 77), and its
  ``[project.urls]`` all start with the one repository address of the book,
  ``repository.url`` in ``_config.yml``.
- A wheel and an sdist built from a copy of ``companion/`` (offline: no build
  isolation, no index) carry the LICENSE.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
COMPANION = ROOT / "companion"
LICENSE = ROOT / "LICENSE"
COMPANION_LICENSE = COMPANION / "LICENSE"
# PEP 639 (`license = "SPDX expression"`, `license-files`) is read from setuptools 77 on.
MIN_SETUPTOOLS = Version("77")
BUILD_TIMEOUT_S = 300


def pyproject() -> dict:
    return tomllib.loads((COMPANION / "pyproject.toml").read_text())


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    assert url.startswith("https://") and not url.endswith("/"), f"_config.yml repository.url looks wrong: {url!r}"
    return url


# ---------------------------------------------------------------- license


def test_license_files_exist_and_are_identical() -> None:
    assert LICENSE.is_file(), "LICENSE is missing at the repository root"
    assert COMPANION_LICENSE.is_file(), "companion/LICENSE is missing (the package's sdist and wheel ship it)"
    assert LICENSE.read_bytes() == COMPANION_LICENSE.read_bytes(), (
        "LICENSE and companion/LICENSE differ: copy one over the other"
    )


def test_license_is_mit_for_the_book_team() -> None:
    text = LICENSE.read_text()
    assert text.startswith("MIT License\n"), text[:80]
    assert "Copyright (c) 2026 The LSTM book team" in text
    assert "Permission is hereby granted, free of charge" in text


def test_pyproject_license_is_the_spdx_expression_mit() -> None:
    project = pyproject()["project"]
    assert project["license"] == "MIT", f"license must be the SPDX string 'MIT', got {project['license']!r}"
    assert project["license-files"] == ["LICENSE"], project.get("license-files")
    assert not [c for c in project.get("classifiers", []) if c.startswith("License ::")], (
        "with an SPDX license expression, 'License ::' classifiers are not allowed (PEP 639)"
    )


def test_build_system_requires_a_setuptools_that_reads_pep_639() -> None:
    requires = [Requirement(r) for r in pyproject()["build-system"]["requires"]]
    setuptools = [r for r in requires if r.name == "setuptools"]
    assert len(setuptools) == 1, requires
    lowest = min((Version(s.version) for s in setuptools[0].specifier if s.operator == ">="), default=None)
    assert lowest is not None and lowest >= MIN_SETUPTOOLS, (
        f"build-system needs setuptools>={MIN_SETUPTOOLS} for license = 'MIT' and license-files, got {setuptools[0]}"
    )


# ---------------------------------------------------------------- other metadata


def test_project_urls_start_with_the_repository_address() -> None:
    url = repository_url()
    urls = pyproject()["project"]["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}, sorted(urls)
    wrong = {name: value for name, value in urls.items() if not (value == url or value.startswith(url + "/"))}
    assert not wrong, f"[project.urls] must start with _config.yml's repository.url {url}: {wrong}"
    assert urls["Issues"] == f"{url}/issues"


def test_python_classifiers_match_requires_python() -> None:
    project = pyproject()
    project = project["project"]
    versions = sorted(
        (
            Version(m.group(1))
            for c in project["classifiers"]
            if (m := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c))
        ),
    )
    assert versions == [Version("3.10"), Version("3.11"), Version("3.12")], versions
    requires_python = SpecifierSet(project["requires-python"])
    assert all(requires_python.contains(v) for v in versions), (project["requires-python"], versions)
    assert not requires_python.contains(Version("3.9")), "requires-python admits a version below the classifiers"


# ---------------------------------------------------------------- what a build ships


def _setuptools_version() -> Version | None:
    try:
        return Version(importlib.metadata.version("setuptools"))
    except importlib.metadata.PackageNotFoundError:
        return None


def _run(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")  # offline: nothing to fetch
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) built without build isolation from a copy of companion/ (the tree stays clean)."""
    found = _setuptools_version()
    if found is None or found < MIN_SETUPTOOLS:
        pytest.skip(f"building offline needs setuptools>={MIN_SETUPTOOLS} in this environment, found {found}")
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "companion"
    shutil.copytree(
        COMPANION,
        source,
        ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc"),
    )
    out = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)], tmp)
    _run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"], source)
    wheels = sorted(out.glob("lstm_companion-*.whl"))
    sdists = sorted(out.glob("lstm_companion-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return wheels[0], sdists[0]


def test_wheel_ships_the_license_and_the_metadata(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        licenses = [n for n in names if re.fullmatch(r"lstm_companion-[^/]+\.dist-info/licenses/LICENSE", n)]
        assert licenses, f"no dist-info/licenses/LICENSE in {wheel.name}: {[n for n in names if 'dist-info' in n]}"
        assert archive.read(licenses[0]) == LICENSE.read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert "lstm_companion/py.typed" in names
        sources = {
            f.relative_to(COMPANION / "src").as_posix() for f in (COMPANION / "src").rglob("lstm_companion/**/*.py")
        }
        assert sources - set(names) == set(), f"modules missing from the wheel: {sorted(sources - set(names))}"
        # the C++ LSTM's source (compiled on first use) and chapter 13's series ship as package data, byte for byte
        cpp = COMPANION / "src/lstm_companion/models/fast_lstm/lstm_cpu.cpp"
        assert archive.read("lstm_companion/models/fast_lstm/lstm_cpu.cpp") == cpp.read_bytes()
        for csv in ("taylor.csv", "airpassengers.csv"):
            packaged = COMPANION / "src/lstm_companion/data/series_data" / csv
            assert archive.read(f"lstm_companion/data/series_data/{csv}") == packaged.read_bytes(), csv
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    for name, url in pyproject()["project"]["urls"].items():
        assert f"Project-URL: {name}, {url}" in metadata.splitlines(), name


def test_sdist_ships_the_license(built: tuple[Path, Path]) -> None:
    _, sdist = built
    with tarfile.open(sdist) as archive:
        member = next((m for m in archive.getmembers() if re.fullmatch(r"lstm_companion-[^/]+/LICENSE", m.name)), None)
        assert member is not None, f"no LICENSE at the top of {sdist.name}"
        extracted = archive.extractfile(member)
        assert extracted is not None and extracted.read() == LICENSE.read_bytes()


def test_flat_api_is_the_union_of_the_modules_all() -> None:
    """``lc.X`` for every name of every module's ``__all__``, each name defined by exactly one module."""
    import importlib
    import pkgutil
    from types import ModuleType

    import lstm_companion as lc

    owners: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(lc.__path__, "lstm_companion."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name.endswith("train_ddp"):
            continue  # private modules, and the command-line program
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            owners.setdefault(name, []).append(info.name)
    # a package may re-export its own modules' names (models.fast_lstm does): the name is theirs, not defined twice
    for name, mods in owners.items():
        owners[name] = [m for m in mods if not any(other.startswith(f"{m}.") for other in mods)]
    twice = {name: mods for name, mods in owners.items() if len(mods) > 1}
    assert not twice, f"names defined in more than one module: {twice}"
    flat = {name for name in lc.__all__ if name != "__version__" and not isinstance(getattr(lc, name), ModuleType)}
    assert flat == set(owners), (sorted(flat - set(owners)), sorted(set(owners) - flat))
    for name, (module,) in owners.items():
        assert getattr(lc, name) is getattr(importlib.import_module(module), name), name
