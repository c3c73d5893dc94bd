"""Fixtures for the companion package's tests.

- Every test runs with ``LSTM_COMPANION_CACHE`` pointing at a fresh temporary
  folder and ``LSTM_COMPANION_DATA`` unset (``make test`` exports both), so no
  test reads or writes the user's real cache or data folder. Tests that need
  local data pass ``local_dir=`` or set the variable themselves.
- ``shared_data``: the book's offline data folder ``../shared/data`` (skipped
  when absent).
- ``http_server``: a loopback HTTP server serving a temporary copy of
  ``timemachine.txt``, to test downloads without the network.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def companion_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point the package's cache at a temporary folder (returned) and unset its data folder."""
    cache = tmp_path_factory.mktemp("companion_cache")
    monkeypatch.setenv("LSTM_COMPANION_CACHE", str(cache))
    monkeypatch.delenv("LSTM_COMPANION_DATA", raising=False)
    return cache


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder next to the repository (``../shared/data``)."""
    if not (SHARED_DATA / "timemachine.txt").is_file():
        pytest.skip(f"shared data folder {SHARED_DATA} (with timemachine.txt) is missing")
    return SHARED_DATA


class Server(NamedTuple):
    """What ``http_server`` yields: unpack as ``base_url, folder, requests = http_server``."""

    base_url: str  # e.g. "http://127.0.0.1:54321", no trailing slash
    folder: Path  # the served folder (a temporary copy; tests may change its files)
    requests: list[str]  # paths of the GET requests received so far, in order


@pytest.fixture
def http_server(shared_data: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A loopback HTTP server on 127.0.0.1 (free port) serving a copy of ``timemachine.txt``."""
    folder = tmp_path_factory.mktemp("served")
    # copyfile, not copy: the shared files are read-only and tests overwrite the copy
    shutil.copyfile(shared_data / "timemachine.txt", folder / "timemachine.txt")
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output quiet

    # never send loopback requests through a proxy configured in the environment
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Server(f"http://{host}:{port}", folder, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
