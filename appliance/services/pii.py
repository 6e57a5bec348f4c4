"""Personal data in chat text: find it and mask it for display.

Three kinds, the ones a bank's agents see typed into chats every day:
- ``mobile``: a mainland China mobile number, 11 digits starting 13-19, optionally
  with +86 / 86 in front and spaces or hyphens in the usual 3-4-4 places;
- ``id_number``: an 18-character resident identity number whose ISO 7064 MOD 11-2
  check character is right (so an arbitrary 18-digit run is not taken for one);
- ``card``: a payment card number, 13-19 digits, optionally in groups separated by
  spaces or hyphens, whose Luhn check digit is right.

Pure functions, no I/O: the agent namespace masks what it sends, and the reveal
service (permission-checked, audited) hands out the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "*"

# Digits may not touch the match on either side: "013812345678" is no mobile number.
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])")
_CARD = re.compile(r"(?<![\d-])(\d{4,6}(?:[ -]?\d{2,6}){2,4})(?![\d-])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class Found:
    kind: str  # "mobile" | "id_number" | "card"
    start: int
    end: int


def id_number_valid(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_pii(text: str) -> list[Found]:
    """The PII in `text`, in order, without overlaps (an ID number wins over a card)."""
    if not any(c.isdigit() for c in text):
        return []
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _ID_NUMBER.finditer(text):
        if id_number_valid(match.group(1)):
            found.append(Found("id_number", match.start(1), match.end(1)))
            taken.append((match.start(1), match.end(1)))
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(1))
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and free(*match.span(1)):
            found.append(Found("card", match.start(1), match.end(1)))
            taken.append(match.span(1))
    for match in _MOBILE.finditer(text):
        if free(*match.span()):
            found.append(Found("mobile", match.start(), match.end()))
            taken.append(match.span())
    found.sort(key=lambda f: f.start)
    return found


def _mask_span(value: str, keep_head: int, keep_tail: int) -> str:
    """Replace digits (and X) with MASK except the first keep_head and last keep_tail,
    keeping separators where they were so the shape stays readable."""
    positions = [i for i, c in enumerate(value) if c.isdigit() or c in "Xx"]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join(MASK if i in hidden else c for i, c in enumerate(value))


_KEEP = {"mobile": (3, 4), "id_number": (3, 4), "card": (4, 4)}


def mask_text(text: str) -> str:
    """`text` with every mobile, ID and card number masked: 138****5678."""
    found = find_pii(text)
    if not found:
        return text
    parts: list[str] = []
    cursor = 0
    for item in found:
        parts.append(text[cursor : item.start])
        value = text[item.start : item.end]
        if item.kind == "mobile":
            # +86 prefixes stay visible; the 11 national digits are masked 3-4-4.
            national = len([c for c in value if c.isdigit()]) - 11
            head, tail = _KEEP["mobile"]
            parts.append(_mask_span(value, head + national, tail))
        else:
            parts.append(_mask_span(value, *_KEEP[item.kind]))
        cursor = item.end
    parts.append(text[cursor:])
    return "".join(parts)
