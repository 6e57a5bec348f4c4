"""Intent pre-routing: precision/recall on the labelled set, and speed (a script, not a test).

    .venv/bin/python tests/bench/bench_intent.py

Prints per-queue precision and recall of the shipped rules (appliance/routing/intent.py)
on tests/data/intents.jsonl, split by split: "dev" is what the rules were tuned on,
"holdout" was written after they were frozen and is the honest figure. Then the same
with the optional naive Bayes fallback trained on the dev split only (its dev column is
its own training data). Then classifications per second against two baselines measured
in the same run, both checked to give identical answers:

  naive         the same terms, one `re.search(source, text)` call at a time, nothing
                compiled up front (the re module's cache holds 512 patterns; the shipped
                rules have more terms than that, so it recompiles as a naive loop would)
  precompiled   each term compiled once, but no literal pre-check before the regex

The exit status is always 0: timing on shared machines is too noisy to gate on, and the
accuracy bars are asserted by tests/appliance/routing/test_intent.py.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance.routing.intent import DEFAULT_RULES
from appliance.routing.intent import IntentRules
from appliance.routing.intent import classify
from appliance.routing.intent import normalise_text
from appliance.routing.intent import term_regex
from tests.appliance.routing.test_intent import Labelled
from tests.appliance.routing.test_intent import Score
from tests.appliance.routing.test_intent import accuracy
from tests.appliance.routing.test_intent import examples
from tests.appliance.routing.test_intent import load_labelled
from tests.appliance.routing.test_intent import scores
from tests.appliance.routing.test_intent import split

ROUNDS = 5
Term = tuple[str, str, int]  # label, regex source, flags
Rule = tuple[str, float, list[Term], list[Term]]  # queue, weight, terms, excludes
Decision = tuple[str, tuple[str, ...], float] | None


def baseline_rules(data: Mapping[str, Mapping[str, object]]) -> list[Rule]:
    """The shipped rules as regex sources, compiled by nobody."""

    def keyword(raw: object) -> Term:
        word = normalise_text(str(raw))
        return word, term_regex(word) or re.escape(word), 0

    def listed(body: Mapping[str, object], field: str) -> list[object]:
        value = body.get(field, [])
        return list(value) if isinstance(value, list | tuple) else []

    rules = []
    for queue, body in data.items():
        terms = [keyword(word) for word in listed(body, "keywords")]
        terms += [(str(source), str(source), re.IGNORECASE) for source in listed(body, "patterns")]
        excludes = [keyword(word) for word in listed(body, "exclude")]
        weight = body.get("weight", 1.0)
        rules.append(
            (queue, float(weight) if isinstance(weight, int | float) else 1.0, terms, excludes)
        )
    return rules


def naive(rules: list[Rule]) -> Callable[[str], Decision]:
    def decide(text: str) -> Decision:
        normalised = normalise_text(text)
        best: Decision = None
        for queue, weight, terms, excludes in rules:
            if any(re.search(source, normalised, flags) for _, source, flags in excludes):
                continue
            matched = tuple(
                dict.fromkeys(
                    label for label, source, flags in terms if re.search(source, normalised, flags)
                )
            )
            if matched and (best is None or len(matched) * weight > best[2]):
                best = (queue, matched, len(matched) * weight)
        return best

    return decide


def precompiled(rules: list[Rule]) -> Callable[[str], Decision]:
    compiled = [
        (queue, weight, [(label, re.compile(source, flags)) for label, source, flags in terms])
        for queue, weight, terms, _ in rules
    ]

    def decide(text: str) -> Decision:
        normalised = normalise_text(text)
        best: Decision = None
        for queue, weight, terms in compiled:
            matched = tuple(
                dict.fromkeys(label for label, regex in terms if regex.search(normalised))
            )
            if matched and (best is None or len(matched) * weight > best[2]):
                best = (queue, matched, len(matched) * weight)
        return best

    return decide


def ours(rules: IntentRules) -> Callable[[str], Decision]:
    def decide(text: str) -> Decision:
        found = classify(text, rules)
        return (found.queue, found.matched, found.score) if found else None

    return decide


def _canonical(decision: Decision) -> object:
    return decision and (decision[0], sorted(decision[1]), decision[2])


def seconds_per_text(decide: Callable[[str], object], texts: list[str]) -> float:
    """Median seconds per classification over ROUNDS passes through `texts`."""
    timings = []
    for text in texts:  # warm up
        decide(text)
    for _ in range(ROUNDS):
        begin = time.perf_counter()
        for text in texts:
            decide(text)
        timings.append((time.perf_counter() - begin) / len(texts))
    return statistics.median(timings)


def print_tables(title: str, rules: IntentRules, rows: list[Labelled], note: str = "") -> None:
    columns = {name: scores(rules, split(rows, name)) for name in ("dev", "holdout")}
    columns["all"] = scores(rules, rows)
    print(f"{title}{note}")
    header = "".join(f"{name + ' n/P/R':>20}" for name in columns)
    print(f"  {'queue':<12}{header}")
    for index, first in enumerate(columns["dev"]):
        cells = ""
        for table in columns.values():
            score: Score = table[index]
            cells += f"{score.support:>8} {score.precision:>5.2f} {score.recall:>5.2f}"
        print(f"  {first.queue or '(default)':<12}{cells}")
    accuracies = "".join(
        f"{accuracy(rules, split(rows, name) if name != 'all' else rows):>20.2f}"
        for name in columns
    )
    print(f"  {'accuracy':<12}{accuracies}\n")


def main() -> int:
    rows = load_labelled()
    texts = [row.text for row in rows]
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"{len(rows)} labelled questions: {len(split(rows, 'dev'))} dev, "
        f"{len(split(rows, 'holdout'))} holdout; median of {ROUNDS} passes\n"
    )

    begin = time.perf_counter()
    shipped = IntentRules.from_mapping(DEFAULT_RULES)
    compile_ms = (time.perf_counter() - begin) * 1e3
    begin = time.perf_counter()
    trained = IntentRules.from_mapping(DEFAULT_RULES, examples(split(rows, "dev")))
    train_ms = (time.perf_counter() - begin) * 1e3 - compile_ms

    print_tables("Shipped rules (keywords + patterns)", shipped, rows)
    print_tables(
        "Rules, then naive Bayes trained on the dev split when no rule matches",
        trained,
        rows,
        " (dev = its training data)",
    )

    plain = baseline_rules(DEFAULT_RULES)
    term_count = sum(len(terms) for _, _, terms, _ in plain)
    deciders = {"ours": ours(shipped), "naive": naive(plain), "precompiled": precompiled(plain)}
    answers = {name: [decide(text) for text in texts] for name, decide in deciders.items()}
    same = all(
        [_canonical(a) for a in answer] == [_canonical(a) for a in answers["ours"]]
        for answer in answers.values()
    )
    print(f"Speed over the {len(texts)} questions ({term_count} terms; identical answers: {same})")
    timing = {name: seconds_per_text(decide, texts) for name, decide in deciders.items()}
    timing["ours + classifier"] = seconds_per_text(ours(trained), texts)
    for name, per_text in timing.items():
        print(f"  {name:<20} {1 / per_text:>12,.0f} classifications/s {per_text * 1e6:>9.1f} µs")
    print(f"  ratio ours ÷ naive        {timing['naive'] / timing['ours']:>8.1f}×")
    print(f"  ratio ours ÷ precompiled  {timing['precompiled'] / timing['ours']:>8.1f}×")
    print(f"  compiling the rules {compile_ms:.1f} ms; training the classifier {train_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
