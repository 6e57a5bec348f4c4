"""Canonical bytes are RFC 8785 JCS, exactly one spelling per event, and parse back exactly."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from audit.canonical import canonical_bytes
from audit.canonical import event_from_canonical
from audit.canonical import format_time
from audit.errors import EventFormatError
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Result
from audit.events import Target
from tests.audit.conftest import AGENT
from tests.audit.conftest import T0
from tests.audit.conftest import make_event

LOGIN = (
    '{"action":301,"action_name":"LOGIN_SUCCEEDED",'
    '"actor":{"id":"agent:17","ip":"10.1.2.3","role":"agent","session_id":"s-1"},'
    '"details":{},"request_id":null,"result":{"ok":true,"reason":null},'
    '"target":{"id":"agent:17","type":"user"},'
    '"time":"2026-11-21T08:00:00.000Z","time_ms":1795248000000,"v":1}'
)


def test_it_writes_a_login_exactly() -> None:
    event = AuditEvent(
        time_ms=T0,
        actor=AGENT,
        action=EventType.LOGIN_SUCCEEDED,
        target=Target("user", "agent:17"),
        result=Result(ok=True),
    )
    assert canonical_bytes(event) == LOGIN.encode()


def test_it_writes_chinese_text_and_nested_details_exactly() -> None:
    event = AuditEvent(
        time_ms=T0 + 1234,
        actor=Actor(id="坐席:张三", role="agent"),
        action=EventType.PII_REVEALED,
        target=Target("customer", "客户-42"),
        result=Result(ok=False, reason="权限不足"),
        request_id="r\u00e9q\n1",
        details={
            "字段": ["手机号", "身份证"],
            "b": {"z": None, "a": [1, -2, True, {"\u20ac": "€"}]},
            "\U0001f600": "emoji key (UTF-16 D83D) sorts before U+FB01",
            "\ufb01": "ﬁ",
            "ctl": '\u0001\u001f"\\/',
        },
    )
    expected = (
        '{"action":506,"action_name":"PII_REVEALED",'
        '"actor":{"id":"坐席:张三","ip":null,"role":"agent","session_id":null},'
        '"details":{"b":{"a":[1,-2,true,{"€":"€"}],"z":null},'
        '"ctl":"\\u0001\\u001f\\"\\\\/",'
        '"字段":["手机号","身份证"],'
        '"\U0001f600":"emoji key (UTF-16 D83D) sorts before U+FB01",'
        '"\ufb01":"ﬁ"},'
        '"request_id":"réq\\n1","result":{"ok":false,"reason":"权限不足"},'
        '"target":{"id":"客户-42","type":"customer"},'
        '"time":"2026-11-21T08:00:01.234Z","time_ms":1795248001234,"v":1}'
    )
    assert canonical_bytes(event).decode("utf-8") == expected
    assert event_from_canonical(expected.encode()) == event


def test_it_formats_time_as_utc_milliseconds() -> None:
    assert format_time(0) == "1970-01-01T00:00:00.000Z"
    assert format_time(T0 + 7) == "2026-11-21T08:00:00.007Z"
    assert format_time(253_402_300_799_999) == "9999-12-31T23:59:59.999Z"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    time_ms=st.integers(0, 253_402_300_799_999),
    text=st.text(max_size=12),
    optional=st.none() | st.text(max_size=12),
    action=st.sampled_from(list(EventType)),
    ok=st.booleans(),
    details=st.dictionaries(st.text(max_size=6), json_values, max_size=5),
)
def test_it_round_trips_exactly(
    time_ms: int,
    text: str,
    optional: str | None,
    action: EventType,
    ok: bool,
    details: dict[str, JSONValue],
) -> None:
    event = AuditEvent(
        time_ms=time_ms,
        actor=Actor(id=text, role="agent", ip=optional, session_id=optional),
        action=action,
        target=Target(type="t", id=text),
        result=Result(ok=ok, reason=optional),
        request_id=optional,
        details=details,
    )
    data = canonical_bytes(event)
    assert event_from_canonical(data) == event
    assert canonical_bytes(event_from_canonical(data)) == data
    # RFC 8785 output is plain JSON with sorted keys and no whitespace.
    assert json.loads(data)["action"] == int(action)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda s: s.replace('"v":1', '"v":2'), "version"),
        (lambda s: s.replace('"v":1}', '"v":1,"extra":0}'), "unknown keys"),
        (lambda s: s.replace('"request_id":null,', ""), "missing keys"),
        (lambda s: s.replace('"action":301', '"action":399'), "unknown action"),
        (lambda s: s.replace("LOGIN_SUCCEEDED", "LOGOUT"), "action_name"),
        (lambda s: s.replace("08:00:00.000Z", "08:00:00.001Z"), "does not match time_ms"),
        (lambda s: s.replace('"time_ms":1795248000000', '"time_ms":1795248000000.0'), "float"),
        (lambda s: s.replace('"details":{}', '"details":{"x":1.5}'), "float"),
        (lambda s: s.replace('"details":{}', '"details":{"x":NaN}'), "NaN"),
        (lambda s: s.replace('"details":{}', '"details":{"a":1,"a":2}'), "duplicate"),
        (lambda s: s.replace('"details":{}', '"details":[]'), "details"),
        (lambda s: s.replace('"ok":true', '"ok":1'), "bool"),
        (lambda s: s.replace(",", ", ", 1), "canonical"),
        (
            lambda s: s.replace('"details":{},"request_id":null', '"request_id":null,"details":{}'),
            "canonical",
        ),
        (lambda s: s.replace("agent:17", "agent:\\u0031\\u0037", 1), "canonical"),
        (lambda s: s + "\n", "canonical"),
        (lambda s: s[:-1], "JSON"),
    ],
)
def test_it_refuses_anything_but_the_canonical_form(mutate: object, reason: str) -> None:
    data = mutate(LOGIN).encode()  # type: ignore[operator]
    with pytest.raises(EventFormatError, match=reason):
        event_from_canonical(data)


def test_it_refuses_invalid_utf8() -> None:
    with pytest.raises(EventFormatError, match="UTF-8"):
        event_from_canonical(LOGIN.encode().replace(b"agent", b"ag\xffnt"))


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"x": 1.0}, "floats"),
        ({"x": 2**53}, "outside"),
        ({"x": (1, 2)}, "tuple"),
        ({1: "x"}, "not a string"),
        ({"x": {"y": [float("nan")]}}, "floats"),
        ({"x": b"bytes"}, "bytes"),
    ],
)
def test_it_refuses_details_without_one_spelling(
    details: dict[object, object], reason: str
) -> None:
    with pytest.raises(EventFormatError, match=reason):
        make_event(0, details=details)


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_ms", -1), ("time_ms", True), ("time_ms", 1.0), ("action", 301), ("request_id", 5)],
)
def test_it_refuses_malformed_fields(field: str, value: object) -> None:
    with pytest.raises(EventFormatError):
        make_event(0, **{field: value})


def test_it_keeps_its_own_copy_of_details() -> None:
    details: dict[str, list[int]] = {"list": [1]}
    event = make_event(0, details=details)
    before = canonical_bytes(event)
    details["list"].append(2)
    assert canonical_bytes(event) == before


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=()))  # with lone surrogates
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(codec=None, exclude_categories=())), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_its_fast_serialiser_spells_values_as_the_reference_does(value) -> None:
    import rfc8785

    from audit.canonical import jcs

    try:
        expected = rfc8785.dumps(value)
    except Exception as refused:  # a lone surrogate: both refuse it alike
        with pytest.raises(type(refused)):
            jcs(value)
        return
    assert jcs(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # UTF-16 order differs from code-point order
        {"a\u2028b": '\x00\x1f\x7f"\\/'},  # line separator, controls, DEL, quote, solidus
        {"中文": "银行卡", "z": [1, -2, True, None]},
    ],
)
def test_its_fast_serialiser_agrees_on_the_edges(value) -> None:
    import rfc8785

    from audit.canonical import jcs

    assert jcs(value) == rfc8785.dumps(value)
