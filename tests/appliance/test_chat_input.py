"""Bad input over Socket.IO: a stable error code in the ack, and nothing stored."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.db import db
from appliance.models import Message
from tests.appliance.chat_helpers import Chat


@pytest.fixture
def chat(app):
    return Chat(app)


@pytest.fixture
def pair(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    return agent, visitor, visitor.start()["id"]


def _stored():
    with db.connection_context():
        return Message.select().count()


@pytest.mark.parametrize(
    ("payload", "code", "names"),
    [
        ("not an object", "invalid_payload", "payload"),
        ({"client_msg_id": "a", "text": "x"}, "invalid_payload", "conversation_id"),
        (
            {"conversation_id": 5, "client_msg_id": "a", "text": "x"},
            "invalid_payload",
            "conversation_id",
        ),
        (
            {"conversation_id": "CID", "client_msg_id": "", "text": "x"},
            "invalid_payload",
            "client_msg_id",
        ),
        (
            {"conversation_id": "CID", "client_msg_id": "a b", "text": "x"},
            "invalid_payload",
            "client_msg_id",
        ),
        ({"conversation_id": "CID", "client_msg_id": "a", "text": 7}, "invalid_payload", "text"),
        (
            {"conversation_id": "CID", "client_msg_id": "a", "text": "   "},
            "invalid_payload",
            "text",
        ),
        (
            {"conversation_id": "CID", "client_msg_id": "a", "text": "x", "html": 1},
            "invalid_payload",
            "html",
        ),
        ({"conversation_id": "CID", "client_msg_id": "a", "text": "x" * 8193}, "too_large", "text"),
    ],
)
def test_it_refuses_a_bad_message_payload(pair, payload, code, names):
    _, visitor, conversation_id = pair
    if isinstance(payload, dict) and payload.get("conversation_id") == "CID":
        payload = {**payload, "conversation_id": conversation_id}
    ack = visitor.emit("send_message", payload)
    assert ack["ok"] is False
    assert ack["code"] == code
    assert ack["error"].startswith(names)
    assert _stored() == 0


def test_it_accepts_text_at_the_limit_counted_in_utf8_bytes(pair):
    _, visitor, conversation_id = pair
    text = "中" * (8192 // 3)  # 3 bytes each
    assert visitor.send(conversation_id, text)["text"] == text
    ack = visitor.emit(
        "send_message",
        {"conversation_id": conversation_id, "client_msg_id": "b", "text": "中" * 2731},
    )
    assert ack["code"] == "too_large"


def test_it_honours_a_configured_text_limit(settings):
    from appliance import create_app

    small = dataclasses.replace(
        settings, chat=dataclasses.replace(settings.chat, max_text_bytes=10)
    )
    chat = Chat(create_app(small))
    chat.agent("ann")
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    ack = visitor.emit(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "a", "text": "x" * 11}
    )
    assert ack["code"] == "too_large"


def test_it_stores_markup_as_inert_text(pair):
    agent, visitor, conversation_id = pair
    text = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    visitor.send(conversation_id, text)
    assert agent.received("message_posted")[-1]["text"] == text
    assert agent.sync(conversation_id)[-1]["text"] == text


def test_it_refuses_unknown_events(pair):
    _, visitor, _ = pair
    ack = visitor.emit("drop_tables", {})
    assert ack == {"ok": False, "code": "unknown_event", "error": "No such event: drop_tables"}


def test_it_refuses_agent_events_on_the_visitor_namespace(pair):
    _, visitor, _ = pair
    ack = visitor.emit("set_status", {"status": "online"})
    assert ack["code"] == "unknown_event"


def test_it_rate_limits_a_flooding_connection(pair):
    _, visitor, conversation_id = pair
    codes = [
        visitor.emit("typing", {"conversation_id": conversation_id, "typing": True}).get("code")
        for _ in range(60)
    ]
    assert "rate_limited" in codes
    first_refusal = codes.index("rate_limited")
    assert first_refusal >= 39  # the burst (40, counting start_conversation) went through


def test_it_refuses_a_bad_agent_status(chat):
    agent = chat.agent("ann", online=False)
    assert agent.emit("set_status", {"status": "asleep"})["code"] == "invalid_payload"
    assert (
        agent.emit("set_status", {"status": "online", "capacity": 0})["code"] == "invalid_payload"
    )
    assert (
        agent.emit("set_status", {"status": "online", "capacity": True})["code"]
        == "invalid_payload"
    )
