"""The intent rules conversations are routed with: DEFAULT_RULES, with the classifier on.

The classifier's training examples ship inside the package as
appliance/data/intent_examples.jsonl, one JSON object per line:
{"text": ..., "queue": <a rule's queue, or null for no intent>, "lang": ...}. They are
the "dev" and "dev2" splits of tests/data/intents.jsonl (never "holdout2"), and a test
keeps them equal.

They are read and trained on once per process, at first use. A missing or malformed
file is a broken installation: it raises IntentExamplesError every time it is asked
for, rather than routing quietly on the rules alone.
"""

from __future__ import annotations

import functools
import importlib.resources
import json

from appliance.routing.intent import DEFAULT_RULES
from appliance.routing.intent import IntentRuleError
from appliance.routing.intent import IntentRules
from appliance.routing.intent_blend import SHIPPED_BLEND

EXAMPLES_PACKAGE = "appliance.data"
EXAMPLES_FILE = "intent_examples.jsonl"
EXAMPLES_SOURCE = f"{EXAMPLES_PACKAGE.replace('.', '/')}/{EXAMPLES_FILE}"
_FIELDS = frozenset({"text", "queue", "lang"})

Example = tuple[str, str | None]


class IntentExamplesError(RuntimeError):
    """The shipped intent examples cannot be read, parsed, or trained on."""


@functools.cache
def intent_rules() -> IntentRules:
    """The shipped rules plus the classifier trained on the shipped examples, combined as
    SHIPPED_BLEND (chosen by cross-validation on those examples)."""
    examples = parse_examples(_read_examples(), EXAMPLES_SOURCE)
    try:
        return IntentRules.from_mapping(DEFAULT_RULES, examples=examples, blend=SHIPPED_BLEND)
    except IntentRuleError as error:
        raise IntentExamplesError(f"{EXAMPLES_SOURCE} does not fit the rules: {error}") from error


def parse_examples(text: str, source: str) -> tuple[Example, ...]:
    """(text, queue or None) pairs from JSON lines; blank lines are skipped."""
    examples: list[Example] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise IntentExamplesError(f"{source} line {number}: not JSON: {error}") from None
        if not isinstance(row, dict) or not {"text", "queue"} <= row.keys() <= _FIELDS:
            raise IntentExamplesError(
                f"{source} line {number}: expected an object with text, queue and "
                f"optionally lang, not {line.strip()[:80]!r}"
            )
        if not isinstance(row["text"], str) or not isinstance(row["queue"], str | None):
            raise IntentExamplesError(
                f"{source} line {number}: text must be a string and queue a string or null"
            )
        examples.append((row["text"], row["queue"]))
    if not examples:
        raise IntentExamplesError(f"{source} holds no examples")
    return tuple(examples)


def _read_examples() -> str:
    try:
        resource = importlib.resources.files(EXAMPLES_PACKAGE).joinpath(EXAMPLES_FILE)
        return resource.read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError, UnicodeDecodeError) as error:
        raise IntentExamplesError(
            f"cannot read {EXAMPLES_SOURCE} (package data of enclave-desk; is the "
            f"installation complete?): {error}"
        ) from error
