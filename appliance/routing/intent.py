"""Intent pre-routing: which queue a visitor's first message (or pre-chat choice) belongs in.

This code cannot do I/O and reads no clock: rules, examples and text come in, a match
goes out. Three steps, first answer wins:

1. A pre-chat choice the rules know (a menu item, or a queue's own name) routes outright.
2. Rules: each scores its weight times the number of its distinct terms found in the
   normalised text; the highest score wins and a tie goes to the rule listed first.
3. Only when no term is found, and only if examples were given: a naive Bayes
   classifier trained on them (examples labelled None teach it what is no intent).

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
the normalised text, case-insensitive; a pattern that repeats a group holding a
quantifier or an alternation (`(a+)+`, the catastrophic-backtracking shape) or uses a
backreference is refused, and at most MAX_TEXT_CHARS of a message are read.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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
_MAX_REPEAT = 100
_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")
_LATIN_WORD = re.compile(r"[a-z0-9']+")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
_SMOOTHING = 0.5
_NO_INTENT = ""


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
class IntentMatch:
    """Where to route and why: the pre-chat choice, the terms found, or the classifier's
    strongest features. `score` is weight x terms for rules, the posterior for the
    classifier, 0 for a pre-chat choice."""

    queue: str
    via: Literal["prechat", "rules", "classifier"]
    matched: tuple[str, ...]
    score: float


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

    __slots__ = ("_bayes", "_choices", "_compiled", "rules")

    def __init__(
        self, rules: Iterable[IntentRule], examples: Iterable[tuple[str, str | None]] = ()
    ) -> None:
        self.rules = tuple(rules)
        self._compiled = tuple(_compile(rule) for rule in self.rules)
        self._choices = _choices(self.rules)
        self._bayes = _Bayes.train(self.queues, examples)

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, object], examples: Iterable[tuple[str, str | None]] = ()
    ) -> IntentRules:
        """Rules from plain data, {queue: {field: value}}, in the mapping's order."""
        if not isinstance(raw, Mapping) or not raw:
            raise IntentRuleError("*", "expected a non-empty mapping of queue name to rule")
        return cls((_parse_rule(queue, body) for queue, body in raw.items()), examples)

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
        if found is None and self._bayes and len(normalised) >= MIN_CLASSIFIER_CHARS:
            return self._bayes.predict(normalised)
        return found


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
    `[a-z ]{0,20}` rather than `(?:[a-z]+ ){0,3}`), more than one unbounded repetition
    (`.*a.*b` is cubic in the text length), bounds above 100, and backreferences."""
    groups: list[bool] = []  # per open group: does it hold a quantifier or an alternation?
    after_risky_group = False
    unbounded = 0
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
        if bound and bound.group(1) and int(bound.group(1)) > _MAX_REPEAT:
            return f"a repetition bound above {_MAX_REPEAT}"
        unbounded += char in "*+" or (bound is not None and not bound.group(1))
        if unbounded > 1:
            return "more than one unbounded repetition (*, + or {m,}); bound one with {0,n}"
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


def classifier_features(normalised: str) -> list[str]:
    """Words and their first five letters; Chinese characters and character pairs."""
    features: list[str] = []
    for word in _LATIN_WORD.findall(normalised):
        features += (f"w:{word}", f"w:{word[:5]}")
    han = _NOT_HAN.sub("", normalised)
    features += [f"c:{char}" for char in han]
    features += [f"b:{han[index : index + 2]}" for index in range(len(han) - 1)]
    return features


@dataclass(frozen=True)
class _Bayes:
    """Multinomial naive Bayes over classifier_features; labels in rule order, then ""."""

    labels: tuple[str, ...]
    log_priors: tuple[float, ...]
    log_likelihoods: tuple[Mapping[str, float], ...]
    log_unseen: tuple[float, ...]  # a known feature never seen with this label
    vocabulary: frozenset[str]

    @classmethod
    def train(
        cls, queues: tuple[str, ...], examples: Iterable[tuple[str, str | None]]
    ) -> _Bayes | None:
        counts: dict[str, Counter[str]] = {}
        documents: Counter[str] = Counter()
        for number, (text, queue) in enumerate(examples):
            label = _NO_INTENT if queue is None else queue
            if number >= MAX_EXAMPLES:
                raise IntentRuleError("*", f"more than {MAX_EXAMPLES} examples")
            if label != _NO_INTENT and label not in queues:
                raise IntentRuleError(str(queue), f"example {text!r} names no rule's queue")
            if not isinstance(text, str) or not normalise_text(text):
                raise IntentRuleError(label or "*", f"example {text!r} must be non-empty text")
            counts.setdefault(label, Counter()).update(classifier_features(normalise_text(text)))
            documents[label] += 1
        if not documents:
            return None
        if len(documents) < 2:
            raise IntentRuleError("*", "examples must cover at least two labels to classify")
        labels = tuple(label for label in (*queues, _NO_INTENT) if label in documents)
        vocabulary = frozenset[str]().union(*counts.values())
        total = sum(documents.values())
        likelihoods: list[dict[str, float]] = []
        unseen: list[float] = []
        for label in labels:
            denominator = math.log(counts[label].total() + _SMOOTHING * len(vocabulary))
            likelihoods.append(
                {
                    feature: math.log(count + _SMOOTHING) - denominator
                    for feature, count in counts[label].items()
                }
            )
            unseen.append(math.log(_SMOOTHING) - denominator)
        priors = tuple(math.log(documents[label] / total) for label in labels)
        return cls(labels, priors, tuple(likelihoods), tuple(unseen), vocabulary)

    def predict(self, normalised: str) -> IntentMatch | None:
        features = [f for f in classifier_features(normalised) if f in self.vocabulary]
        scores = [self._log_likelihood(index, features) for index in range(len(self.labels))]
        best = max(range(len(scores)), key=lambda index: (scores[index], -index))
        if self.labels[best] == _NO_INTENT:
            return None
        posterior = 1 / sum(math.exp(score - scores[best]) for score in scores)
        return IntentMatch(
            self.labels[best], "classifier", self._evidence(best, features), posterior
        )

    def _log_likelihood(self, index: int, features: list[str]) -> float:
        likelihoods, unseen = self.log_likelihoods[index], self.log_unseen[index]
        return self.log_priors[index] + sum(likelihoods.get(f, unseen) for f in features)

    def _evidence(self, best: int, features: list[str]) -> tuple[str, ...]:
        """Up to three words or character pairs that most favour `best` over the runner-up."""
        scores = [self._log_likelihood(index, features) for index in range(len(self.labels))]
        second = max((i for i in range(len(scores)) if i != best), key=scores.__getitem__)

        def lead(feature: str) -> float:
            own = self.log_likelihoods[best].get(feature, self.log_unseen[best])
            return own - self.log_likelihoods[second].get(feature, self.log_unseen[second])

        ranked = sorted(
            {feature for feature in features if not feature.startswith("c:")},
            key=lambda feature: (-lead(feature), feature),
        )
        return tuple(dict.fromkeys(feature[2:] for feature in ranked[:3]))


# The shipped rules, as the data an administrator would write. Order is precedence:
# fraud first and heaviest (a customer losing money now outranks everything), then
# complaints (a complaint about a loan is a complaint), then the product queues from
# the most specific vocabulary to the most incidental: 贷款 and 基金 name their topic,
# while card, 到账, account and 登录 turn up in questions about everything else.
# Measured on tests/data/intents.jsonl by tests/bench/bench_intent.py; tuned on its
# "dev" split only.
# fmt: off
DEFAULT_RULES: Mapping[str, Mapping[str, object]] = {
    "fraud": {
        "weight": 3.0,
        "prechat": ["report_fraud", "防诈骗", "举报诈骗"],
        "keywords": [
            "诈骗", "骗子", "被骗", "骗了", "骗走", "受骗", "盗刷", "被盗", "盗用", "冒充", "冒用",
            "假冒", "钓鱼", "可疑交易", "异常交易", "非本人", "不是我本人", "不是我消费",
            "没消费过", "没有消费过", "不是我操作", "我没有操作", "安全账户", "刷单", "中奖",
            "公安局", "检察院", "陌生人", "盗号", "被人登录", "被别人登录", "验证码被", "把验证码",
            "点了链接", "点链接", "有人用我", "卡在我手上", "卡还在", "卡在身上", "自称", "不对劲",
            "洗钱", "涉嫌", "被黑", "黑客", "被取走", "被人刷", "被刷", "钱没了", "扫码退款",
            "借呗", "陌生", "保证金", "投资群", "拉进", "共享屏幕", "屏幕共享", "远程控制",
            "会议软件", "伪卡", "复制卡", "被转走", "莫名其妙少了", "钱不见了", "詐騙", "盜刷",
            "被騙",
            "fraud", "fraudulent", "fraudster", "scam", "phishing", "hacked", "hacker",
            "unauthorized", "unauthorised", "identity theft", "suspicious", "cloned", "skimmer",
            "skimming", "tricked", "impersonating", "stole money", "stolen money", "money missing",
            "missing from my", "not authorized", "compromised", "legit", "bail money", "in my name",
            "stranger", "convince", "data breach", "safe account", "remote access", "anydesk",
            "teamviewer", "screen sharing",
        ],
        "patterns": [
            r"(?:didn'?t|did not|never) (?:make|made|authori[sz]e|do|withdraw|buy|request|ask"
            r"|apply|sign|order)",
            r"(?:don'?t|do not) recogni[sz]e",
            r"gave (?:them|him|her|the caller|someone) (?:my )?(?:otp|pin|password|code)",
            r"using my (?:identity|name|id|details)",
            r"gave (?:it|them|my [a-z ]{1,20}) to (?:them|him|her|someone|a caller|the caller)",
            r"click(?:ed)? (?:on )?(?:a|the|this|that) link",
            r"someone (?:has |had |might have |may have )?(?:used|using|took|taken|withdrew"
            r"|access|logged|got into|hacked)",
            r"不是我(?:本人)?(?:买|消费|刷|操作|取|转|花)",
            r"(?:没|没有|未|从没)(?:任何|做任何)?(?:操作|消费|申请|授权)",
            r"(?:让|要|叫)我(?:先|把钱)?(?:转|汇|打钱|下载|点|扫|开通|交)",
            r"(?:details|data|information|info|number|identity|password)s? (?:was |were "
            r"|has been |got )?stolen",
            r"used (?:in|from|at) (?:another|a different) (?:country|city|state)",
            r"(?:email|text|sms|message|call|website|site)[a-z ]{0,30} (?:looks like|pretending"
            r"|claiming|posing)",
            r"(?:money|cash|funds|savings) (?:was |were |has been |got )?(?:taken|withdrawn"
            r"|stolen|gone)",
            r"(?:strange|weird|unknown|unfamiliar|odd|random) (?:transaction|charge|payment"
            r"|purchase)",
            r"(?:text|sms|email|message|call)[a-z ]{0,40} (?:link|verify)",
        ],
    },
    "complaints": {
        "weight": 2.5,
        "prechat": ["complaint", "投诉建议"],
        "keywords": [
            "投诉", "不满", "太差", "差劲", "态度", "恶劣", "离谱", "失望", "说法", "领导",
            "银保监", "金管局", "12378", "曝光", "起诉", "骚扰", "乱扣", "乱收费", "没人接",
            "没人管", "没人理", "不解决", "没解决", "不承认", "什么银行", "垃圾", "道歉",
            "忍无可忍", "差评", "效率", "打不通", "骗人", "承诺", "反映", "人民银行", "监管",
            "不理", "凭什么", "服了", "折腾", "难用", "听不懂", "赔偿", "不负责", "坑人",
            "大呼小叫", "投訴",
            "complaint", "complain", "dissatisfied", "unhappy", "terrible", "awful", "horrible",
            "rude", "unacceptable", "ridiculous", "disappointed", "disgusting", "worst", "garbage",
            "useless", "escalate", "ombudsman", "regulator", "apology", "unfair", "unfairly",
            "poor service", "bad service", "nobody helps", "no one helps", "call back", "on hold",
            "not happy", "fed up", "bad experience", "joke", "rip off", "hung up", "frustrate",
            "frustration", "incompetent", "promised", "still waiting", "still nothing", "grievance",
            "compensation", "poorly", "disgrace", "treated", "not impressed", "feedback",
            "wrong information", "wait time", "bounced between", "passed around",
        ],
        "patterns": [
            r"(?:speak|talk) (?:to|with) (?:a|the|your) (?:manager|supervisor)",
            r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time",
            r"(?:跑了|来了|去了|打了)[一二两三四五六七八九十几\d]+(?:趟|次|遍)",
            r"(?:不|没|未)经(?:过)?我?的?同意",
            r"太(?:差|慢|难|烂|坑|过分|离谱|麻烦|不负责)",
        ],
    },
    "loans": {
        "prechat": ["loans_mortgages", "贷款"],
        "keywords": [
            "贷款", "贷", "房贷", "车贷", "按揭", "借款", "提前还款", "放款", "征信", "公积金",
            "装修贷", "经营贷", "消费贷", "信用贷", "等额本息", "等额本金", "月供", "抵押", "展期",
            "延期还款", "逾期", "还款", "借钱", "解押", "结清", "還款", "貸款",
            "loan", "mortgage", "morgage", "mortage", "borrow", "refinance", "repayment", "repay",
            "pay off", "payoff", "installment", "instalment", "emi", "pre-approval", "preapproved",
            "line of credit", "credit line", "heloc", "finance", "bridging", "deferment", "defer",
            "hardship", "overdue", "arrears", "principal", "lend",
        ],
        "patterns": [
            r"借.{0,2}钱",
        ],
    },
    "wealth": {
        "prechat": ["wealth_management", "理财"],
        "keywords": [
            "理财", "基金", "定期", "存款利率", "利息", "大额存单", "存单", "结构性存款", "国债",
            "债券", "黄金", "贵金属", "保险", "年金", "收益", "赎回", "申购", "认购", "定投",
            "风险评估", "风评", "保本", "净值", "资产配置", "配置资产", "分红", "股票", "活期",
            "养老金", "闲钱", "投资", "增值", "保值", "稳健", "私人银行", "风险等级", "理財",
            "fund", "mutual fund", "invest", "investment", "term deposit", "fixed deposit",
            "time deposit", "deposit rate", "savings rate", "interest rate", "wealth", "portfolio",
            "bond", "treasury", "gold", "cd", "certificate of deposit", "yield", "redeem",
            "redemption", "stock", "etf", "annuity", "insurance", "pension", "retirement",
            "risk assessment", "risk profile", "dividend", "mature", "maturity", "private bank",
            "isa", "structured product",
        ],
        "patterns": [
            r"park (?:my |some |our )?(?:money|cash|savings|funds|\d)",
        ],
    },
    "cards": {
        "prechat": ["card_services", "银行卡", "信用卡"],
        "keywords": [
            "挂失", "卡丢", "丢卡", "卡掉了", "卡不见", "卡找不到", "补卡", "换卡", "新卡", "激活",
            "开卡", "吞卡", "卡被吞", "吞了", "额度", "提额", "信用卡", "借记卡", "储蓄卡",
            "银行卡", "卡密码", "年费", "账单日", "最低还款", "境外消费", "刷卡", "刷不出", "磁条",
            "芯片", "卡过期", "锁卡", "卡被锁", "万事达", "银联卡", "卡片", "副卡", "附属卡",
            "取现", "钱包", "取款机", "提款机", "金卡", "白金卡", "信用卡还款", "停用", "积分",
            "里程", "降额", "掛失", "補卡",
            "visa", "card", "debit card", "credit card", "lost card", "stolen card",
            "card activation", "pin", "atm", "credit limit", "card limit", "withdrawal limit",
            "declined", "annual fee", "replacement", "replace", "expiry date", "contactless",
            "mastercard", "amex", "unblock", "wallet", "cash advance", "gold card", "platinum card",
            "reward", "points", "cashback", "foreign transaction fee", "billing cycle", "apple pay",
            "google pay", "swallowed", "retained", "chip", "minimum payment",
        ],
        "patterns": [
            r"card[a-z ]{0,20} expir",
            r"卡.{0,6}(?:落在|丢|掉|不见|找不到|坏|吞|吃|锁|用不了|刷不了|停用|寄)",
            r"activat[a-z]*[a-z ]{0,20} card",
            r"(?:刷不了|用不了|丢了|掉了|吞了|吃了)的?卡",
        ],
    },
    "transfers": {
        "prechat": ["transfers_payments", "转账汇款"],
        "keywords": [
            "转账", "转钱", "转款", "汇款", "汇钱", "打钱", "打款", "转了", "转错", "跨行", "到账",
            "收款", "付款", "汇入", "汇出", "跨境", "电汇", "交易失败", "支付失败", "扣款失败",
            "没收到", "撤回", "代发", "汇过来", "转出", "转入", "购汇", "结汇", "外汇", "转给",
            "转过去", "转帐", "在途", "轉賬", "轉帳", "匯款",
            "transfer", "tranfer", "wire", "remittance", "remit", "swift", "iban", "sort code",
            "routing number", "send money", "sending money", "sent money", "receive money",
            "bill payment", "payee", "beneficiary", "money from abroad", "overseas",
            "international", "direct debit", "standing order", "paid twice", "went through twice",
            "exchange rate", "zelle", "paypal", "western union", "moneygram", "trace", "bic",
            "sepa", "ach", "show up", "arrive",
        ],
        "patterns": [
            r"payments?[a-z ]{0,30} (?:fail|declin|reject|pending|stuck|bounc)",
            r"not go(?:ing)? through",
            r"寄.{0,2}钱",
            r"打了?.?钱",
            r"汇(?!率|总|报|丰)",
            r"转(?:了|个)?.{0,3}(?:房租|钱|款|学费|生活费|工资)",
            r"send(?:ing)? (?:money|funds|cash|abroad|overseas|[$£€¥]?\d)",
            r"can (?:i |we )?send",
            r"(?:money|funds|cash) (?:i |we )?sent",
        ],
    },
    "accounts": {
        "prechat": ["accounts_online_banking", "开户销户"],
        "keywords": [
            "开户", "账户", "帐户", "储蓄账户", "销户", "注销", "网银", "网上银行", "手机银行",
            "登录", "登陆", "登不上", "密码忘", "忘记密码", "忘了密码", "预留手机号", "手机号",
            "账户冻结", "账户被冻结", "只收不付", "非柜面", "身份证", "实名", "补充资料", "流水",
            "对账单", "二类账户", "三类账户", "u盾", "数字证书", "代办", "开通网银", "去世", "过世",
            "一类户", "二类户", "人脸识别", "身份验证", "開戶", "網銀",
            "open an account", "open account", "account opening", "close my account",
            "close account", "savings account", "checking account", "current account",
            "joint account", "business account", "online banking", "internet banking", "login",
            "log in", "log into", "sign in", "username", "password", "otp", "verification code",
            "kyc", "proof of address", "address", "mobile number", "phone number", "restricted",
            "frozen", "statement", "non resident", "session", "locked out", "app", "mobile banking",
            "account", "deceased", "passed away", "security question", "two-factor", "2fa",
            "authentication",
        ],
        "patterns": [
            r"开(?:个|一个|了|张)?.{0,4}(?:账户|帐户|户头)",
            r"open(?:ing|ed)? (?:up )?(?:an? |my |new )?(?:[a-z]+ )?accounts?",
            r"clos(?:e|ing|ed)[a-z' ]{0,30} accounts?",
            r"add[a-z ]{0,30} to (?:my|our|the) account",
        ],
    },
}
# fmt: on
