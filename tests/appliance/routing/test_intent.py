"""routing/intent.py: normalisation, matching, precedence, pre-chat choices, rule errors,
the classifier, and precision/recall on the labelled set tests/data/intents.jsonl.

The labelled set has three splits. "dev" and "dev2" are what the default rules were tuned on
and what the shipped classifier is trained on (appliance/data/intent_examples.jsonl is a copy
of them), so their figures guard against regressions and say nothing about new text. "dev2"
was the first holdout: it was scored once, which spent it as a measure, so it became tuning
data. "holdout2" was written before the current rules, classifier features and blend were
tuned, and is never tuned or trained on.
Scoring lives in tests/bench/_intent_scoring.py, shared with tests/bench/bench_intent.py.
See docs/routing.md, "Intent pre-routing".
"""

from __future__ import annotations

import importlib.resources
import json
import time
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import appliance.services.intent_routing as intent_routing
from appliance.routing.intent import DEFAULT_RULES
from appliance.routing.intent import MAX_TEXT_CHARS
from appliance.routing.intent import MIN_CLASSIFIER_CHARS
from appliance.routing.intent import Blend
from appliance.routing.intent import IntentMatch
from appliance.routing.intent import IntentRuleError
from appliance.routing.intent import IntentRules
from appliance.routing.intent import backtracking_risk
from appliance.routing.intent import classify
from appliance.routing.intent import normalise_text
from appliance.services.intent_routing import IntentExamplesError
from appliance.services.intent_routing import intent_rules
from appliance.services.intent_routing import parse_examples
from tests.bench._intent_scoring import HOLDOUT
from tests.bench._intent_scoring import Labelled
from tests.bench._intent_scoring import examples
from tests.bench._intent_scoring import load_labelled
from tests.bench._intent_scoring import score
from tests.bench._intent_scoring import split
from tests.bench._intent_scoring import training

QUEUES = ("fraud", "complaints", "loans", "wealth", "cards", "transfers", "accounts")
RULES_ONLY = IntentRules.from_mapping(DEFAULT_RULES)


@pytest.fixture
def default_rules() -> IntentRules:
    """DEFAULT_RULES alone, without the classifier: what the rule tests are about."""
    return RULES_ONLY


@pytest.fixture(scope="module")
def shipped() -> IntentRules:
    """What conversations are routed with: the rules, then the classifier (built once)."""
    return intent_rules()


@pytest.fixture(scope="module")
def labelled() -> list[Labelled]:
    return load_labelled()


def queue(text: str, rules: IntentRules, prechat_choice: str | None = None) -> str | None:
    found = classify(text, rules, prechat_choice)
    return found.queue if found else None


# --- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ＡＴＭ吞了我的卡", "atm吞了我的卡"),  # full-width Latin to half-width
        ("我的 ＶＩＳＡ 卡　丢 了", "我的visa卡丢了"),  # no spaces beside Chinese
        ("  Lost\tMY\n\ncard  ", "lost my card"),
        ("PIN\u200b blocked", "pin blocked"),  # zero-width space from copy-paste
        ("１２３４５", "12345"),
        ("Straße", "strasse"),  # casefold, not lower
    ],
)
def test_it_normalises_width_case_and_spaces(raw: str, normalised: str) -> None:
    assert normalise_text(raw) == normalised


def test_it_reads_at_most_max_text_chars() -> None:
    assert len(normalise_text("a" * (MAX_TEXT_CHARS * 3))) == MAX_TEXT_CHARS
    rules = IntentRules.from_mapping({"cards": {"keywords": ["挂失"]}})
    assert queue("你好" * MAX_TEXT_CHARS + "挂失", rules) is None
    assert queue("挂失" + "你好" * MAX_TEXT_CHARS, rules) == "cards"


def test_a_megabyte_of_text_is_classified_quickly(shipped: IntentRules) -> None:
    hostile = "a" * 1_000_000 + "！" * 1_000_000
    begin = time.perf_counter()
    classify(hostile, shipped)  # no rule matches, so the classifier reads it too
    assert time.perf_counter() - begin < 0.5


# --- matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("loan", "two loans", True),
        ("card", "discard it", False),
        ("pin", "my pin", True),
        ("pin", "spinning", False),
        ("scam", "I was scammed", True),
        ("apply", "I applied last week", True),
        ("charge", "charging me twice", True),
        ("log in", "cannot login", True),
        ("log in", "can't log-in", True),
        ("pre-approval", "preapproval status", True),
        ("visa", "我的visa卡丢了", True),  # a Chinese neighbour is a word boundary
        ("cd", "abcd", False),
        ("挂失", "帮我 挂 失", True),
        ("挂失", "挂号", False),
    ],
)
def test_keywords_match_words_and_inflections(keyword: str, text: str, found: bool) -> None:
    rules = IntentRules.from_mapping({"q": {"keywords": [keyword]}})
    assert (queue(text, rules) == "q") is found


def test_it_reports_the_matched_terms_and_score() -> None:
    rules = IntentRules.from_mapping(
        {"cards": {"keywords": ["card", "lost"], "patterns": [r"卡.{0,4}丢"], "weight": 2}}
    )
    assert classify("Lost my card, 卡也丢了", rules) == IntentMatch(
        "cards", "rules", ("card", "lost", r"卡.{0,4}丢"), 6.0
    )


def test_nothing_found_is_none_so_the_default_queue(
    default_rules: IntentRules, shipped: IntentRules
) -> None:
    for text in ("", "   ", "hello", "你好", "人工", "谢谢", "ok"):
        assert classify(text, default_rules) is None
        assert classify(text, shipped) is None


def test_an_exclude_term_silences_its_rule() -> None:
    rules = IntentRules.from_mapping(
        {
            "fraud": {"keywords": ["scam"], "exclude": ["how to avoid"]},
            "faq": {"keywords": ["avoid"]},
        }
    )
    assert queue("I was scammed", rules) == "fraud"
    assert queue("how to avoid a scam", rules) == "faq"


# --- precedence ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("someone stole money from my card", "fraud"),
        ("my credit card has charges I didn't make", "fraud"),
        ("我的信用卡被盗刷了", "fraud"),
        ("I want to complain about the loan officer", "complaints"),
        ("我要投诉你们的理财经理", "complaints"),
        ("I lost my credit card", "cards"),
        ("房贷还款日能改吗", "loans"),
        ("I want to apply for a mortgage", "loans"),
    ],
)
def test_default_precedence(default_rules: IntentRules, text: str, expected: str) -> None:
    assert queue(text, default_rules) == expected


def test_a_tie_goes_to_the_rule_listed_first() -> None:
    data = {"fraud": {"keywords": ["card"]}, "cards": {"keywords": ["card"]}}
    assert queue("my card", IntentRules.from_mapping(data)) == "fraud"
    flipped = {"cards": data["cards"], "fraud": data["fraud"]}
    assert queue("my card", IntentRules.from_mapping(flipped)) == "cards"


def test_one_fraud_term_outweighs_two_product_terms(default_rules: IntentRules) -> None:
    found = classify("a scam on my new credit card", default_rules)
    assert found is not None
    assert (found.queue, found.score) == ("fraud", 3.0)
    assert default_rules.match_rules("my new credit card") == IntentMatch(
        "cards", "rules", ("card", "credit card"), 2.0
    )


# --- pre-chat choice -----------------------------------------------------------------


def test_a_known_prechat_choice_wins_outright(default_rules: IntentRules) -> None:
    found = classify("someone stole money from my card", default_rules, "loans_mortgages")
    assert found == IntentMatch("loans", "prechat", ("loans_mortgages",), 0.0)


@pytest.mark.parametrize("choice", ["cards", "CARDS", "card_services", "银行卡", "ｃａｒｄｓ"])
def test_a_choice_is_a_menu_item_or_a_queue_name(default_rules: IntentRules, choice: str) -> None:
    assert default_rules.queue_for_choice(choice) == "cards"
    assert queue("转账失败", default_rules, choice) == "cards"


def test_an_unknown_choice_lets_the_text_decide(default_rules: IntentRules) -> None:
    assert default_rules.queue_for_choice("mortgage_menu") is None
    assert queue("转账失败", default_rules, "mortgage_menu") == "transfers"


# --- invalid rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rule", "message"),
    [
        ({}, "*", "non-empty mapping"),
        ({"Cards!": {"keywords": ["x"]}}, "Cards!", "queue name"),
        ({"": {"keywords": ["x"]}}, "", "queue name"),
        ({"cards": ["挂失"]}, "cards", "expected a mapping"),
        ({"cards": {"keyword": ["挂失"]}}, "cards", "unknown field 'keyword'"),
        ({"cards": {"keywords": "挂失"}}, "cards", "keywords must be a list"),
        ({"cards": {"keywords": ["挂失", " "]}}, "cards", "non-empty strings"),
        ({"cards": {"keywords": [7]}}, "cards", "non-empty strings"),
        ({"cards": {"keywords": ["x" * 101]}}, "cards", "1-100 characters"),
        ({"cards": {}}, "cards", "at least one keyword or pattern"),
        ({"cards": {"patterns": ["(unclosed"]}}, "cards", "not a valid regex"),
        ({"cards": {"patterns": ["(a+)+$"]}}, "cards", "repeated group"),
        ({"cards": {"patterns": ["(?:card|cards)*x"]}}, "cards", "repeated group"),
        ({"cards": {"patterns": [r"(a)\1"]}}, "cards", "backreference"),
        ({"cards": {"patterns": ["x?"]}}, "cards", "matches empty text"),
        ({"cards": {"patterns": ["a" * 201]}}, "cards", "1-200 characters"),
        ({"cards": {"keywords": ["x"], "weight": "high"}}, "cards", "weight must be a number"),
        ({"cards": {"keywords": ["x"], "weight": True}}, "cards", "weight must be a number"),
        ({"cards": {"keywords": ["x"], "weight": 0}}, "cards", "above 0"),
        (
            {"cards": {"keywords": ["x"], "prechat": ["menu"]}, "loans": {"keywords": ["y"]}}
            | {"wealth": {"keywords": ["z"], "prechat": ["MENU"]}},
            "wealth",
            "already routes to 'cards'",
        ),
        (
            {"cards": {"keywords": ["x"], "prechat": ["loans"]}, "loans": {"keywords": ["y"]}},
            "loans",
            "already routes to 'cards'",
        ),
    ],
)
def test_invalid_rules_are_refused_naming_the_rule(raw: dict, rule: str, message: str) -> None:
    with pytest.raises(IntentRuleError) as refused:
        IntentRules.from_mapping(raw)
    assert isinstance(refused.value, ValueError)
    assert refused.value.rule == rule
    assert f"intent rule {rule!r}" in str(refused.value)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "pattern",
    [r"card[a-z ]{0,20} expir", r"(?:lost|stolen) card", r"(?:a|b)?c", r"卡.{0,6}(?:丢|掉)"],
)
def test_linear_patterns_are_accepted(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+",
        r"(a*)*b",
        r"(a|aa)+",
        r"((ab)+)+",
        r"(?:x+ ){2,}",
        r"(\d+)*",
        r".*a.*b",
        r"a+b{3,}",
        r"a{0,5000}",
        r".{0,100}x.{0,100}",
    ],
)
def test_backtracking_shapes_are_refused(pattern: str) -> None:
    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [r"a.*b", r"a.{0,40}a.{0,50}b", r"(?:a|b).{0,2000}c", r"\w{1,40}\w{1,50}z"],
)
def test_the_worst_accepted_shapes_stay_fast(pattern: str) -> None:
    assert backtracking_risk(pattern) is None
    rules = IntentRules.from_mapping({"q": {"patterns": [pattern]}})
    begin = time.perf_counter()
    classify("a" * (MAX_TEXT_CHARS * 2), rules)
    assert time.perf_counter() - begin < 2.0


def test_the_shipped_rules_are_valid_and_cover_the_seven_queues(
    default_rules: IntentRules, shipped: IntentRules
) -> None:
    assert default_rules.queues == shipped.queues == QUEUES
    assert not default_rules.has_classifier
    assert shipped.has_classifier
    assert intent_rules() is shipped  # trained once per process


@given(st.text(max_size=300))
def test_classify_never_raises_and_is_deterministic(text: str) -> None:
    for rules in (RULES_ONLY, intent_rules()):
        assert classify(text, rules) == classify(text, rules)


# --- the classifier ---------------------------------------------------------

TOY = {"cards": {"keywords": ["挂失"]}, "loans": {"keywords": ["贷款"]}}
TOY_EXAMPLES = [
    ("my plastic got eaten by the machine", "cards"),
    ("the machine kept my plastic", "cards"),
    ("borrow money for a house", "loans"),
    ("borrow money for a car", "loans"),
    ("hello there", None),
    ("good morning to you", None),
]


def test_the_classifier_answers_only_when_no_rule_does() -> None:
    rules = IntentRules.from_mapping(TOY, examples=TOY_EXAMPLES)
    assert rules.has_classifier
    found = classify("the machine ate my plastic", rules)
    assert found is not None
    assert (found.queue, found.via) == ("cards", "classifier")
    assert 0.5 < found.score <= 1.0
    assert found.matched
    assert all(term in "the machine ate my plastic" for term in found.matched)
    assert classify("machine plastic 贷款", rules) == IntentMatch("loans", "rules", ("贷款",), 1.0)


def test_the_classifier_learns_no_intent_and_skips_short_text() -> None:
    rules = IntentRules.from_mapping(TOY, examples=TOY_EXAMPLES)
    assert classify("good morning there", rules) is None
    assert len(normalise_text("car?")) < MIN_CLASSIFIER_CHARS
    assert classify("car?", rules) is None


def test_the_blend_lets_a_confident_guess_override_and_a_weak_one_abstain() -> None:
    plain = IntentRules.from_mapping(TOY, examples=TOY_EXAMPLES)
    blended = IntentRules.from_mapping(
        TOY, examples=TOY_EXAMPLES, blend=Blend(0.99, ("cards",), 0.5)
    )
    text = "the machine ate my plastic 贷款"
    assert classify(text, plain) == IntentMatch("loans", "rules", ("贷款",), 1.0)
    found = classify(text, blended)
    assert found is not None
    assert (found.queue, found.via) == ("cards", "classifier")
    guess = classify("the machine ate my plastic", plain)
    assert guess is not None
    assert classify("the machine ate my plastic", blended) == guess
    strict = IntentRules.from_mapping(TOY, examples=TOY_EXAMPLES, blend=Blend(1.0))
    assert guess.score < 1.0
    assert classify("the machine ate my plastic", strict) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        Blend(min_posterior=1.5)


@pytest.mark.parametrize(
    ("examples_given", "message"),
    [
        ([("hello", "mortgages")], "names no rule's queue"),
        ([("  ", "cards"), ("x", "loans")], "non-empty text"),
        ([("a", "cards"), ("b", "cards")], "at least two labels"),
    ],
)
def test_bad_examples_are_refused(examples_given: list, message: str) -> None:
    with pytest.raises(IntentRuleError, match=message):
        IntentRules.from_mapping(TOY, examples=examples_given)


# --- the shipped examples ------------------------------------------------------------


def test_the_shipped_examples_are_the_tuning_splits_and_nothing_else(
    labelled: list[Labelled],
) -> None:
    """They cannot drift from the labelled set, and the holdout never leaks into training."""
    package = importlib.resources.files(intent_routing.EXAMPLES_PACKAGE)
    text = package.joinpath(intent_routing.EXAMPLES_FILE).read_text(encoding="utf-8")
    shipped_rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    holdout = {normalise_text(row.text) for row in split(labelled, HOLDOUT)}
    assert not holdout & {normalise_text(row["text"]) for row in shipped_rows}
    dev = training(labelled)
    assert shipped_rows == [{"text": row.text, "queue": row.queue, "lang": row.lang} for row in dev]
    assert parse_examples(text, "shipped") == tuple(examples(dev))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no examples"),
        ('{"text": "hi", "queue": null}\n{"text": "x"', "line 2: not JSON"),
        ('{"text": "hi", "label": "cards"}', "line 1: expected an object with text, queue"),
        ('["hi", "cards"]', "line 1: expected an object"),
        ('{"text": 3, "queue": "cards"}', "line 1: text must be a string"),
    ],
)
def test_malformed_examples_fail_loudly_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(IntentExamplesError, match=message):
        parse_examples(text, "examples.jsonl")


def test_missing_or_unfitting_examples_fail_at_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    build = intent_rules.__wrapped__  # the uncached function: the cache stays as it is
    monkeypatch.setattr(intent_routing, "EXAMPLES_FILE", "missing.jsonl")
    with pytest.raises(IntentExamplesError, match=r"cannot read .*installation complete"):
        build()
    monkeypatch.setattr(intent_routing, "_read_examples", lambda: '{"text": "hi", "queue": "x"}')
    with pytest.raises(IntentExamplesError, match=r"does not fit the rules.*names no rule"):
        build()


# --- the labelled set ----------------------------------------------------------------


def test_the_labelled_set_is_large_varied_and_well_formed(labelled: list[Labelled]) -> None:
    assert len(labelled) >= 300
    assert len({row.text for row in labelled}) == len(labelled)
    per_queue = Counter(row.queue for row in labelled)
    assert set(per_queue) == {*QUEUES, None}
    assert min(per_queue[name] for name in QUEUES) >= 35
    assert per_queue[None] >= 20
    languages = Counter(row.lang for row in labelled)
    assert set(languages) == {"zh", "en"}
    assert min(languages.values()) >= 0.4 * len(labelled)
    splits = Counter(row.split for row in labelled)
    assert set(splits) == {"dev", "dev2", HOLDOUT}
    holdout = split(labelled, HOLDOUT)
    assert len(holdout) >= 140
    holdout_queues = Counter(row.queue for row in holdout)
    assert min(holdout_queues[name] for name in QUEUES) >= 17
    assert holdout_queues[None] >= 20
    holdout_languages = Counter(row.lang for row in holdout)
    assert min(holdout_languages.values()) >= 0.4 * len(holdout)


def test_dev_recall_and_precision(default_rules: IntentRules, labelled: list[Labelled]) -> None:
    """Regression guard on the text the rules were tuned on (dev and dev2): recall and
    precision >= 0.85 per queue."""
    report = score("dev + dev2, rules only", default_rules, training(labelled))
    assert all(row.recall >= 0.85 for row in report.table), report
    assert all(row.precision >= 0.85 for row in report.table), report


def test_holdout_figures_of_the_rules_alone_do_not_regress(
    default_rules: IntentRules, labelled: list[Labelled]
) -> None:
    """Floors just under what was measured when holdout2 was first scored (0.92 accuracy,
    the lowest queue precision 0.82 for accounts); these are not the targets."""
    report = score("holdout2, rules only", default_rules, split(labelled, HOLDOUT))
    assert report.accuracy >= 0.90, report
    assert all(row.precision >= 0.75 for row in report.table if row.queue), report


# Recall and precision floors on holdout2 for the shipped rules (18 questions per queue,
# 22 with no intent): recall one question under what was measured, precision a little
# looser. Measured once, after the rules, features, examples and blend were frozen.
SHIPPED_HOLDOUT_FLOORS = {
    "fraud": (0.88, 0.85),  # measured recall 0.94, precision 0.94
    "complaints": (0.88, 0.90),  # 0.94, 1.00
    "loans": (0.94, 0.90),  # 1.00, 1.00
    "wealth": (0.94, 0.85),  # 1.00, 0.95
    "cards": (0.83, 0.85),  # 0.89, 0.94
    "transfers": (0.94, 0.80),  # 1.00, 0.90
    "accounts": (0.83, 0.80),  # 0.89, 0.89
    None: (0.90, 0.90),  # 0.95, 1.00 (the default queue)
}


def test_holdout_figures_of_the_shipped_rules_do_not_regress(
    shipped: IntentRules, labelled: list[Labelled]
) -> None:
    """The rules plus the classifier trained on the shipped (dev + dev2) examples, blended
    as SHIPPED_BLEND: 0.95 accuracy on holdout2 when measured (once), against 0.92 for the
    rules alone. Floors, not targets."""
    report = score("holdout2, shipped", shipped, split(labelled, HOLDOUT))
    assert report.accuracy >= 0.93, report
    for name, (recall, precision) in SHIPPED_HOLDOUT_FLOORS.items():
        assert report.recall(name) >= recall, report
        assert report.precision(name) >= precision, report


def test_holdout_recall_meets_the_bar(shipped: IntentRules, labelled: list[Labelled]) -> None:
    """The issue's bar, on text nothing was tuned on: recall >= 0.85 in every queue
    (measured once: lowest 0.89, cards and accounts; docs/routing.md)."""
    report = score("holdout2, shipped", shipped, split(labelled, HOLDOUT))
    assert all(row.recall >= 0.85 for row in report.table), report
