"""Where the committed results of the book's scripts live (chapters 6–10).

Some tables take longer to compute than a chapter may run: the several-seed
sentiment table (``scripts/sentiment_seeds.py``, chapter 6), the translation
checkpoint (``scripts/train_translation.py``, chapter 7), the ablations
(``scripts/ablations.py``, chapter 8) and the LSTM speed benchmark
(``bench/lstm_speed.py``, chapter 10). Their outputs are committed under
``results/`` in the book's repository, and each chapter checks a live slice
against them. :func:`find_results` finds that folder from a notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

RESULTS_ENV = "LSTM_COMPANION_RESULTS"


def find_results(name: str, start: str | os.PathLike[str] | None = None) -> Path:
    """The committed results file ``results/<name>``.

    Looked for, in this order: in the folder named by the environment variable
    ``LSTM_COMPANION_RESULTS``; then in ``results/`` of ``start`` (default: the
    current folder) and of each of its parents, as when a chapter runs in
    ``notebooks/`` of a clone. Raises :class:`FileNotFoundError` naming every
    place looked at.
    """
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"name must be a relative file name inside results/, got {name!r}")
    looked: list[Path] = []
    env = os.environ.get(RESULTS_ENV)
    if env:
        path = Path(env) / name
        if path.is_file():
            return path
        looked.append(path)
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, *here.resolve().parents):
        path = folder / "results" / name
        if path.is_file():
            return path
        looked.append(path)
    raise FileNotFoundError(
        f"results/{name} was not found (looked at {', '.join(str(p) for p in looked[:4])}"
        f"{', ...' if len(looked) > 4 else ''}): run the chapter from a clone of the book's repository, "
        f"or point {RESULTS_ENV} at a folder holding {name}"
    )
