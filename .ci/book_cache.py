"""The book's execution cache after `make test`: is every chapter in it, and what did each cost?

``make test`` executes every notebook once and stores it in the cache that
myst-nb reads (``_build/.jupyter_cache``, see the root ``conftest.py``).

    python .ci/book_cache.py --check   # fail unless every notebook of _toc.yml matches a cache record
    python .ci/book_cache.py --table   # seconds per notebook, as recorded at execution
    python .ci/book_cache.py --since EPOCH --json OUT  # which records a build started at EPOCH made

``--check`` runs before ``make book`` in CI (``BOOK_REQUIRE_CACHE=1``): the
book must re-execute nothing, so a notebook missing from the cache (or changed
since the test run) fails the build instead of being executed a second time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_toc import toc_docnames

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


def toc_notebooks() -> list[Path]:
    names = toc_docnames(ROOT / "_toc.yml")
    return [ROOT / f"{n}.ipynb" for n in names if (ROOT / f"{n}.ipynb").is_file()]


def matches() -> dict[Path, object]:
    """Each toc notebook -> its cache record (None when the cache holds no run of its current code)."""
    cache = get_cache(str(CACHE))
    found: dict[Path, object] = {}
    for path in toc_notebooks():
        nb = nbformat.read(path, as_version=4)
        try:
            found[path] = cache.match_cache_notebook(nb)
        except KeyError:
            found[path] = None
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail unless every notebook is cached")
    parser.add_argument("--table", action="store_true", help="print seconds per notebook")
    parser.add_argument("--json", type=Path, help="write the table as JSON here")
    parser.add_argument("--since", type=float, help="with --json: list the records made after this Unix time")
    args = parser.parse_args()
    found = matches()
    if args.table or args.json:
        rows = {
            str(p.relative_to(ROOT)): (None if r is None else round(r.data.get("execution_seconds") or 0.0, 1))
            for p, r in found.items()
        }
        if args.table:
            width = max(len(n) for n in rows)
            for name, sec in rows.items():
                print(f"{name:<{width}}  {'not cached' if sec is None else f'{sec:8.1f}'}")
        if args.json:
            data: dict[str, object] = {"cached_seconds": rows}
            if args.since is not None:
                data["executed_by_book"] = {
                    str(p.relative_to(ROOT)): round(r.data.get("execution_seconds") or 0.0, 1)  # type: ignore[attr-defined]
                    for p, r in found.items()
                    if r is not None and r.created.timestamp() > args.since  # type: ignore[attr-defined]
                }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=1) + "\n")
    if args.check:
        missing = [str(p.relative_to(ROOT)) for p, r in found.items() if r is None]
        if missing:
            print(
                f"book_cache: {len(missing)} notebook(s) not in the execution cache {CACHE}: {missing}. "
                "`make test` executes and caches every chapter; the book build after it must execute nothing."
            )
            sys.exit(1)
        print(f"book_cache: all {len(found)} notebooks of _toc.yml are in the execution cache")


if __name__ == "__main__":
    main()
