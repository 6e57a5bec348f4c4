"""Visitor ↔ agent chat through the Flask-SocketIO test client: the happy paths."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Message
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.chat_helpers import Chat


@pytest.fixture
def chat(any_app):
    """Every test here runs on SQLite and on PostgreSQL."""
    return Chat(any_app)


def test_it_greets_a_new_visitor_with_a_token(chat):
    visitor = chat.visitor()
    (started,) = visitor.received("session_started")
    assert started["visitor_token"]
    assert started["visitor"]["kind"] == "anonymous"
    assert started["conversation"] is None


def test_it_assigns_a_new_conversation_to_the_online_agent(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation = visitor.start()
    assert conversation["status"] == "assigned"
    assert conversation["agent"] == {"name": "Ann"}
    (assigned,) = agent.received("conversation_assigned")
    assert assigned["id"] == conversation["id"]
    assert assigned["visitor"]["kind"] == "anonymous"


def test_it_delivers_messages_both_ways_with_gap_free_seqs(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]

    first = visitor.send(conversation_id, "hello, I lost my card")
    reply = agent.send(conversation_id, "I can help with that")
    second = visitor.send(conversation_id, "thanks")

    assert [first["seq"], reply["seq"], second["seq"]] == [1, 2, 3]
    assert [m["text"] for m in agent.received("message_posted")] == [
        "hello, I lost my card",
        "thanks",
    ]
    assert [m["text"] for m in visitor.received("message_posted")] == ["I can help with that"]
    assert reply["sender"] == {"type": "agent", "id": reply["sender"]["id"], "name": "Ann"}


def test_it_stores_bodies_encrypted_and_audits_each_message(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    visitor.send(conversation_id, "my secret question")
    with db.connection_context():
        (row,) = Message.select().where(Message.conversation_id == conversation_id)
        assert b"my secret question" not in bytes(row.body_enc)
        posted = AuditEventRow.select().where(
            (AuditEventRow.action == int(EventType.MESSAGE_POSTED))
            & (AuditEventRow.target_id == conversation_id)
        )
        assert posted.count() == 1
        assert b"my secret question" not in bytes(posted.get().canonical)
    assert agent.connected


def test_it_queues_when_nobody_is_free_and_assigns_when_an_agent_comes_online(chat):
    first, second = chat.visitor(), chat.visitor()
    a = first.start()
    b = second.start()
    assert (a["status"], a["queue_position"]) == ("queued", 1)
    assert (b["status"], b["queue_position"]) == ("queued", 2)

    agent = chat.agent("ann", capacity=1)

    assert [c["id"] for c in agent.received("conversation_assigned")] == [a["id"]]
    assert first.received("conversation_assigned")[-1]["agent"] == {"name": "Ann"}
    assert second.received("conversation_queued")[-1]["queue_position"] == 1


def test_it_gives_the_next_queued_conversation_when_one_closes(chat):
    agent = chat.agent("ann", capacity=1)
    first, second = chat.visitor(), chat.visitor()
    a, b = first.start(), second.start()
    assert b["status"] == "queued"

    closed = agent.ok("close_conversation", {"conversation_id": a["id"]})["conversation"]

    assert closed["status"] == "closed"
    assert first.received("conversation_closed") == [
        {"conversation_id": a["id"], "closed_by": "agent"}
    ]
    assert [c["id"] for c in agent.received("conversation_assigned")] == [a["id"], b["id"]]


def test_it_picks_the_least_loaded_agent(chat):
    ann = chat.agent("ann")
    bob = chat.agent("bob")
    ids = [chat.visitor().start()["id"] for _ in range(4)]
    assert len(ann.received("conversation_assigned")) == 2
    assert len(bob.received("conversation_assigned")) == 2
    assert len(set(ids)) == 4


def test_it_keeps_internal_notes_from_the_visitor(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    note = agent.send(conversation_id, "VIP, be careful", internal=True)
    visitor.send(conversation_id, "hello?")

    assert note["kind"] == "note"
    assert visitor.received("message_posted") == []
    assert [m["text"] for m in visitor.sync(conversation_id)] == ["hello?"]
    assert [m["text"] for m in agent.sync(conversation_id)] == ["VIP, be careful", "hello?"]


def test_it_returns_a_reloading_visitor_to_the_same_conversation(chat):
    chat.agent("ann")
    visitor = chat.visitor()
    token = visitor.received("session_started")[0]["visitor_token"]
    conversation_id = visitor.start()["id"]
    visitor.send(conversation_id, "before the reload")
    visitor.client.disconnect(namespace="/visitor")

    again = chat.visitor({"visitor_token": token})
    (started,) = again.received("session_started")
    assert started["conversation"]["id"] == conversation_id
    assert [m["text"] for m in again.sync(conversation_id)] == ["before the reload"]
    assert again.start()["id"] == conversation_id


def test_it_relays_typing_and_read_positions(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    visitor.ok("typing", {"conversation_id": conversation_id, "typing": True})
    assert agent.received("typing_changed") == [
        {"conversation_id": conversation_id, "sender": "visitor", "typing": True}
    ]
    message = agent.send(conversation_id, "hi")
    ack = visitor.ok("mark_read", {"conversation_id": conversation_id, "seq": message["seq"]})
    assert ack["read_seq"] == 1
    assert agent.received("read_changed") == [
        {"conversation_id": conversation_id, "reader": "visitor", "seq": 1}
    ]
    # read positions only move forward
    assert visitor.ok("mark_read", {"conversation_id": conversation_id, "seq": 0})["read_seq"] == 1


def test_it_relays_the_agents_typing_to_the_visitor_only(chat):
    agent = chat.agent("ann")
    visitor, other = chat.visitor(), chat.visitor()
    conversation_id = visitor.start()["id"]
    other.start()  # Ann's too: her typing in one chat is not shown in the other
    with db.connection_context():
        audited = AuditEventRow.select().count()

    agent.ok("typing", {"conversation_id": conversation_id, "typing": True})
    agent.ok("typing", {"conversation_id": conversation_id, "typing": False})

    assert visitor.received("typing_changed") == [
        {"conversation_id": conversation_id, "sender": "agent", "typing": True},
        {"conversation_id": conversation_id, "sender": "agent", "typing": False},
    ]
    assert other.received("typing_changed") == []
    assert agent.received("typing_changed") == []  # not echoed to the one typing
    with db.connection_context():
        assert AuditEventRow.select().count() == audited  # typing is relayed, not stored


def test_it_relays_the_agents_read_position_to_the_visitor(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    token = visitor.received("session_started")[0]["visitor_token"]
    conversation_id = visitor.start()["id"]
    visitor.send(conversation_id, "first")
    visitor.send(conversation_id, "second")

    def mark_read(seq):
        return agent.ok("mark_read", {"conversation_id": conversation_id, "seq": seq})["read_seq"]

    assert mark_read(1) == 1
    assert visitor.received("read_changed") == [
        {"conversation_id": conversation_id, "reader": "agent", "seq": 1}
    ]
    assert mark_read(99) == 2  # beyond the last message counts as the last
    assert mark_read(1) == 2  # and it only moves forward
    assert visitor.received("read_changed") == [
        {"conversation_id": conversation_id, "reader": "agent", "seq": 1},
        {"conversation_id": conversation_id, "reader": "agent", "seq": 2},
    ]
    assert agent.received("read_changed") == []  # the agent's own read is not echoed back

    reads = [e for e in all_events() if e.action is EventType.MESSAGES_READ]
    assert [e.details for e in reads] == [
        {"side": "agent", "seq": 1, "moved": True},
        {"side": "agent", "seq": 2, "moved": True},
    ]
    again = chat.visitor({"visitor_token": token})  # a reload shows it too
    (started,) = again.received("session_started")
    assert started["conversation"]["read_seq"] == {"visitor": 0, "agent": 2}
