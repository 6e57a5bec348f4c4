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

The code is split by responsibility; this module is the API and re-exports the rest:
intent_text.py (normalisation, keywords as regexes, the backtracking check),
intent_compile.py (rule checks and compilation), intent_bayes.py (the classifier),
intent_blend.py (how rules and classifier combine), intent_rules.py (the shipped rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

from appliance.routing.intent_bayes import NaiveBayes
from appliance.routing.intent_bayes import classifier_features
from appliance.routing.intent_blend import Blend
from appliance.routing.intent_blend import IntentMatch
from appliance.routing.intent_compile import FIELDS
from appliance.routing.intent_compile import MAX_EXAMPLES
from appliance.routing.intent_compile import MAX_TERM_CHARS
from appliance.routing.intent_compile import MAX_TERMS_PER_RULE
from appliance.routing.intent_compile import IntentRule
from appliance.routing.intent_compile import IntentRuleError
from appliance.routing.intent_compile import compile_rule
from appliance.routing.intent_compile import parse_rule
from appliance.routing.intent_compile import prechat_choices
from appliance.routing.intent_compile import training_documents
from appliance.routing.intent_rules import DEFAULT_RULES
from appliance.routing.intent_text import MAX_PATTERN_CHARS
from appliance.routing.intent_text import MAX_TEXT_CHARS
from appliance.routing.intent_text import backtracking_risk
from appliance.routing.intent_text import normalise_text
from appliance.routing.intent_text import term_regex

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

MIN_CLASSIFIER_CHARS = 6  # "hi!", "人工服务", "在吗": too little text to guess from


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
        self._compiled = tuple(compile_rule(rule) for rule in self.rules)
        self._choices = prechat_choices(self.rules)
        documents = training_documents(self.queues, examples)
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
        return cls((parse_rule(queue, body) for queue, body in raw.items()), examples, blend)

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
