"""Per-notebook execution times for `make test`.

nbval turns every cell of ``notebooks/*.ipynb`` into one test item. This hook
adds up the ``call`` durations of those items per notebook and prints a table
"notebook execution times" in the terminal summary (CI reads it from there).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

# notebook path (as in the node id) -> [cells run, seconds, failed cells]
_NOTEBOOK_TIMES: dict[str, list] = defaultdict(lambda: [0, 0.0, 0])


def _notebook_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    notebook = _notebook_of(report.nodeid)
    if notebook is None or report.when != "call":
        return
    row = _NOTEBOOK_TIMES[notebook]
    row[0] += 1
    row[1] += report.duration
    row[2] += int(report.failed)


def pytest_terminal_summary(terminalreporter) -> None:
    if not _NOTEBOOK_TIMES:
        return
    terminalreporter.section("notebook execution times")
    width = max(len(name) for name in _NOTEBOOK_TIMES)
    terminalreporter.write_line(f"{'notebook':<{width}}  {'cells':>5}  {'failed':>6}  {'seconds':>8}")
    total = 0.0
    for name in sorted(_NOTEBOOK_TIMES):
        cells, seconds, failed = _NOTEBOOK_TIMES[name]
        total += seconds
        terminalreporter.write_line(f"{name:<{width}}  {cells:>5}  {failed:>6}  {seconds:>8.1f}")
    terminalreporter.write_line(f"{'total':<{width}}  {'':>5}  {'':>6}  {total:>8.1f}")
