"""Validating event payloads at the edge: types, required fields, sizes, no unknown fields.

A Schema is a mapping of field name to Field. `validate` returns a plain dict
with defaults filled in, or raises InvalidPayload naming the first bad field
(TooLarge for over-long text). Deliberately tiny: the payloads are flat.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance import errors

CLIENT_MSG_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}\Z")
GROUP = re.compile(r"[a-z0-9_.-]{1,64}\Z")


@dataclass(frozen=True)
class Field:
    kind: type
    required: bool = True
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    max_bytes: Callable[[], int] | None = None  # for text: a limit read from settings


Schema = dict[str, Field]


def validate(schema: Schema, payload: object) -> dict[str, Any]:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise errors.InvalidPayload("payload: expected a JSON object")
    unknown = sorted(set(payload) - set(schema))
    if unknown:
        raise errors.InvalidPayload(f"{unknown[0]}: unknown field")
    clean: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in payload:
            if field.required:
                raise errors.InvalidPayload(f"{name}: required")
            clean[name] = field.default
            continue
        clean[name] = _check(name, field, payload[name])
    return clean


def _check(name: str, field: Field, value: object) -> object:
    # bool is an int subclass: `seq: true` must not pass as 1.
    if type(value) is not field.kind:
        raise errors.InvalidPayload(f"{name}: expected {_kind_name(field.kind)}")
    if isinstance(value, int) and not isinstance(value, bool):
        if field.minimum is not None and value < field.minimum:
            raise errors.InvalidPayload(f"{name}: must be at least {field.minimum}")
        if field.maximum is not None and value > field.maximum:
            raise errors.InvalidPayload(f"{name}: must be at most {field.maximum}")
    if isinstance(value, str):
        if field.choices and value not in field.choices:
            raise errors.InvalidPayload(f"{name}: expected one of {', '.join(field.choices)}")
        if field.pattern is not None and not field.pattern.match(value):
            raise errors.InvalidPayload(f"{name}: malformed")
        if field.max_bytes is not None:
            if not value.strip():
                raise errors.InvalidPayload(f"{name}: must not be empty")
            limit = field.max_bytes()
            if len(value.encode("utf-8", "surrogatepass")) > limit:
                raise errors.TooLarge(f"{name}: longer than {limit} bytes")
            if _has_surrogates(value):
                raise errors.InvalidPayload(f"{name}: not valid Unicode")
    return value


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false"}.get(kind, kind.__name__)
