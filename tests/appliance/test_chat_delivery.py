"""Delivery guarantees through the handlers: idempotent resend, catch-up, closed conversations."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Message
from audit.events import EventType
from tests.appliance.chat_helpers import Chat


@pytest.fixture
def chat(any_app):
    """Every test here runs on SQLite and on PostgreSQL."""
    return Chat(any_app)


@pytest.fixture
def pair(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    return agent, visitor, visitor.start()["id"]


def _count(model, *where):
    with db.connection_context():
        return model.select().where(*where).count()


def test_it_acks_a_resend_with_the_original_and_stores_it_once(pair):
    agent, visitor, conversation_id = pair
    payload = {"conversation_id": conversation_id, "client_msg_id": "c-1", "text": "once"}
    first = visitor.ok("send_message", payload)
    again = visitor.ok("send_message", payload)

    assert first["duplicate"] is False
    assert again["duplicate"] is True
    assert again["message"] == first["message"]
    assert _count(Message, Message.conversation_id == conversation_id) == 1
    assert _count(AuditEventRow, AuditEventRow.action == int(EventType.MESSAGE_POSTED)) == 1
    assert len(agent.received("message_posted")) == 1


def test_it_scopes_client_ids_to_their_sender(pair):
    agent, visitor, conversation_id = pair
    visitor.ok(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "x", "text": "a"}
    )
    ack = agent.ok(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "x", "text": "b"}
    )
    assert ack["duplicate"] is False
    assert ack["message"]["seq"] == 2


def test_it_answers_sync_with_exactly_what_was_missed_in_order(pair):
    agent, visitor, conversation_id = pair
    for n in range(5):
        agent.send(conversation_id, f"m{n}")
    missed = visitor.sync(conversation_id, after_seq=2)
    assert [(m["seq"], m["text"]) for m in missed] == [(3, "m2"), (4, "m3"), (5, "m4")]
    assert visitor.sync(conversation_id, after_seq=5) == []


def test_it_pages_a_long_catch_up(pair):
    agent, visitor, conversation_id = pair
    for n in range(7):
        agent.send(conversation_id, f"m{n}")
    page = visitor.ok("sync", {"conversation_id": conversation_id, "after_seq": 0, "limit": 3})
    assert [m["seq"] for m in page["messages"]] == [1, 2, 3]
    assert page["has_more"] is True and page["last_seq"] == 7
    rest = visitor.ok("sync", {"conversation_id": conversation_id, "after_seq": 3, "limit": 10})
    assert [m["seq"] for m in rest["messages"]] == [4, 5, 6, 7]
    assert rest["has_more"] is False


def test_it_refuses_messages_to_a_closed_conversation(pair):
    agent, visitor, conversation_id = pair
    agent.ok("close_conversation", {"conversation_id": conversation_id})
    ack = visitor.emit(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "late", "text": "hi"}
    )
    assert ack["code"] == "conversation_closed"
    assert _count(Message, Message.conversation_id == conversation_id) == 0


def test_it_lets_a_visitor_close_and_start_again(pair):
    agent, visitor, conversation_id = pair
    closed = visitor.ok("close_conversation", {"conversation_id": conversation_id})
    assert closed["conversation"]["status"] == "closed"
    assert agent.received("conversation_closed")[-1] == {
        "conversation_id": conversation_id,
        "closed_by": "visitor",
    }
    assert visitor.start()["id"] != conversation_id


def test_it_delivers_to_every_device_of_a_visitor_but_not_back_to_the_sender(chat):
    agent = chat.agent("ann")
    phone = chat.visitor()
    token = phone.received("session_started")[0]["visitor_token"]
    laptop = chat.visitor({"visitor_token": token})
    conversation_id = phone.start()["id"]

    phone.send(conversation_id, "from my phone")
    agent.send(conversation_id, "hello")

    assert [m["text"] for m in laptop.received("message_posted")] == ["from my phone", "hello"]
    assert [m["text"] for m in phone.received("message_posted")] == ["hello"]
