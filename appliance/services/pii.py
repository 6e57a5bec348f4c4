"""Personal data in chat text: find it and mask it for display.

Three kinds, the ones a bank's agents see typed into chats every day:
- ``mobile``: a mainland China mobile number, 11 digits starting 13-19, optionally
  with +86 / 86 in front and spaces or hyphens in the usual 3-4-4 places;
- ``id_number``: an 18-character resident identity number whose ISO 7064 MOD 11-2
  check character is right and whose birth date is a plausible date (so an
  arbitrary 18-digit run, an order number, is not taken for one);
- ``card``: a payment card number, 13-19 digits, optionally in groups separated by
  spaces or hyphens, whose Luhn check digit is right and whose first digits are a
  card network's (2221-2720, 3, 4, 5, 6: UnionPay 62, Visa 4, Mastercard, Amex,
  JCB, Discover). A run starting 0, 1, 7, 8 or 9 — a millisecond timestamp, most
  order numbers — is not a card even when its Luhn digit happens to fit.

Full-width digits (０-９, what a Chinese IME types in full-width mode) count as
digits: matching runs on a copy with them made ASCII, which has the same length,
so spans point into the original text.

Pure functions, no I/O: the agent namespace masks what it sends, and the reveal
service (permission-checked, audited) hands out the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MASK = "*"

_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_ANY_DIGIT = re.compile(r"[0-9\uff10-\uff19]")

# Digits may not touch the match on either side: "013812345678" is no mobile number.
_MOBILE = re.compile(
    r"(?<![0-9+])(?:\+?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])"
)
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{17}[0-9Xx])(?![0-9A-Za-z])")
# Groups as printed or typed: 4-4-4-4, 4-6-5, 6-13, 4-4-4-4-3; the last may be short.
_CARD = re.compile(r"(?<![0-9-])([0-9]{4,6}(?:[ -]?[0-9]{1,6}){2,5})(?![0-9-])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# How many digits stay visible at the start and the end of each kind.
KEEP = {"mobile": (3, 4), "id_number": (3, 4), "card": (4, 4)}


@dataclass(frozen=True, slots=True)
class Found:
    kind: str  # "mobile" | "id_number" | "card"
    start: int
    end: int


def id_number_valid(value: str) -> bool:
    value = value.translate(_FULLWIDTH)
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    if value[0] not in "12345678":  # province codes run 11-82
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not (1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
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


def card_prefix_valid(digits: str) -> bool:
    """Issued by a card network: 3, 4, 5, 6, or Mastercard's 2221-2720."""
    if digits[0] in "3456":
        return True
    return digits[0] == "2" and 2221 <= int(digits[:4]) <= 2720


def find_pii(text: str) -> list[Found]:
    """The PII in `text`, in order, without overlaps (an ID number wins over a card,
    a card over a mobile number)."""
    if _ANY_DIGIT.search(text) is None:  # most chat lines: one C-speed scan, done
        return []
    plain = text.translate(_FULLWIDTH)
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _ID_NUMBER.finditer(plain):
        if id_number_valid(match.group(1)):
            found.append(Found("id_number", match.start(1), match.end(1)))
            taken.append(match.span(1))
    for match in _CARD.finditer(plain):
        digits = match.group(1).replace(" ", "").replace("-", "")
        if (
            13 <= len(digits) <= 19
            and card_prefix_valid(digits)
            and luhn_valid(digits)
            and free(*match.span(1))
        ):
            found.append(Found("card", match.start(1), match.end(1)))
            taken.append(match.span(1))
    for match in _MOBILE.finditer(plain):
        if free(*match.span()):
            found.append(Found("mobile", match.start(), match.end()))
            taken.append(match.span())
    found.sort(key=lambda f: f.start)
    return found


def _is_digit(char: str) -> bool:
    return char.translate(_FULLWIDTH) in "0123456789Xx"


def _mask_span(value: str, keep_head: int, keep_tail: int) -> str:
    """Replace digits (and X) with MASK except the first keep_head and last keep_tail,
    keeping separators where they were so the shape stays readable."""
    positions = [i for i, c in enumerate(value) if _is_digit(c)]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join(MASK if i in hidden else c for i, c in enumerate(value))


def mask_found(text: str, found: list[Found]) -> str:
    """`text` with the `found` items (from find_pii(text)) masked."""
    if not found:
        return text
    parts: list[str] = []
    cursor = 0
    for item in found:
        parts.append(text[cursor : item.start])
        value = text[item.start : item.end]
        head, tail = KEEP[item.kind]
        if item.kind == "mobile":
            # A +86 prefix stays visible; the 11 national digits are masked 3-4-4.
            head += sum(1 for c in value if _is_digit(c)) - 11
        parts.append(_mask_span(value, head, tail))
        cursor = item.end
    parts.append(text[cursor:])
    return "".join(parts)


def mask_text(text: str) -> str:
    """`text` with every mobile, ID and card number masked: 138****5678."""
    return mask_found(text, find_pii(text))


def masked_view(message: dict[str, Any]) -> dict[str, Any]:
    """A message view as the /agent namespace delivers it: PII masked, and
    ``"masked": true`` when anything was (the reveal_message event gives the original).

    The view itself is returned, not a copy, when there is nothing to mask: the
    visitor's emit and ack may share it. An unreadable message (``"text": null``,
    queries/chat.py `message_view`) has nothing to mask and is returned as it is."""
    text = message["text"]
    if text is None:
        return message
    found = find_pii(text)
    if not found:
        return message
    return {**message, "text": mask_found(text, found), "masked": True}
