"""Personal data in chat: masked in everything /agent delivers, untouched for the visitor,
and revealed one message at a time to an account with pii.reveal, audited (PII_REVEALED).
On SQLite and PostgreSQL, through the Flask-SocketIO test client."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.chat_helpers import new_client_msg_id

MOBILE = "13812345678"
CARD = "4111 1111 1111 1111"
SAID = f"my phone is {MOBILE}, card {CARD}"
SHOWN = "my phone is 138****5678, card 4111 **** **** 1111"


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


def _audits(app, action):
    with app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(action))
        return [(bytes(row.canonical), event_from_canonical(bytes(row.canonical))) for row in rows]


def _started(chat, *, agent_roles=("agent",)):
    agent = chat.agent("ann", roles=agent_roles)
    visitor = chat.visitor()
    conversation = visitor.start()
    assert conversation["agent"]["name"] == "Ann"
    return agent, visitor, conversation["id"]


def _reveal(party, conversation_id, seq):
    return party.emit("reveal_message", {"conversation_id": conversation_id, "seq": seq})


# masking


def test_it_masks_what_agents_receive_and_leaves_the_visitor_alone(chat):
    supervisor = chat.agent("sue", roles=("supervisor",))
    supervisor.ok("set_status", {"status": "away"})
    agent, visitor, conversation_id = _started(chat)
    sent = visitor.send(conversation_id, SAID)
    assert sent["text"] == SAID and "masked" not in sent  # the visitor's own ack

    [live] = agent.received("message_posted")
    assert live["text"] == SHOWN and live["masked"] is True
    [watched] = supervisor.received("message_posted")
    assert watched["text"] == SHOWN and watched["masked"] is True
    [synced] = agent.sync(conversation_id)
    assert synced["text"] == SHOWN and synced["masked"] is True
    assert synced["seq"] == sent["seq"]
    [again] = visitor.sync(conversation_id)
    assert again["text"] == SAID and "masked" not in again


def test_it_masks_an_agents_own_reply_for_agents_only(chat):
    agent, visitor, conversation_id = _started(chat)
    acked = agent.send(conversation_id, f"we will call {MOBILE}")
    assert acked["text"] == "we will call 138****5678" and acked["masked"] is True
    [delivered] = visitor.received("message_posted")
    assert delivered["text"] == f"we will call {MOBILE}" and "masked" not in delivered
    # A resend of the same client_msg_id acks the stored message, masked too.
    payload = {"conversation_id": conversation_id, "client_msg_id": "resend-1"}
    first = agent.ok("send_message", {**payload, "text": f"card {CARD}?"})
    second = agent.ok("send_message", {**payload, "text": f"card {CARD}?"})
    assert second["duplicate"] is True
    assert second["message"]["text"] == first["message"]["text"] == "card 4111 **** **** 1111?"
    assert second["message"]["masked"] is True


def test_it_leaves_text_without_personal_data_unmarked(chat):
    agent, visitor, conversation_id = _started(chat)
    visitor.send(conversation_id, "order 2023112100012345 at 1732150000000")
    [live] = agent.received("message_posted")
    assert live["text"] == "order 2023112100012345 at 1732150000000"
    assert "masked" not in live
    assert "masked" not in agent.sync(conversation_id)[0]


def test_it_masks_the_history_and_note_a_transferred_chat_brings(chat):
    agent, visitor, conversation_id = _started(chat)
    bob = chat.agent("bob")
    visitor.send(conversation_id, SAID)
    agent.ok(
        "transfer_conversation",
        {
            "conversation_id": conversation_id,
            "to_agent_id": _agent_id(chat, "bob"),
            "note": f"customer asked to be called on {MOBILE}",
        },
    )
    [assigned] = [c for c in bob.received("conversation_assigned") if c["id"] == conversation_id]
    assert assigned["transfer"]["note"] == "customer asked to be called on 138****5678"
    history = bob.sync(conversation_id)
    assert [m["text"] for m in history] == [SHOWN, "customer asked to be called on 138****5678"]
    assert all(m["masked"] is True for m in history)


def _agent_id(chat, username):
    from appliance.models import Agent

    with chat.app.app_context(), db.connection_context():
        return Agent.get(Agent.username == username).id


# revealing


def test_it_reveals_the_original_to_a_pii_viewer_and_audits_the_kinds_only(chat):
    agent, visitor, conversation_id = _started(chat, agent_roles=("agent", "pii_viewer"))
    seq = visitor.send(conversation_id, SAID)["seq"]
    ack = _reveal(agent, conversation_id, seq)
    assert ack == {"ok": True, "text": SAID}
    [(canonical, event)] = _audits(chat.app, EventType.PII_REVEALED)
    assert event.target.type == "conversation" and event.target.id == conversation_id
    assert event.details == {"seq": seq, "kinds": ["card", "mobile"]}
    assert event.actor.id == f"agent:{_agent_id(chat, 'ann')}"
    assert MOBILE.encode() not in canonical and b"4111" not in canonical
    # Each reveal is a read of protected data: audited every time.
    _reveal(agent, conversation_id, seq)
    assert len(_audits(chat.app, EventType.PII_REVEALED)) == 2


def test_it_lets_a_supervisor_of_the_group_reveal(chat):
    _, visitor, conversation_id = _started(chat)
    supervisor = chat.agent("sue", roles=("supervisor",), online=False)
    seq = visitor.send(conversation_id, SAID)["seq"]
    assert _reveal(supervisor, conversation_id, seq) == {"ok": True, "text": SAID}


def test_it_refuses_an_agent_without_pii_reveal(chat):
    agent, visitor, conversation_id = _started(chat)
    seq = visitor.send(conversation_id, SAID)["seq"]
    ack = _reveal(agent, conversation_id, seq)
    assert ack["ok"] is False and ack["code"] == "forbidden"
    assert _audits(chat.app, EventType.PII_REVEALED) == []


def test_it_refuses_an_agent_who_may_not_read_the_conversation(chat):
    _, visitor, conversation_id = _started(chat)
    outsider = chat.agent("oli", roles=("agent", "pii_viewer"), groups=("wealth",), online=False)
    seq = visitor.send(conversation_id, SAID)["seq"]
    ack = _reveal(outsider, conversation_id, seq)
    assert ack["ok"] is False and ack["code"] == "not_found"
    assert _audits(chat.app, EventType.PII_REVEALED) == []


def test_it_answers_not_found_for_a_missing_message_or_conversation(chat):
    agent, visitor, conversation_id = _started(chat, agent_roles=("agent", "pii_viewer"))
    seq = visitor.send(conversation_id, SAID)["seq"]
    missing = _reveal(agent, conversation_id, seq + 1)
    assert (missing["ok"], missing["code"], missing["error"]) == (
        False,
        "not_found",
        "No such message",
    )
    nowhere = _reveal(agent, "0" * 32, 1)
    assert nowhere["ok"] is False and nowhere["code"] == "not_found"
    bad = agent.emit("reveal_message", {"conversation_id": conversation_id, "seq": 0})
    assert bad["ok"] is False and bad["code"] == "invalid_payload"
    assert _audits(chat.app, EventType.PII_REVEALED) == []


def test_it_reveals_an_internal_note_to_an_agent_who_reads_it(chat):
    agent, _, conversation_id = _started(chat, agent_roles=("agent", "pii_viewer"))
    note = agent.ok(
        "send_message",
        {
            "conversation_id": conversation_id,
            "client_msg_id": new_client_msg_id(),
            "text": f"verified on {MOBILE}",
            "internal": True,
        },
    )["message"]
    assert note["text"] == "verified on 138****5678"
    assert _reveal(agent, conversation_id, note["seq"])["text"] == f"verified on {MOBILE}"
    [(_, event)] = _audits(chat.app, EventType.PII_REVEALED)
    assert event.details["kinds"] == ["mobile"]
