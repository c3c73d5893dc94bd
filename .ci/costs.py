"""The CI cost ledger: each stage's seconds, each notebook's seconds per stage, and the machine.

    python .ci/costs.py   # reads _build/ci/, writes _build/ci/costs.json, prints a one-screen summary

Inputs, all written by ``.ci/run`` and the stages it calls (a missing one is
reported as missing, since a failed stage may not have written it):

- ``_build/ci/stages.tsv``: ``name<TAB>seconds<TAB>status`` per stage;
- ``_build/ci/notebooks-test.json``: seconds per notebook in ``make test``
  (the root ``conftest.py``);
- ``_build/ci/notebooks-book.json``: what ``make book`` executed: the
  execution cache's records, and which ones this build made (none when the
  test run filled the cache);
- ``_build/ci/reader-junit.xml``: the reader stage's nbval run, one test
  case per cell, summed per notebook.

The budgets are CONTRIBUTING.md's ("Budgets"); the summary marks a stage over
its budget, it does not fail the run (a slower machine is not a broken book).
"""

from __future__ import annotations

import json
import os
import platform
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "_build" / "ci"
# seconds, from CONTRIBUTING.md's "Budgets" (quiet 2-core machine)
BUDGETS = {"test": 20 * 60, "book": 3 * 60, "total": 40 * 60}


def machine() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": model, "cores": cores, "platform": platform.platform(), "load_average_at_end": load}


def stages() -> list[dict[str, object]]:
    path = CI / "stages.tsv"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        name, seconds, status = line.split("\t")
        rows.append({"stage": name, "seconds": int(seconds), "status": status})
    return rows


def reader_notebooks() -> dict[str, float] | None:
    path = CI / "reader-junit.xml"
    if not path.is_file():
        return None
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(path).getroot().iter("testcase"):
        name = (case.get("classname") or case.get("file") or "").split("::")[0]
        notebook = next((part for part in name.replace("/", ".").split(".") if part[:2].isdigit()), name)
        seconds[f"notebooks/{notebook}.ipynb"] += float(case.get("time") or 0.0)
    return {k: round(v, 1) for k, v in sorted(seconds.items())}


def read_json(name: str) -> object:
    path = CI / name
    return json.loads(path.read_text()) if path.is_file() else None


def main() -> None:
    ledger = {
        "machine": machine(),
        "stages": stages(),
        "budgets_seconds": BUDGETS,
        "notebooks": {
            "test": read_json("notebooks-test.json"),
            "book": read_json("notebooks-book.json"),
            "reader": reader_notebooks(),
        },
    }
    CI.mkdir(parents=True, exist_ok=True)
    (CI / "costs.json").write_text(json.dumps(ledger, indent=1) + "\n")

    m = ledger["machine"]
    print(f"==== CI cost ledger ({CI.relative_to(ROOT) / 'costs.json'}): {m['cpu']}, {m['cores']} cores")
    total = 0
    for row in ledger["stages"]:
        total += int(row["seconds"])
        budget = BUDGETS.get(str(row["stage"]))
        over = f"  OVER its {budget} s budget" if budget and int(row["seconds"]) > budget else ""
        print(f"  {row['stage']:<9}{row['seconds']:>6} s  {row['status']}{over}")
    over = "  OVER the budget" if total > BUDGETS["total"] else ""
    print(f"  {'total':<9}{total:>6} s  (budget {BUDGETS['total']} s){over}")
    test = ledger["notebooks"]["test"] or {}
    book = ledger["notebooks"]["book"] or {}
    reader = ledger["notebooks"]["reader"] or {}
    names = sorted(set(test) | set(reader) | set(book.get("executed_by_book", {}) if isinstance(book, dict) else ()))
    if names:
        print(f"  {'notebook':<40}{'test':>8}{'book':>8}{'reader':>8}")
        executed = book.get("executed_by_book", {}) if isinstance(book, dict) else {}
        for name in names:
            t = test.get(name, {}).get("seconds") if isinstance(test.get(name), dict) else None
            b = executed.get(name)
            r = reader.get(name)
            cells = [f"{v:>8.1f}" if isinstance(v, (int, float)) else f"{'-':>8}" for v in (t, b, r)]
            print(f"  {name:<40}{''.join(cells)}")


if __name__ == "__main__":
    main()
