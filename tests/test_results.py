"""lstm_companion.find_results: the committed results/ folder, found from a notebook's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input import bad_input_test, case

import lstm_companion as lc

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["sentiment.json", "ablations.json", "lstm_speed_cpu.json", "word_lm.json"])
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


def test_registry_matches_the_committed_results() -> None:
    """RESULT_FILES holds the sha256 of every committed result a chapter loads: regenerate, then update it."""
    committed = {
        str(p.relative_to(ROOT / "results")): lc.file_hash(p)
        for p in (ROOT / "results").rglob("*")
        if p.is_file() and p.suffix in (".json", ".pt")
    }
    assert committed == lc.RESULT_FILES


def _served_results(http_server, names: list[str]) -> None:
    for name in names:
        target = http_server.folder / "results" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / "results" / name).read_bytes())


def test_downloads_a_result_outside_a_clone(http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No results/ folder around: the file comes from the mirror, checked, into the cache; then from the cache."""
    monkeypatch.delenv(lc.RESULTS_ENV, raising=False)
    monkeypatch.setenv(lc.MIRROR_ENV, http_server.base_url)
    names = ["sentiment.json", "translation/attention.pt"]
    _served_results(http_server, names)
    for name in names:
        path = lc.find_results(name, start=tmp_path, cache=tmp_path / "cache")
        assert path == tmp_path / "cache" / "results" / name
        assert lc.file_hash(path) == lc.RESULT_FILES[name]
    assert http_server.requests == ["/results/sentiment.json", "/results/translation/attention.pt"]
    lc.find_results("sentiment.json", start=tmp_path, cache=tmp_path / "cache")
    assert len(http_server.requests) == 2  # the second call reads the cache


def test_a_damaged_download_is_refused(http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.RESULTS_ENV, raising=False)
    monkeypatch.setenv(lc.MIRROR_ENV, http_server.base_url)
    (http_server.folder / "results").mkdir()
    (http_server.folder / "results" / "sentiment.json").write_text('{"runs": []}')
    with pytest.raises(lc.ChecksumError, match="sentiment.json .* wrong sha256"):
        lc.find_results("sentiment.json", start=tmp_path, cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "results" / "sentiment.json").exists()  # nothing half-written


def test_unreachable_server_names_the_ways_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.RESULTS_ENV, raising=False)
    monkeypatch.setenv(lc.MIRROR_ENV, "http://127.0.0.1:9")  # the discard port: nothing listens there
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with pytest.raises(FileNotFoundError, match=r"downloading it from http://127\.0\.0\.1:9/results/ablations\.json"):
        lc.find_results("ablations.json", start=tmp_path, cache=tmp_path / "cache", timeout=5)
    with pytest.raises(FileNotFoundError, match="download=True fetches it"):
        lc.find_results("ablations.json", start=tmp_path, cache=tmp_path / "cache", download=False)


def test_the_mirror_serves_data_files_too(http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lc.DATA_ENV, raising=False)
    monkeypatch.setenv(lc.MIRROR_ENV, http_server.base_url + "/")
    path = lc.fetch("timemachine.txt", cache=tmp_path)
    assert lc.file_hash(path) == lc.DATA_FILES["timemachine.txt"].sha256
    assert http_server.requests == ["/timemachine.txt"]


def test_one_repository_address() -> None:
    """_config.yml holds the address; the package, its metadata and every install cell agree with it."""
    import json

    import yaml

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert lc.REPOSITORY_URL == url
    assert lc.release_files_url().endswith("/v" + lc.__version__) or lc.__version__ == "0+unknown"
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        install = "".join(cells[1]["source"]) if len(cells) > 1 else ""
        assert f"{url}@v{lc.__version__}#subdirectory=companion" in install, f"{nb.name}: install cell {install!r}"


# ---- bad input

BAD_INPUT = [
    case("find_results-absolute", lambda: lc.find_results("/etc/passwd"), ValueError, r"\bname\b.*'/etc/passwd'"),
]

test_bad_input = bad_input_test(BAD_INPUT)
