"""The notebook test: every ``notebooks/*.ipynb`` executed once, its outputs kept for the book.

Each chapter is one test item (``notebooks/NN_topic.ipynb::execute``): the
notebook runs top to bottom in a fresh kernel (nbclient, the executor myst-nb
uses), a cell that raises fails the item with the cell's traceback, and the
executed notebook is stored in the book's execution cache
(``_build/.jupyter_cache``, jupyter-cache) under the key myst-nb computes from
its code cells. ``make book`` right after ``make test`` then finds every
chapter in the cache and executes nothing again (``.ci/book_cache.py --check``
fails the CI build if one is missing). Why this direction, and not the book
build as the test: see CONTRIBUTING.md ("One execution").

The kernel draws figures with the inline backend, as the book does, so the
cached outputs hold the figures the pages show. The terminal summary prints a
table of seconds per notebook, also written to
``_build/ci/notebooks-test.json`` for the CI cost ledger.

``make test`` runs two pytest-xdist workers (``-n 2 --dist loadgroup``, from
the Makefile's ``TEST_WORKERS``), one per core. Each worker, and each notebook kernel it starts,
uses one torch thread (``OMP_NUM_THREADS=1``): the book's small recurrent
models gain little from a second thread, so two chapters side by side on one
thread each finish sooner than one after the other on two. Chapters that
share a trained model through the companion's cache are one xdist group, run
in order on one worker, so that the later one loads what the earlier one
trained (:data:`SHARED_CACHE_GROUPS`). Writes to the execution cache hold a
file lock. Without xdist (``-p no:xdist`` or ``-n 0``) nothing of this applies
and the notebooks run one after another, with the threads the companion
chooses.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOK_DIR = ROOT / "notebooks"
# The book's execution cache (jupyter-book's default, under _build/); BOOK_EXEC_CACHE overrides it.
EXEC_CACHE = Path(os.environ.get("BOOK_EXEC_CACHE", ROOT / "_build" / ".jupyter_cache"))
CELL_TIMEOUT = 900  # seconds, as _config.yml's execute.timeout

#: Chapters that share trained models (or a prepared data set) through the
#: companion's cache: chapter 3 trains ``lc.char_lm("lstm")``, chapters 4 and 9
#: load it (and chapter 4's RNN); chapters 6 and 7 prepare the polarity data;
#: chapters 11 and 12 the word corpus.
SHARED_CACHE_GROUPS = {
    "03_lstm_equations": "char_lm",
    "04_lstm_scratch": "char_lm",
    "09_what_cells_learn": "char_lm",
    "06_bilstm": "polarity",
    "07_attention": "polarity",
    "11_word_lm": "word_corpus",
    "12_distributed": "word_corpus",
}


def _xdist_workers() -> int:
    """How many xdist workers run this session (0 without xdist); set in each worker's environment."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this mark; a run without it (-p no:xdist) must know it too
    config.addinivalue_line("markers", "xdist_group(name): run in the same worker as the other tests of name")
    if _xdist_workers() > 1:
        # one thread per worker, and per kernel it starts (inherited through the environment)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = "1"
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is a dependency of the companion
            return
        torch.set_num_threads(1)


KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}

# notebook path (as in the node id) -> [code cells, seconds, failed]
_NOTEBOOK_TIMES: dict[str, list[Any]] = {}


@contextmanager
def _kernel_env() -> Iterator[None]:
    """The kernel inherits this process's environment: set what the book's build sets, then restore."""
    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class NotebookFailed(Exception):
    """A cell raised; the message is nbclient's, with the cell's source and traceback."""


class NotebookItem(pytest.Item):
    def runtest(self) -> None:
        import nbformat
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn
        from jupyter_cache.executors.utils import single_nb_execution

        nb = nbformat.read(self.path, as_version=4)
        code_cells = sum(c.cell_type == "code" for c in nb.cells)
        start = time.perf_counter()
        with _kernel_env():
            result = single_nb_execution(
                nb, cwd=str(self.path.parent), timeout=CELL_TIMEOUT, allow_errors=False, meta_override=True
            )
        seconds = time.perf_counter() - start
        # reported to the controlling process (xdist) through the test report
        self.user_properties.append(("notebook_time", [code_cells, seconds, result.err is not None]))
        if result.err is not None:
            raise NotebookFailed(str(result.err))
        from filelock import FileLock

        EXEC_CACHE.mkdir(parents=True, exist_ok=True)
        with FileLock(str(EXEC_CACHE) + ".lock"):  # two workers never write the cache at once
            cache = get_cache(str(EXEC_CACHE))
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(self.path), data={"execution_seconds": result.time}),
                check_validity=False,
                overwrite=True,
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, NotebookFailed):
            return f"{self.path.name} failed:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name} (executed top to bottom)"


class NotebookFile(pytest.File):
    def collect(self) -> Iterator[NotebookItem]:
        item = NotebookItem.from_parent(self, name="execute")
        group = SHARED_CACHE_GROUPS.get(self.path.stem)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        yield item


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> NotebookFile | None:
    if file_path.suffix == ".ipynb" and file_path.parent == NOTEBOOK_DIR:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Notebooks first, so that the longest items start first and the package tests fill the gaps between workers."""
    items.sort(key=lambda item: not isinstance(item, NotebookItem))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect each notebook's time from its report (in the controlling process under xdist)."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "notebook_time":
            _NOTEBOOK_TIMES[report.nodeid.split("::", 1)[0]] = list(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _NOTEBOOK_TIMES:
        return
    terminalreporter.section("notebook execution times")
    width = max(len(name) for name in _NOTEBOOK_TIMES)
    terminalreporter.write_line(f"{'notebook':<{width}}  {'cells':>5}  {'failed':>6}  {'seconds':>8}")
    total = 0.0
    for name in sorted(_NOTEBOOK_TIMES):
        cells, seconds, failed = _NOTEBOOK_TIMES[name]
        total += seconds
        terminalreporter.write_line(f"{name:<{width}}  {cells:>5}  {int(failed):>6}  {seconds:>8.1f}")
    terminalreporter.write_line(f"{'total':<{width}}  {'':>5}  {'':>6}  {total:>8.1f}")
    out = ROOT / "_build" / "ci" / "notebooks-test.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {name: {"seconds": round(s, 1), "failed": bool(f)} for name, (_, s, f) in sorted(_NOTEBOOK_TIMES.items())},
            indent=1,
        )
        + "\n"
    )
