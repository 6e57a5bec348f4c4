"""What a valid queue looks like: its fields, skills, languages, overflow chains.

A queue's fields arrive as a JSON-like mapping (the HTTP body, or what the CLI
builds from its options). Each check returns the normalised value or raises
errors.InvalidQueue (errors.InvalidPayload for an agent's skills and languages)
with a message naming the field. Nothing here reads the database: whether an
overflow target exists is for services/queues.py to ask.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from appliance import errors
from appliance.queries.routing import LEAVE_MESSAGE
from appliance.queries.routing import Localized
from appliance.routing.hours import HoursError
from appliance.routing.hours import parse_hours
from appliance.services._directory_rules import NAME

STRATEGIES = ("least_busy", "round_robin", "longest_idle", "manual")
MAX_DISPLAY_NAME_CHARS = 100
MAX_MESSAGE_CHARS = 500
MAX_OVERFLOW_STEPS = 8
MAX_QUEUE_LENGTH = 10_000
MAX_WAIT_SECONDS = 86_400
OFFER_TIMEOUT_SECONDS = (0, 600)  # 0: assign directly, no offer to accept
MAX_SKILLS = 50
MAX_LANGUAGES = 10
LEVELS = (1, 5)
_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(-[A-Za-z]{4})?(-[A-Za-z]{2}|-\d{3})?\Z")

FIELDS = (
    "display_name",
    "strategy",
    "required_skill",
    "min_level",
    "language",
    "prefer_last_agent",
    "max_queue_length",
    "max_wait_seconds",
    "overflow",
    "hours",
    "welcome_message",
    "queue_message",
    "offer_timeout_seconds",
)
_NO_TEXT = Localized(zh_cn="", en="")


def queue_defaults(name: str) -> dict[str, Any]:
    """The fields of a new queue called `name`, before any are given."""
    return {
        "display_name": Localized(zh_cn=name, en=name),
        "strategy": "least_busy",
        "required_skill": None,
        "min_level": 1,
        "language": None,
        "prefer_last_agent": False,
        "max_queue_length": 0,
        "max_wait_seconds": 0,
        "overflow": (),
        "hours": None,
        "welcome_message": _NO_TEXT,
        "queue_message": _NO_TEXT,
        "offer_timeout_seconds": 0,
    }


def check_queue_name(raw: object, where: str = "name") -> str:
    name = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME.fullmatch(name):
        raise errors.InvalidQueue(f"{where}: expected 1-64 of a-z, 0-9, '.', '_', '-'")
    if name == LEAVE_MESSAGE:
        raise errors.InvalidQueue(f"{where}: {LEAVE_MESSAGE!r} is reserved for the overflow chain")
    return name


def check_skills(raw: Mapping[str, Any]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise errors.InvalidPayload('skills: expected an object {"skill": level, ...}')
    if len(raw) > MAX_SKILLS:
        raise errors.InvalidPayload(f"skills: at most {MAX_SKILLS}")
    skills: dict[str, int] = {}
    for key, level in raw.items():
        skill = key.strip().lower() if isinstance(key, str) else ""
        if not NAME.fullmatch(skill):
            raise errors.InvalidPayload(f"skills: {key!r} is not a skill name (1-64 of a-z0-9._-)")
        if skill in skills:
            raise errors.InvalidPayload(f"skills.{skill}: given twice")
        skills[skill] = _integer(level, f"skills.{skill}", *LEVELS, error=errors.InvalidPayload)
    return skills


def check_language(raw: object, where: str) -> str:
    match = _LANGUAGE.match(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise errors.InvalidPayload(f"{where}: expected a language tag such as zh-CN or en")
    primary, script, region = match.groups()
    return primary.lower() + (script or "").title() + (region or "").upper()


def check_languages(raw: Sequence[str]) -> frozenset[str]:
    if isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) > MAX_LANGUAGES:
        raise errors.InvalidPayload(f"languages: expected a list of at most {MAX_LANGUAGES} tags")
    return frozenset(check_language(tag, f"languages[{n}]") for n, tag in enumerate(raw))


def apply_fields(base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the validated `given` fields applied; cross-field rules checked.

    Overflow targets are checked for shape only, not that they exist.
    """
    if not isinstance(given, Mapping):
        raise errors.InvalidQueue("expected a JSON object of queue fields")
    unknown = sorted(str(key) for key in given if key not in FIELDS)
    if unknown:
        raise errors.InvalidQueue(f"{unknown[0]}: unknown field; expected {', '.join(FIELDS)}")
    state = dict(base)
    for key, raw in given.items():
        state[key] = _CHECKS[key](raw, key, base[key])
    if state["required_skill"] is None and state["min_level"] != 1:
        if "min_level" in given:
            raise errors.InvalidQueue("min_level: applies only with a required_skill")
        state["min_level"] = 1
    return state


def cycle_through(start: str, graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """A path start -> ... -> start in `graph`, or [] (only `start`'s edges changed)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for step in graph.get(node, ()):
            if step == start:
                return [*path, start]
            if step not in seen:
                seen.add(step)
                stack.append((step, [*path, step]))
    return []


def queue_columns(state: Mapping[str, Any]) -> dict[str, Any]:
    """The Queue row's column values for a validated `state`."""

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    columns = {key: state[key] for key in FIELDS}
    for key in ("display_name", "welcome_message", "queue_message"):
        columns[key] = dump(state[key].as_json())
    columns["overflow"] = dump(list(state["overflow"]))
    columns["hours"] = None if state["hours"] is None else dump(state["hours"].as_json())
    return columns


# --- one check per field ----------------------------------------------------------------


def _text(raw: object, where: str, *, limit: int, multiline: bool) -> str:
    if not isinstance(raw, str):
        raise errors.InvalidQueue(f"{where}: expected a string")
    text = raw.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise errors.InvalidQueue(f"{where}: at most {limit} characters")
    for char in text:
        if unicodedata.category(char)[0] == "C" and not (multiline and char == "\n"):
            raise errors.InvalidQueue(f"{where}: control or invisible characters are not allowed")
    return text


def _localized(*, limit: int, multiline: bool, required: bool) -> Any:
    def check(raw: object, where: str, current: Localized) -> Localized:
        if not isinstance(raw, Mapping) or not raw or set(raw) - {"zh-CN", "en"}:
            raise errors.InvalidQueue(f'{where}: expected {{"zh-CN": text, "en": text}}')
        value = asdict(current) | {
            "zh_cn" if lang == "zh-CN" else "en": _text(
                text, f"{where}.{lang}", limit=limit, multiline=multiline
            )
            for lang, text in raw.items()
        }
        if required and not all(value.values()):
            raise errors.InvalidQueue(f"{where}: cannot be empty")
        return Localized(**value)

    return check


def _integer(
    raw: object, where: str, low: int, high: int, error: type[errors.AppError] = errors.InvalidQueue
) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        raise error(f"{where}: expected a whole number from {low} to {high}")
    return raw


def _choice(raw: object, where: str, _: object) -> str:
    if raw not in STRATEGIES:
        raise errors.InvalidQueue(f"{where}: expected one of {', '.join(STRATEGIES)}")
    return str(raw)


def _optional_skill(raw: object, where: str, _: object) -> str | None:
    if raw is None:
        return None
    skill = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME.fullmatch(skill):
        raise errors.InvalidQueue(f"{where}: expected null or a skill name (1-64 of a-z0-9._-)")
    return skill


def _optional_language(raw: object, where: str, _: object) -> str | None:
    try:
        return None if raw is None else check_language(raw, where)
    except errors.InvalidPayload as exc:
        raise errors.InvalidQueue(exc.message) from None


def _flag(raw: object, where: str, _: object) -> bool:
    if not isinstance(raw, bool):
        raise errors.InvalidQueue(f"{where}: expected true or false")
    return raw


def _overflow(raw: object, where: str, _: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_OVERFLOW_STEPS:
        raise errors.InvalidQueue(f"{where}: expected a list of at most {MAX_OVERFLOW_STEPS}")
    chain: list[str] = []
    for n, item in enumerate(raw):
        at = f"{where}[{n}]"
        if isinstance(item, str) and item.strip().lower() == LEAVE_MESSAGE:
            if n != len(raw) - 1:
                raise errors.InvalidQueue(f"{at}: {LEAVE_MESSAGE!r} can only come last")
            step = LEAVE_MESSAGE
        else:
            step = check_queue_name(item, at)
        if step in chain:
            raise errors.InvalidQueue(f"{at}: {step!r} is listed twice")
        chain.append(step)
    return tuple(chain)


def _hours(raw: object, where: str, _: object) -> Any:
    try:
        return None if raw is None else parse_hours(raw, where)
    except HoursError as exc:
        raise errors.InvalidQueue(str(exc)) from None


def _ranged(low: int, high: int) -> Any:
    return lambda raw, where, _: _integer(raw, where, low, high)


_CHECKS: dict[str, Any] = {
    "display_name": _localized(limit=MAX_DISPLAY_NAME_CHARS, multiline=False, required=True),
    "strategy": _choice,
    "required_skill": _optional_skill,
    "min_level": _ranged(*LEVELS),
    "language": _optional_language,
    "prefer_last_agent": _flag,
    "max_queue_length": _ranged(0, MAX_QUEUE_LENGTH),
    "max_wait_seconds": _ranged(0, MAX_WAIT_SECONDS),
    "overflow": _overflow,
    "hours": _hours,
    "welcome_message": _localized(limit=MAX_MESSAGE_CHARS, multiline=True, required=False),
    "queue_message": _localized(limit=MAX_MESSAGE_CHARS, multiline=True, required=False),
    "offer_timeout_seconds": _ranged(*OFFER_TIMEOUT_SECONDS),
}
