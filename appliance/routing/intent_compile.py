"""Intent pre-routing's rule checks: rules as written (`IntentRule`) are validated and
compiled into matchers, pre-chat choices are collected, and the classifier's examples are
checked against the rules. Every refusal is an `IntentRuleError` naming the rule at fault.

Pure, like the rest of appliance.routing (see intent.py for the whole).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from appliance.routing.intent_bayes import NO_INTENT
from appliance.routing.intent_text import MAX_PATTERN_CHARS
from appliance.routing.intent_text import WORD_SPLIT
from appliance.routing.intent_text import backtracking_risk
from appliance.routing.intent_text import normalise_text
from appliance.routing.intent_text import term_regex

__all__ = [
    "FIELDS",
    "MAX_EXAMPLES",
    "MAX_TERMS_PER_RULE",
    "MAX_TERM_CHARS",
    "CompiledRule",
    "IntentRule",
    "IntentRuleError",
    "compile_rule",
    "parse_rule",
    "prechat_choices",
    "training_documents",
]

MAX_TERMS_PER_RULE = 500
MAX_TERM_CHARS = 100
MAX_EXAMPLES = 20_000
FIELDS = ("keywords", "patterns", "exclude", "weight", "prechat")

_QUEUE_NAME = re.compile(r"[a-z0-9._-]{1,64}\Z")


class IntentRuleError(ValueError):
    """A rule set is not valid; `rule` names the queue whose rule is wrong."""

    def __init__(self, rule: str, problem: str) -> None:
        super().__init__(f"intent rule {rule!r}: {problem}")
        self.rule = rule


@dataclass(frozen=True)
class IntentRule:
    """One queue's rule as written: terms are kept verbatim, normalised when compiled."""

    queue: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    weight: float = 1.0
    prechat: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Term:
    label: str
    literal: str  # occurs in every text the term matches: a cheap test before the regex
    regex: re.Pattern[str] | None

    def found_in(self, text: str) -> bool:
        if self.literal not in text:
            return False
        return self.regex is None or self.regex.search(text) is not None


@dataclass(frozen=True)
class CompiledRule:
    rule: IntentRule
    substrings: tuple[str, ...]
    regexes: tuple[tuple[str, str, re.Pattern[str]], ...]  # label, literal, regex
    excludes: tuple[_Term, ...]

    def found_in(self, text: str) -> tuple[str, ...]:
        """Distinct terms found: substring keywords, then the rest in the rule's order."""
        if any(term.found_in(text) for term in self.excludes):
            return ()
        hits = [word for word in self.substrings if word in text]
        hits += [
            label
            for label, literal, regex in self.regexes
            if literal in text and regex.search(text)
        ]
        return tuple(hits)


def _keyword_term(queue: str, raw: str) -> _Term:
    keyword = normalise_text(raw)
    if not keyword or len(keyword) > MAX_TERM_CHARS:
        raise IntentRuleError(queue, f"keyword {raw!r} must be 1-{MAX_TERM_CHARS} characters")
    source = term_regex(keyword)
    if source is None:
        return _Term(keyword, keyword, None)
    first = WORD_SPLIT.split(keyword)[0] or keyword
    inflects = len(first) >= 3 and first.isalpha() and first.isascii() and first[-1] in "ey"
    return _Term(keyword, first[:-1] if inflects else first, re.compile(source))


def _pattern_term(queue: str, source: str) -> _Term:
    if not source or len(source) > MAX_PATTERN_CHARS:
        raise IntentRuleError(queue, f"pattern {source!r} must be 1-{MAX_PATTERN_CHARS} characters")
    problem = backtracking_risk(source)
    if problem:
        raise IntentRuleError(queue, f"pattern {source!r} refused: {problem}")
    try:
        regex = re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise IntentRuleError(queue, f"pattern {source!r} is not a valid regex: {error}") from None
    if regex.search("") is not None:
        raise IntentRuleError(queue, f"pattern {source!r} matches empty text, so every message")
    return _Term(source, "", regex)


def compile_rule(rule: IntentRule) -> CompiledRule:
    if not isinstance(rule.queue, str) or not _QUEUE_NAME.match(rule.queue):
        raise IntentRuleError(
            str(rule.queue), "queue name must be 1-64 of a-z, 0-9, '.', '_' or '-'"
        )
    if isinstance(rule.weight, bool) or not isinstance(rule.weight, int | float):
        raise IntentRuleError(rule.queue, "weight must be a number")
    if not 0 < rule.weight <= 100:
        raise IntentRuleError(rule.queue, f"weight must be above 0 and at most 100: {rule.weight}")
    if not rule.keywords and not rule.patterns:
        raise IntentRuleError(rule.queue, "give at least one keyword or pattern")
    if len(rule.keywords) + len(rule.patterns) + len(rule.exclude) > MAX_TERMS_PER_RULE:
        raise IntentRuleError(rule.queue, f"more than {MAX_TERMS_PER_RULE} terms")
    terms = [_keyword_term(rule.queue, word) for word in rule.keywords]
    terms += [_pattern_term(rule.queue, source) for source in rule.patterns]
    unique: dict[str, _Term] = {}
    for term in terms:
        unique.setdefault(term.label, term)
    substrings = tuple(label for label, term in unique.items() if term.regex is None)
    regexes = tuple(
        (label, term.literal, term.regex) for label, term in unique.items() if term.regex
    )
    excludes = tuple(_keyword_term(rule.queue, word) for word in rule.exclude)
    return CompiledRule(rule, substrings, regexes, excludes)


def prechat_choices(rules: tuple[IntentRule, ...]) -> dict[str, str]:
    if not rules:
        raise IntentRuleError("*", "give at least one rule")
    choices: dict[str, str] = {}
    for rule in rules:
        for choice in (rule.queue, *rule.prechat):
            key = normalise_text(choice) if isinstance(choice, str) else ""
            if not key:
                raise IntentRuleError(rule.queue, f"pre-chat choice {choice!r} is empty")
            owner = choices.setdefault(key, rule.queue)
            if owner != rule.queue:
                raise IntentRuleError(
                    rule.queue, f"pre-chat choice {choice!r} already routes to {owner!r}"
                )
    return choices


def parse_rule(queue: object, body: object) -> IntentRule:
    name = queue if isinstance(queue, str) else repr(queue)
    if not isinstance(body, Mapping):
        raise IntentRuleError(name, f"expected a mapping with fields {', '.join(FIELDS)}")
    unknown = sorted(str(key) for key in body if key not in FIELDS)
    if unknown:
        raise IntentRuleError(name, f"unknown field {unknown[0]!r}; expected {', '.join(FIELDS)}")
    weight = body.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise IntentRuleError(name, "weight must be a number")
    return IntentRule(
        queue=name,
        keywords=_strings(name, "keywords", body.get("keywords", ())),
        patterns=_strings(name, "patterns", body.get("patterns", ())),
        exclude=_strings(name, "exclude", body.get("exclude", ())),
        weight=float(weight),
        prechat=_strings(name, "prechat", body.get("prechat", ())),
    )


def _strings(rule: str, field: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise IntentRuleError(rule, f"{field} must be a list of strings")
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise IntentRuleError(rule, f"{field} must hold non-empty strings, not {item!r}")
    return tuple(raw)


def training_documents(
    queues: tuple[str, ...], examples: Iterable[tuple[str, str | None]]
) -> list[tuple[str, str]]:
    """Examples checked against the rules, as (normalised text, label) for the classifier."""
    documents: list[tuple[str, str]] = []
    for number, (text, queue) in enumerate(examples):
        label = NO_INTENT if queue is None else queue
        if number >= MAX_EXAMPLES:
            raise IntentRuleError("*", f"more than {MAX_EXAMPLES} examples")
        if label != NO_INTENT and label not in queues:
            raise IntentRuleError(str(queue), f"example {text!r} names no rule's queue")
        normalised = normalise_text(text) if isinstance(text, str) else ""
        if not normalised:
            raise IntentRuleError(label or "*", f"example {text!r} must be non-empty text")
        documents.append((normalised, label))
    if documents and len({label for _, label in documents}) < 2:
        raise IntentRuleError("*", "examples must cover at least two labels to classify")
    return documents
