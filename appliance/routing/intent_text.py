"""Intent pre-routing's text handling: normalisation, keywords as regexes, and the check
that refuses patterns which could backtrack for long (see intent.py for the whole).

Pure: strings in, strings out. Rules and the classifier both see text only as
`normalise_text` leaves it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "HAS_CJK",
    "MAX_PATTERN_CHARS",
    "MAX_TEXT_CHARS",
    "WORD_SPLIT",
    "backtracking_risk",
    "normalise_text",
    "term_regex",
]

MAX_TEXT_CHARS = 2000
MAX_PATTERN_CHARS = 200

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
HAS_CJK = re.compile(f"[{_CJK}]")
WORD_SPLIT = re.compile(r"[ -]+")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_CJK_GAP = re.compile(f" (?=[{_CJK}])|(?<=[{_CJK}]) ")
_VOWELS = frozenset("aeiou")
_REPEAT = re.compile(r"\{\d*,(\d*)\}")
_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width), casefolded, spaces collapsed, none beside Chinese."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS])[:MAX_TEXT_CHARS]
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text.casefold())).strip()
    return _CJK_GAP.sub("", text)


def term_regex(keyword: str) -> str | None:
    """The regex source a normalised keyword compiles to; None for a substring keyword."""
    if HAS_CJK.search(keyword):
        return None
    words = [_inflected(word) for word in WORD_SPLIT.split(keyword) if word]
    return r"(?<![a-z0-9])" + "[ -]?".join(words) + r"(?![a-z0-9])"


def _inflected(word: str) -> str:
    if len(word) < 3 or not word.isalpha() or not word.isascii():
        return re.escape(word)
    if word.endswith("e"):
        return word[:-1] + "(?:e|es|ed|ing|er|ers)"
    if word.endswith("y") and word[-2] not in _VOWELS:
        return word[:-1] + "(?:y|ies|ied|ying)"
    return f"{word}(?:s|es|ed|ing|er|ers|'s|{word[-1]}(?:ed|ing|er|ers))?"


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
