"""lstm_companion.find_results: the committed results/ folder, found from a notebook's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import lstm_companion as lc

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["sentiment.json", "ablations.json", "lstm_speed_cpu.json"])
def test_finds_committed_results_from_notebooks_folder(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.RESULTS_ENV, raising=False)
    assert lc.find_results(name, start=ROOT / "notebooks") == ROOT / "results" / name
    monkeypatch.chdir(ROOT / "notebooks")
    assert lc.find_results(name).resolve() == (ROOT / "results" / name).resolve()


def test_environment_variable_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sentiment.json").write_text("{}")
    monkeypatch.setenv(lc.RESULTS_ENV, str(tmp_path))
    assert lc.find_results("sentiment.json", start=ROOT / "notebooks") == tmp_path / "sentiment.json"


def test_missing_file_names_the_file_and_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.RESULTS_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match=r"results/nothing\.json.*LSTM_COMPANION_RESULTS"):
        lc.find_results("nothing.json", start=tmp_path)


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../secret.json", 3])
def test_bad_name(bad: object) -> None:
    with pytest.raises(ValueError, match="name must be"):
        lc.find_results(bad)  # type: ignore[arg-type]
