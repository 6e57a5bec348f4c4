"""The canonical bytes of an audit event: the exact bytes that are hashed into the log.

RFC 8785 (JSON Canonicalization Scheme): UTF-8, no insignificant whitespace,
object keys sorted by their UTF-16 code units, strings escaped minimally. We
add two rules of our own so that an event has exactly one spelling: no
floats anywhere, and integers within ±(2**53 - 1). The object always has the
same ten keys (docs/audit.md, "Canonical form"):

    {"action":301,"action_name":"LOGIN_SUCCEEDED","actor":{"id":..,"ip":..,
     "role":..,"session_id":..},"details":{..},"request_id":..,
     "result":{"ok":true,"reason":null},"target":{"id":..,"type":..},
     "time":"2026-11-20T08:00:00.000Z","time_ms":1795248000000,"v":1}

"time" and "action_name" are derived (from time_ms and action) so a human can
read an exported line; the parser refuses them if they disagree.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import NoReturn

import rfc8785

from audit.errors import EventFormatError
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import Result
from audit.events import Target

FORMAT_VERSION = 1
EVENT_KEYS = frozenset(
    {"v", "time_ms", "time", "actor", "action", "action_name"}
    | {"target", "result", "request_id", "details"}
)
ACTOR_KEYS = frozenset({"id", "role", "ip", "session_id"})
TARGET_KEYS = frozenset({"type", "id"})
RESULT_KEYS = frozenset({"ok", "reason"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# The last second format_time spelled: events come many to a second, and building
# a datetime for each was a visible share of writing one (one tuple: atomic to swap).
_last_second: tuple[int, str] = (-1, "")


def format_time(time_ms: int) -> str:
    """Return RFC 3339 UTC with milliseconds, e.g. "2026-11-20T08:00:00.000Z"."""
    global _last_second
    second, milliseconds = divmod(time_ms, 1000)
    cached, prefix = _last_second
    if second != cached:
        t = _EPOCH + timedelta(seconds=second)
        prefix = (
            f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        )
        _last_second = (second, prefix)
    return f"{prefix}.{milliseconds:03d}Z"


def event_to_json(event: AuditEvent) -> dict[str, Any]:
    """Return the JSON object whose RFC 8785 serialisation is the canonical form."""
    return {
        "v": FORMAT_VERSION,
        "time_ms": event.time_ms,
        "time": format_time(event.time_ms),
        "actor": {
            "id": event.actor.id,
            "role": event.actor.role,
            "ip": event.actor.ip,
            "session_id": event.actor.session_id,
        },
        "action": int(event.action),
        "action_name": event.action.name,
        "target": {"type": event.target.type, "id": event.target.id},
        "result": {"ok": event.result.ok, "reason": event.result.reason},
        "request_id": event.request_id,
        "details": event.details,
    }


# Where Python's key order (code points) may differ from RFC 8785's (UTF-16 code
# units): only when a key holds a character from U+E000 up. Text without any such
# character (all of ASCII, and Chinese) is ordered the same either way.
_UTF16_ORDER_MATTERS = re.compile("[\ue000-\U0010ffff]")
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of a float-free JSON value.

    The standard library's serialiser, sorting keys and escaping minimally, spells
    such a value exactly as RFC 8785 does (same escapes, lowercase \\u00xx, integers
    as digits) and is several times faster than the reference implementation,
    which this falls back to when a character's UTF-16 order could matter or the
    text holds a lone surrogate (which it refuses). tests/audit/test_canonical.py
    checks the two against each other on generated values.
    """
    text = _ENCODER.encode(value)
    if text.isascii():  # the usual case: neither a late character nor a surrogate
        return text.encode("ascii")
    if _UTF16_ORDER_MATTERS.search(text) is None:
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(value)


def canonical_bytes(event: AuditEvent) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of `event` (what the log hashes)."""
    try:
        return jcs(event_to_json(event))
    except rfc8785.CanonicalizationError as exc:
        # Unreachable for a validated AuditEvent; kept so no foreign error escapes.
        raise EventFormatError(str(exc)) from None


def _refuse(what: str) -> NoReturn:
    raise EventFormatError(what)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        _refuse("duplicate object key")
    return result


def _object(value: object, keys: frozenset[str], name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _refuse(f"{name} must be an object")
    if set(value) != keys:
        unknown = sorted(set(value) - keys)
        missing = sorted(keys - set(value))
        _refuse(f"{name}: unknown keys {unknown}, missing keys {missing}")
    return value


def event_from_canonical(data: bytes) -> AuditEvent:
    """Parse canonical event bytes back into an AuditEvent; strict and exact.

    Raises EventFormatError unless `data` is exactly `canonical_bytes(e)` for
    some event e: invalid UTF-8, floats, duplicate or unknown keys, a wrong
    shape, an unknown action code, disagreeing derived fields and
    non-canonical spelling (whitespace, key order, escapes) are all refused.
    """
    try:
        text = data.decode("utf-8")
        raw = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_float=lambda s: _refuse(f"float {s} not allowed"),
            parse_constant=lambda s: _refuse(f"{s} not allowed"),
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EventFormatError(f"not UTF-8 JSON ({type(exc).__name__})") from None
    top = _object(raw, EVENT_KEYS, "event")
    if type(top["v"]) is not int or top["v"] != FORMAT_VERSION:
        _refuse(f"unknown format version {top['v']!r}")
    code = top["action"]
    if type(code) is not int or code not in EventType._value2member_map_:
        _refuse(f"unknown action code {code!r}")
    action = EventType(code)
    if top["action_name"] != action.name:
        _refuse(f"action_name {top['action_name']!r} does not match code {code}")
    actor = _object(top["actor"], ACTOR_KEYS, "actor")
    target = _object(top["target"], TARGET_KEYS, "target")
    result = _object(top["result"], RESULT_KEYS, "result")
    details = top["details"]
    if not isinstance(details, dict):
        _refuse("details must be an object")
    event = AuditEvent(
        time_ms=top["time_ms"],
        actor=Actor(
            id=actor["id"], role=actor["role"], ip=actor["ip"], session_id=actor["session_id"]
        ),
        action=action,
        target=Target(type=target["type"], id=target["id"]),
        result=Result(ok=result["ok"], reason=result["reason"]),
        request_id=top["request_id"],
        details=details,
    )
    if top["time"] != format_time(event.time_ms):
        _refuse(f"time {top['time']!r} does not match time_ms {event.time_ms}")
    if canonical_bytes(event) != data:
        _refuse("not in RFC 8785 canonical form")
    return event
