"""The numbers README.md and the book's front pages state about results and costs match the committed files.

The chapters glue every number they quote from a cell and assert it there;
README.md and book/running.md are plain pages and cannot. Numbers typed into
them go stale when a script is rerun (the translator retrained, the ablations
regenerated), so each one is listed in :data:`STATED`: a regular expression
for the sentence that states it, whose groups are the numbers, and a function
that computes the same numbers from ``results/``. How a stated number must
agree depends on how it is stated:

- ``"printed"``: it is the true value printed to the decimals it shows
  (``76.8`` for ``0.76773``), or a count, exactly;
- ``"rounded"``: within half a unit (``7 MB`` for 7,200,733 bytes);
- ``"about"``: a cost said to be "about" so many minutes, within a quarter
  of the recorded value or one minute, whichever is larger.

:func:`test_no_unchecked_result_or_timing` then looks, outside code, for
anything in those pages that reads like a result or a timing (a percentage,
seconds, minutes, hours, megabytes, a score below 1, "a minute") and fails on
each one that no entry of :data:`STATED` covers and :data:`UNCHECKED` does not
explain. Per-notebook execution times are not committed anywhere (`make test`
prints them), so the pages state none.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
README, RUNNING, INTRO = "README.md", "book/running.md", "book/intro.md"
PAGES = (README, RUNNING, INTRO)

WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _json(name: str) -> Any:
    return json.loads((RESULTS / name).read_text(encoding="utf-8"))


#: The seeds chapter 6's sentiment recipe was chosen on (its ``tuning_seeds``): README quotes the others.
SENTIMENT_TUNING_SEEDS = (0, 1)


def _sentiment_fresh_seeds() -> list[int]:
    return [s for s in _json("sentiment.json")["seeds"] if s not in SENTIMENT_TUNING_SEEDS]


def _sentiment_means() -> list[float]:
    """Percent test accuracy of each model, mean over the fresh seeds, in the order README states them."""
    runs, fresh = _json("sentiment.json")["runs"], _sentiment_fresh_seeds()
    return [
        100 * statistics.mean(r["test_acc"] for r in runs if r["model"] == m and r["seed"] in fresh)
        for m in ("bag-of-bigrams LR", "LSTM", "BiLSTM")
    ]


def _ablation_runs() -> int:
    return sum(len(a["scores"]) for task in _json("ablations.json")["results"].values() for a in task.values())


def _log_minutes(name: str) -> float:
    """The minutes of a whole training run, from its log's last line (``done in X min``)."""
    found = re.findall(r"^done in (\d+(?:\.\d+)?) min", (RESULTS / name).read_text(encoding="utf-8"), re.M)
    assert len(found) == 1, f"results/{name}: expected one 'done in X min' line, found {found}"
    return float(found[0])


def _ablation_minutes() -> float:
    """Minutes of the longer of the two processes (one per task), from the seconds of its runs."""
    tasks = _json("ablations.json")["results"]
    return max(sum(sum(a["seconds"]) for a in task.values()) for task in tasks.values()) / 60


@dataclass(frozen=True)
class Stated:
    """Numbers that ``path`` states in the text ``pattern`` matches (one group each), and their source."""

    path: str
    pattern: str  # a space matches any run of white space (the pages wrap their lines)
    source: str
    expected: Callable[[], Sequence[float]]
    how: tuple[str, ...]  # per group: "printed", "rounded" or "about"

    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern.replace(" ", r"\s+"))

    def __str__(self) -> str:
        return f"{self.path}: {self.pattern!r} ({self.source})"


STATED: tuple[Stated, ...] = (
    Stated(
        README,
        r"sentiment: bag-of-bigrams (\d+\.\d) %, LSTM (\d+\.\d) %, BiLSTM (\d+\.\d) % "
        r"\(means of the (\d+) seeds that took no part in choosing the recipe, `results/sentiment\.json`\)",
        "results/sentiment.json: mean test_acc per model over the seeds not used for tuning, their number",
        lambda: [*_sentiment_means(), len(_sentiment_fresh_seeds())],
        ("printed",) * 4,
    ),
    Stated(
        README,
        r"the committed translator \(test BLEU-4 (\d\.\d+), `results/translation/attention\.json`\)",
        "results/translation/attention.json: test_bleu",
        lambda: [_json("translation/attention.json")["test_bleu"]],
        ("printed",),
    ),
    Stated(
        README,
        r"gate ablations on the adding problem and the char LM, (\d+) seeds",
        "results/ablations.json: seeds",
        lambda: [len(_json("ablations.json")["seeds"])],
        ("printed",),
    ),
    Stated(
        README,
        r"`results/sentiment\.json`: bag-of-bigrams, LSTM, BiLSTM, (\d+) seeds \| 6 \| about (\d+) min",
        "results/sentiment.json: seeds, total_seconds",
        lambda: [len(_json("sentiment.json")["seeds"]), _json("sentiment.json")["total_seconds"] / 60],
        ("printed", "about"),
    ),
    Stated(
        README,
        r"\(float16 weights, (\d+) MB\)",
        "results/translation/attention.json: bytes",
        lambda: [_json("translation/attention.json")["bytes"] / 1e6],
        ("rounded",),
    ),
    Stated(
        README,
        r"about (\d+) min of training on one thread to the kept epoch",
        "results/translation/attention.json: train_seconds (to the kept epoch)",
        lambda: [_json("translation/attention.json")["train_seconds"] / 60],
        ("about",),
    ),
    Stated(
        README,
        r"about (\d+) min in all \(`attention_train\.log`: `done in`\)",
        "results/translation/attention_train.log: the whole run's minutes",
        lambda: [_log_minutes("translation/attention_train.log")],
        ("about",),
    ),
    Stated(
        README,
        r"(\d+) models x (\d+) tasks x (\d+) seeds \| 8 \| about (\d+) min",
        "results/ablations.json: ablations, tasks, seeds, the seconds of the longer task's runs",
        lambda: [
            len(_json("ablations.json")["ablations"]),
            len(_json("ablations.json")["results"]),
            len(_json("ablations.json")["seeds"]),
            _ablation_minutes(),
        ],
        ("printed", "printed", "printed", "about"),
    ),
    Stated(
        README,
        r"(\w+) shapes, peak memory, the matmul roofline and each one's % of it \| 10 \| about (\d+) min",
        "results/lstm_speed_cpu.json: shapes, seconds",
        lambda: [len(_json("lstm_speed_cpu.json")["shapes"]), _json("lstm_speed_cpu.json")["seconds"] / 60],
        ("printed", "about"),
    ),
    Stated(
        README,
        r"`results/word_lm\.json`/`\.md`: (\d+) configurations x (\d+) seeds of chapter 11's word LSTM.*?\| 11 \| "
        r"about (\d+) min",
        "results/word_lm.json: configurations, seeds, wall_seconds",
        lambda: [
            len(_json("word_lm.json")["results"]),
            len(_json("word_lm.json")["seeds"]),
            _json("word_lm.json")["wall_seconds"] / 60,
        ],
        ("printed", "printed", "about"),
    ),
    Stated(
        README,
        r"`results/xlstm_tasks\.json`/`\.md`: parity \((\d+) models\) and MQAR \((\d+) models x (\d+) sizes\), "
        r"(\d+) seeds each \| 14 \| about (\d+) min",
        "results/xlstm_tasks.json: parity cores, MQAR cores and sizes, seeds, seconds",
        lambda: [
            len(_json("xlstm_tasks.json")["settings"]["parity_cores"]),
            len(_json("xlstm_tasks.json")["settings"]["mqar_cores"]),
            len(_json("xlstm_tasks.json")["settings"]["mqar_pairs"]),
            len(_json("xlstm_tasks.json")["settings"]["seeds"]),
            _json("xlstm_tasks.json")["seconds"] / 60,
        ],
        ("printed", "printed", "printed", "printed", "about"),
    ),
    Stated(
        README,
        r"`results/xlstm_lm\.json`/`\.md`: (\d+) character language models .*? (\d+) seeds \| 14 \| about (\d+) min",
        "results/xlstm_lm.json: cores, seeds, seconds",
        lambda: [
            len(_json("xlstm_lm.json")["settings"]["cores"]),
            len(_json("xlstm_lm.json")["settings"]["seeds"]),
            _json("xlstm_lm.json")["seconds"] / 60,
        ],
        ("printed", "printed", "about"),
    ),
    Stated(
        README,
        r"`results/forecasting\.json`/`\.md`: (\d+) LSTM forecasters on Taylor's demand and (\d+) normalisations "
        r"of the LSTM on the airline passengers x (\d+) seeds.*?\| 13 \| about (\d+) min",
        "results/forecasting.json: kinds, transforms, seeds, total_seconds",
        lambda: [
            len({r["kind"] for r in _json("forecasting.json")["runs"] if r["data"] == "taylor"}),
            len({r["transform"] for r in _json("forecasting.json")["runs"] if r["data"] == "airpassengers"}),
            len(_json("forecasting.json")["seeds"]),
            _json("forecasting.json")["total_seconds"] / 60,
        ],
        ("printed", "printed", "printed", "about"),
    ),
    Stated(
        RUNNING,
        r"(\w+) seeds of (\w+) sentiment models",
        "results/sentiment.json: seeds, models",
        lambda: [
            len(_json("sentiment.json")["seeds"]),
            len({r["model"] for r in _json("sentiment.json")["runs"]}),
        ],
        ("printed", "printed"),
    ),
    Stated(
        RUNNING,
        r"(\d+) ablation runs",
        "results/ablations.json: scores of every ablation and task",
        lambda: [_ablation_runs()],
        ("printed",),
    ),
    Stated(
        RUNNING,
        r"a benchmark at (\w+) sizes",
        "results/lstm_speed_cpu.json: shapes",
        lambda: [len(_json("lstm_speed_cpu.json")["shapes"])],
        ("printed",),
    ),
)

# Result- or timing-like numbers that may stand unchecked, per page: {phrase: why}.
UNCHECKED: dict[str, dict[str, str]] = {
    README: {
        "well under 15 minutes on 2 CPU cores": "CI's time budget for the notebook suite: a requirement, not a result",
    },
}

_CODE = (
    re.compile(r"^(`{3,}|~{3,}).*?^\1\s*$", re.S | re.M),  # fenced code
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)\s]*\)"),  # link targets
)
_RESULT_LIKE = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?[-–]\s?\d+(?:[.,]\d+)*)?"
    r"\s?(?:%|s\b|seconds?\b|min\b|minutes?\b|h\b|hours?\b|[KMG]i?B\b)"
    r"|(?<![\w.])0\.\d+(?!\.?\d)"  # a score below 1 (not a version such as 0.14.2)
    r"|\b(?:a|an|half an)\s+(?:minute|hour)\b"
)


def _value(text: str) -> float:
    return float(WORDS.get(text.lower(), text.replace(",", "")))


def agrees(stated: str, true: float, how: str) -> bool:
    if how == "printed":
        if stated.lower() in WORDS or "." not in stated:
            return _value(stated) == true
        decimals = len(stated.split(".")[1])
        return f"{true:.{decimals}f}" == stated
    if how == "rounded":
        return abs(_value(stated) - true) <= 0.5
    if how == "about":
        return abs(_value(stated) - true) <= max(1.0, 0.25 * true)
    raise ValueError(f"unknown comparison {how!r}")


def _text(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("stated", STATED, ids=lambda s: f"{Path(s.path).name}:{s.pattern[:40]}")
def test_stated_number_matches_its_source(stated: Stated) -> None:
    matches = list(stated.regex().finditer(_text(stated.path)))
    assert len(matches) == 1, (
        f"{stated}: the text should state this exactly once, found {len(matches)} times; "
        "if the sentence changed, update STATED in tests/repo/test_stated_numbers.py"
    )
    numbers = matches[0].groups()
    expected = list(stated.expected())
    assert len(numbers) == len(expected) == len(stated.how), stated
    wrong = [
        f"states {n}, {stated.source} gives {e:.4g} ({how})"
        for n, e, how in zip(numbers, expected, stated.how, strict=True)
        if not agrees(n, e, how)
    ]
    assert not wrong, f"{stated.path} is stale: " + "; ".join(wrong)


def _covered_spans(path: str, text: str) -> list[tuple[int, int]]:
    spans = [m.span() for s in STATED if s.path == path for m in s.regex().finditer(text)]
    for phrase in UNCHECKED.get(path, {}):
        spans += [m.span() for m in re.finditer(re.escape(phrase).replace(r"\ ", r"\s+"), text)]
    return spans


@pytest.mark.parametrize("path", PAGES)
def test_no_unchecked_result_or_timing(path: str) -> None:
    text = _text(path)
    spans = _covered_spans(path, text)  # on the page as written (STATED may name code)
    for pattern in _CODE:  # keep offsets: blank out code instead of removing it
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    loose = [
        " ".join(text[max(0, m.start() - 40) : m.end() + 20].split())
        for m in _RESULT_LIKE.finditer(text)
        if not any(a <= m.start() and m.end() <= b for a, b in spans)
    ]
    assert not loose, (
        f"{path} states results or timings that nothing checks (read them from results/ in STATED, "
        "or reword; per-notebook times are not committed, so state none):\n" + "\n".join(loose)
    )


def test_unchecked_phrases_still_occur() -> None:
    for path, phrases in UNCHECKED.items():
        text = " ".join(_text(path).split())
        stale = [p for p in phrases if p not in text]
        assert not stale, f"{path}: UNCHECKED phrases no longer in the text (remove them): {stale}"


def test_the_checks_catch_a_stale_number() -> None:
    assert agrees("76.8", 76.77298, "printed") and not agrees("76.9", 76.77298, "printed")
    assert agrees("0.331", 0.33126, "printed") and not agrees("0.334", 0.33126, "printed")
    assert agrees("two", 2, "printed") and not agrees("5", 3, "printed")
    assert agrees("7", 7.2, "rounded") and not agrees("7", 7.6, "rounded")
    assert agrees("12", 12.4, "about") and not agrees("25", 12.4, "about")
    found = [m.group(0) for m in _RESULT_LIKE.finditer("took 553 s, 14 minutes, 20–30 s; BLEU 0.334; numpy 0.14.2")]
    assert found == ["553 s", "14 minutes", "20–30 s", "0.334"]
