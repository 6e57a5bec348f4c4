"""Resends (services/messages.py): the INSERT's conflict is the resend check.

A resend inserts nothing and rolls back the seq its unit took, so seqs stay gap-free;
it is acked with the stored message even after the conversation closed. Both backends.
"""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.models import Message
from audit.events import EventType
from tests.appliance.chat_helpers import Chat


@pytest.fixture
def pair(any_app):
    chat = Chat(any_app)
    agent = chat.agent("ann")
    visitor = chat.visitor()
    return agent, visitor, visitor.start()["id"]


def _send(party, conversation_id: str, client_msg_id: str, text: str) -> dict:
    payload = {"conversation_id": conversation_id, "client_msg_id": client_msg_id, "text": text}
    return party.ok("send_message", payload)


def test_a_resend_takes_no_seq_and_the_next_message_follows_on(pair):
    agent, visitor, conversation_id = pair
    first = _send(visitor, conversation_id, "r-1", "one")
    again = _send(visitor, conversation_id, "r-1", "one, sent again")
    following = _send(visitor, conversation_id, "r-2", "two")

    assert again["duplicate"] is True
    assert again["message"] == first["message"]  # the stored text, not the resend's
    assert following["message"]["seq"] == first["message"]["seq"] + 1
    with db.connection_context():
        assert Conversation.get_by_id(conversation_id).last_seq == following["message"]["seq"]
        seqs = [m.seq for m in Message.select().where(Message.conversation_id == conversation_id)]
        posted = AuditEventRow.select().where(
            AuditEventRow.action == int(EventType.MESSAGE_POSTED),
            AuditEventRow.target_id == conversation_id,
        )
        assert posted.count() == 2
    assert sorted(seqs) == [first["message"]["seq"], following["message"]["seq"]]
    assert [m["client_msg_id"] for m in agent.received("message_posted")] == ["r-1", "r-2"]


def test_a_resend_after_the_conversation_closed_is_acked_with_the_stored_message(pair):
    agent, visitor, conversation_id = pair
    first = _send(visitor, conversation_id, "r-1", "before closing")
    agent.ok("close_conversation", {"conversation_id": conversation_id})

    again = _send(visitor, conversation_id, "r-1", "before closing")
    late = visitor.emit(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "r-2", "text": "x"}
    )

    assert again["duplicate"] is True
    assert again["message"] == first["message"]
    assert late["code"] == "conversation_closed"
    with db.connection_context():
        assert Message.select().where(Message.conversation_id == conversation_id).count() == 1


def test_an_agents_resend_is_acked_too(pair):
    agent, visitor, conversation_id = pair
    first = _send(agent, conversation_id, "a-1", "How can I help?")
    again = _send(agent, conversation_id, "a-1", "How can I help?")
    assert again["duplicate"] is True
    assert again["message"]["seq"] == first["message"]["seq"]
    assert [m["client_msg_id"] for m in visitor.received("message_posted")] == ["a-1"]
