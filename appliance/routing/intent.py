"""Intent pre-routing: which queue a visitor's first message (or pre-chat choice) belongs in.

This code cannot do I/O and reads no clock: rules, examples and text come in, a match
goes out. Three steps, first answer wins:

1. A pre-chat choice the rules know (a menu item, or a queue's own name) routes outright.
2. Rules: each scores its weight times the number of its distinct terms found in the
   normalised text; the highest score wins and a tie goes to the rule listed first.
3. Only when no term is found, and only if examples were given: a naive Bayes
   classifier trained on them (examples labelled None teach it what is no intent;
   intent_bayes.py). The shipped examples are package data that a service reads and
   passes in (appliance/services/intent_routing.py); this module never reads a file.

None means no step knew, and the caller routes to its default queue.

Rules are data, so administrators keep them in TOML or JSON (order is precedence):

    {"fraud": {"keywords": ["盗刷", "scam", "unauthorized transaction"],
               "patterns": ["(?:didn't|did not) (?:make|authori[sz]e)"],
               "exclude": ["how to avoid"], "weight": 3.0,
               "prechat": ["report_fraud"]},
     "cards": {"keywords": ["挂失", "lost card"]}}

Matching: a keyword with a Chinese character matches as a substring (Chinese has no
spaces); any other keyword matches whole words, each word of three or more letters
also in its simple inflections (loan, loans; scam, scammed; apply, applied), words
joined by a space, a hyphen or nothing ("log in" finds "login"). A rule whose
`exclude` term is found does not score. Patterns are Python regular expressions over
the normalised text, case-insensitive. Patterns that could backtrack for long are
refused (see backtracking_risk), and at most MAX_TEXT_CHARS of a message are read.
The shipped rules are DEFAULT_RULES (data in intent_rules.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from appliance.routing.intent_bayes import NO_INTENT
from appliance.routing.intent_bayes import NaiveBayes
from appliance.routing.intent_bayes import classifier_features
from appliance.routing.intent_blend import Blend
from appliance.routing.intent_blend import IntentMatch
from appliance.routing.intent_rules import DEFAULT_RULES

__all__ = [
    "DEFAULT_RULES",
    "FIELDS",
    "MAX_EXAMPLES",
    "MAX_PATTERN_CHARS",
    "MAX_TERMS_PER_RULE",
    "MAX_TERM_CHARS",
    "MAX_TEXT_CHARS",
    "MIN_CLASSIFIER_CHARS",
    "Blend",
    "IntentMatch",
    "IntentRule",
    "IntentRuleError",
    "IntentRules",
    "backtracking_risk",
    "classifier_features",
    "classify",
    "normalise_text",
    "term_regex",
]

MAX_TEXT_CHARS = 2000
MAX_PATTERN_CHARS = 200
MAX_TERMS_PER_RULE = 500
MAX_TERM_CHARS = 100
MAX_EXAMPLES = 20_000
MIN_CLASSIFIER_CHARS = 6  # "hi!", "人工服务", "在吗": too little text to guess from
FIELDS = ("keywords", "patterns", "exclude", "weight", "prechat")

_QUEUE_NAME = re.compile(r"[a-z0-9._-]{1,64}\Z")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_HAS_CJK = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_CJK_GAP = re.compile(f" (?=[{_CJK}])|(?<=[{_CJK}]) ")
_WORD_SPLIT = re.compile(r"[ -]+")
_VOWELS = frozenset("aeiou")
_REPEAT = re.compile(r"\{\d*,(\d*)\}")
_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")


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


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width), casefolded, spaces collapsed, none beside Chinese."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS])[:MAX_TEXT_CHARS]
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text.casefold())).strip()
    return _CJK_GAP.sub("", text)


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
class _Compiled:
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


class IntentRules:
    """A validated, compiled rule set in precedence order, with an optional classifier
    trained on (text, queue or None) examples. Immutable once built."""

    __slots__ = ("_bayes", "_blend", "_choices", "_compiled", "rules")

    def __init__(
        self,
        rules: Iterable[IntentRule],
        examples: Iterable[tuple[str, str | None]] = (),
        blend: Blend = Blend(),  # noqa: B008 - frozen, so one shared default is safe
    ) -> None:
        self.rules, self._blend = tuple(rules), blend
        self._compiled = tuple(_compile(rule) for rule in self.rules)
        self._choices = _choices(self.rules)
        documents = _documents(self.queues, examples)
        self._bayes = NaiveBayes.train(self.queues, documents) if documents else None

    @classmethod
    def from_mapping(
        cls,
        raw: Mapping[str, object],
        examples: Iterable[tuple[str, str | None]] = (),
        blend: Blend = Blend(),  # noqa: B008
    ) -> IntentRules:
        """Rules from plain data, {queue: {field: value}}, in the mapping's order."""
        if not isinstance(raw, Mapping) or not raw:
            raise IntentRuleError("*", "expected a non-empty mapping of queue name to rule")
        return cls((_parse_rule(queue, body) for queue, body in raw.items()), examples, blend)

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(rule.queue for rule in self.rules)

    @property
    def has_classifier(self) -> bool:
        return self._bayes is not None

    def queue_for_choice(self, choice: str) -> str | None:
        """The queue a pre-chat choice (menu item or queue name) maps to, if any."""
        return self._choices.get(normalise_text(choice))

    def match_rules(self, text: str) -> IntentMatch | None:
        """Step 2 alone: the best-scoring rule for `text`, or None."""
        return self._match_rules(normalise_text(text))

    def _match_rules(self, normalised: str) -> IntentMatch | None:
        best: IntentMatch | None = None
        for compiled in self._compiled if normalised else ():
            matched = compiled.found_in(normalised)
            score = len(matched) * compiled.rule.weight
            if matched and (best is None or score > best.score):
                best = IntentMatch(compiled.rule.queue, "rules", matched, score)
        return best

    def _match(self, text: str) -> IntentMatch | None:
        normalised = normalise_text(text)
        found = self._match_rules(normalised)
        if self._bayes is None or len(normalised) < MIN_CLASSIFIER_CHARS:
            return found
        consult = self._blend.consults(found)
        return self._blend.decide(found, self._bayes.predict(normalised) if consult else None)


def classify(
    text: str, rules: IntentRules, prechat_choice: str | None = None
) -> IntentMatch | None:
    """The queue for a first message; None means the default queue.

    A pre-chat choice the rules do not know is ignored (the text decides): the edge
    validates choices against `rules.queue_for_choice` when it wants them strict.
    """
    if prechat_choice is not None:
        queue = rules.queue_for_choice(prechat_choice)
        if queue is not None:
            return IntentMatch(queue, "prechat", (prechat_choice,), 0.0)
    return rules._match(text)


def term_regex(keyword: str) -> str | None:
    """The regex source a normalised keyword compiles to; None for a substring keyword."""
    if _HAS_CJK.search(keyword):
        return None
    words = [_inflected(word) for word in _WORD_SPLIT.split(keyword) if word]
    return r"(?<![a-z0-9])" + "[ -]?".join(words) + r"(?![a-z0-9])"


def _inflected(word: str) -> str:
    if len(word) < 3 or not word.isalpha() or not word.isascii():
        return re.escape(word)
    if word.endswith("e"):
        return word[:-1] + "(?:e|es|ed|ing|er|ers)"
    if word.endswith("y") and word[-2] not in _VOWELS:
        return word[:-1] + "(?:y|ies|ied|ying)"
    return f"{word}(?:s|es|ed|ing|er|ers|'s|{word[-1]}(?:ed|ing|er|ers))?"


def _keyword_term(queue: str, raw: str) -> _Term:
    keyword = normalise_text(raw)
    if not keyword or len(keyword) > MAX_TERM_CHARS:
        raise IntentRuleError(queue, f"keyword {raw!r} must be 1-{MAX_TERM_CHARS} characters")
    source = term_regex(keyword)
    if source is None:
        return _Term(keyword, keyword, None)
    first = _WORD_SPLIT.split(keyword)[0] or keyword
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


def backtracking_risk(source: str) -> str | None:
    """Why `source` may backtrack badly, or None. A heuristic, and conservative: it refuses
    a group repeated by *, + or {m,n} that holds a quantifier or an alternation (write
    `[a-z ]{0,20}` rather than `(?:[a-z]+ ){0,3}`), repetitions whose upper bounds multiply
    past MAX_TEXT_CHARS (each of *, + and {m,} counts as MAX_TEXT_CHARS, so `.*a.*b`, cubic
    in the text length, is refused), and backreferences. Within these limits a search
    takes at most about MAX_TEXT_CHARS squared steps."""
    groups: list[bool] = []  # per open group: does it hold a quantifier or an alternation?
    after_risky_group = False
    combinations = 1
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            if source[index + 1 : index + 2].isdigit():
                return "backreferences are not allowed"
            index, after_risky_group = index + 2, False
            continue
        if char == "[":
            close = _CLASS.match(source, index)
            index, after_risky_group = (close.end() if close else index + 1), False
            continue
        bound = _REPEAT.match(source, index) if char == "{" else None
        repeats = char in "*+" or bound is not None
        if repeats and after_risky_group:
            return "a repeated group holds a quantifier or an alternation"
        if repeats:
            combinations *= int(bound.group(1)) if bound and bound.group(1) else MAX_TEXT_CHARS
        if combinations > MAX_TEXT_CHARS:
            return (
                f"its repetitions' upper bounds multiply past {MAX_TEXT_CHARS} "
                f"(*, + and {{m,}} count as {MAX_TEXT_CHARS}); bound them with {{0,n}}"
            )
        if groups and (repeats or char == "|"):
            groups[-1] = True
        after_risky_group = False
        if char == "(":
            groups.append(False)
        elif char == ")" and groups:
            after_risky_group = groups.pop()
            if after_risky_group and groups:
                groups[-1] = True
        index += 1
    return None


def _compile(rule: IntentRule) -> _Compiled:
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
    return _Compiled(rule, substrings, regexes, excludes)


def _choices(rules: tuple[IntentRule, ...]) -> dict[str, str]:
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


def _parse_rule(queue: object, body: object) -> IntentRule:
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


def _documents(
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
