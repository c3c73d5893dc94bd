"""The book's data agree with d2l 1.0.3, installed --no-deps beside a current numpy."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lstm_companion import DATA_FILES, preprocess_time_machine

d2l = pytest.importorskip("d2l.torch", reason="d2l is part of the book's environment, not the companion's")


def test_d2l_imports_beside_current_numpy() -> None:
    assert int(np.__version__.split(".")[0]) >= 2  # d2l 1.0.3 pins 1.23.5; we never let it downgrade
    assert hasattr(d2l, "TimeMachine")


def test_time_machine_text_equals_d2ls(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # d2l caches in ../data relative to the working directory (a notebook's folder)
    # and skips its download when a file with the right sha1 is already there.
    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    shutil.copy(shared_data / "timemachine.txt", tmp_path / "data" / "timemachine.txt")
    monkeypatch.chdir(tmp_path / "notebooks")
    tm = d2l.TimeMachine(batch_size=2, num_steps=5)
    raw = tm._download()
    assert raw == (shared_data / "timemachine.txt").read_text(encoding="utf-8")
    assert preprocess_time_machine(raw) == tm._preprocess(raw).strip()
    assert len(tm.vocab) == 28  # same character set as lstm_companion.load_time_machine
    assert DATA_FILES["timemachine.txt"].url == d2l.DATA_URL + "timemachine.txt"
