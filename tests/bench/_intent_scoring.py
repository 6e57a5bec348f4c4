"""Scoring intent rules on the labelled set tests/data/intents.jsonl.

Shared by tests/appliance/routing/test_intent.py (which asserts floors) and
tests/bench/bench_intent.py (which prints the tables). Rows are
{"text", "queue" (null: the default queue), "lang", "split"}. The splits:

  dev       what the rules were first tuned on;
  dev2      the first holdout, scored once and so spent as a measure: now tuning data too;
  holdout2  written before the current rules, features and blend were tuned, never tuned
            or trained on: the honest figure.

The shipped classifier is trained on TRAINING_SPLITS (appliance/data/intent_examples.jsonl).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from appliance.routing.intent import DEFAULT_RULES
from appliance.routing.intent import Blend
from appliance.routing.intent import IntentRules
from appliance.routing.intent import classify

LABELLED = Path(__file__).resolve().parents[1] / "data" / "intents.jsonl"
SPLITS = ("dev", "dev2", "holdout2")
TRAINING_SPLITS = ("dev", "dev2")
HOLDOUT = "holdout2"
FOLDS = 5
SEED = 20240611


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


def split(rows: Iterable[Labelled], *names: str) -> list[Labelled]:
    """The rows of the named splits, in file order."""
    return [row for row in rows if row.split in names]


def training(rows: Iterable[Labelled]) -> list[Labelled]:
    """The rows the shipped classifier is trained on (and the rules were tuned on)."""
    return split(rows, *TRAINING_SPLITS)


def examples(rows: Iterable[Labelled]) -> list[tuple[str, str | None]]:
    return [(row.text, row.queue) for row in rows]


def queue_of(text: str, rules: IntentRules) -> str | None:
    found = classify(text, rules)
    return found.queue if found else None


def score(title: str, rules: IntentRules, rows: Sequence[Labelled]) -> Report:
    """Classify every row once; per-queue support, hits and predictions, and accuracy."""
    return _report(title, rules.queues, [(row.queue, queue_of(row.text, rules)) for row in rows])


def _report(
    title: str, queues: Sequence[str], outcomes: Sequence[tuple[str | None, str | None]]
) -> Report:
    support = Counter(expected for expected, _ in outcomes)
    predicted = Counter(got for _, got in outcomes)
    hits = Counter(expected for expected, got in outcomes if expected == got)
    table = tuple(
        Score(queue, support[queue], hits[queue], predicted[queue]) for queue in (*queues, None)
    )
    return Report(title, table, sum(hits.values()) / len(outcomes))


def folds(rows: Sequence[Labelled], k: int = FOLDS, seed: int = SEED) -> list[list[Labelled]]:
    """`k` folds stratified by (queue, language): each stratum is shuffled with a fixed
    seed and dealt round-robin, continuing where the previous stratum stopped."""
    dealt: list[list[Labelled]] = [[] for _ in range(k)]
    strata: dict[tuple[str, str], list[Labelled]] = {}
    for row in rows:
        strata.setdefault((row.queue or "", row.lang), []).append(row)
    position = 0
    for key in sorted(strata):
        members = list(strata[key])
        random.Random(f"{seed}:{key}").shuffle(members)
        for row in members:
            dealt[position % k].append(row)
            position += 1
    return dealt


def cross_validate(
    title: str,
    blend: Blend,
    rows: Sequence[Labelled],
    raw_rules: Mapping[str, object] = DEFAULT_RULES,
    k: int = FOLDS,
    seed: int = SEED,
) -> Report:
    """k-fold CV of DEFAULT_RULES + a classifier trained on k-1 folds, `blend` combining
    them, scored on the fold left out and pooled over the k folds. Only the classifier is
    held out: the rules were tuned on all of dev, so their part of the figure is optimistic."""
    dealt = folds(rows, k, seed)
    outcomes: list[tuple[str | None, str | None]] = []
    rules: IntentRules | None = None
    for index, held_out in enumerate(dealt):
        training = [row for other, fold in enumerate(dealt) if other != index for row in fold]
        rules = IntentRules.from_mapping(raw_rules, examples(training), blend)
        outcomes += [(row.queue, queue_of(row.text, rules)) for row in held_out]
    assert rules is not None
    return _report(title, rules.queues, outcomes)
