"""Scoring intent rules on the labelled set tests/data/intents.jsonl.

Shared by tests/appliance/routing/test_intent.py (which asserts floors) and
tests/bench/bench_intent.py (which prints the tables). Rows are
{"text", "queue" (null: the default queue), "lang", "split": "dev" | "holdout"}.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from appliance.routing.intent import IntentRules
from appliance.routing.intent import classify

LABELLED = Path(__file__).resolve().parents[1] / "data" / "intents.jsonl"
SPLITS = ("dev", "holdout")


@dataclass(frozen=True)
class Labelled:
    text: str
    queue: str | None
    lang: str
    split: str


@dataclass(frozen=True)
class Score:
    queue: str | None
    support: int
    true_positives: int
    predicted: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0


@dataclass(frozen=True)
class Report:
    """One rule set scored on one set of rows: per queue (None: the default queue)."""

    title: str
    table: tuple[Score, ...]
    accuracy: float

    def recall(self, queue: str | None) -> float:
        return next(score.recall for score in self.table if score.queue == queue)

    def precision(self, queue: str | None) -> float:
        return next(score.precision for score in self.table if score.queue == queue)

    def __str__(self) -> str:
        lines = [self.title, f"  {'queue':<12} {'n':>4} {'precision':>10} {'recall':>8}"]
        for score in self.table:
            name = score.queue or "(default)"
            lines.append(
                f"  {name:<12} {score.support:>4} {score.precision:>10.2f} {score.recall:>8.2f}"
            )
        lines.append(f"  {'accuracy':<12} {self.accuracy:>24.2f}")
        return "\n".join(lines)


def load_labelled(path: Path = LABELLED) -> list[Labelled]:
    with path.open(encoding="utf-8") as lines:
        return [Labelled(**json.loads(line)) for line in lines if line.strip()]


def split(rows: Iterable[Labelled], name: str) -> list[Labelled]:
    return [row for row in rows if row.split == name]


def examples(rows: Iterable[Labelled]) -> list[tuple[str, str | None]]:
    return [(row.text, row.queue) for row in rows]


def queue_of(text: str, rules: IntentRules) -> str | None:
    found = classify(text, rules)
    return found.queue if found else None


def score(title: str, rules: IntentRules, rows: Sequence[Labelled]) -> Report:
    """Classify every row once; per-queue support, hits and predictions, and accuracy."""
    outcomes = [(row.queue, queue_of(row.text, rules)) for row in rows]
    support = Counter(expected for expected, _ in outcomes)
    predicted = Counter(got for _, got in outcomes)
    hits = Counter(expected for expected, got in outcomes if expected == got)
    table = tuple(
        Score(queue, support[queue], hits[queue], predicted[queue])
        for queue in (*rules.queues, None)
    )
    return Report(title, table, sum(hits.values()) / len(outcomes))
