"""A stored message body that fails authentication, as every view shows it, on SQLite and
PostgreSQL: in its place, with `"text": null` and `"unreadable": true`, the rest of the
conversation intact and in order; one WARNING per unreadable message read, naming the
conversation and the seq and holding no text and no ciphertext; a reveal of it refused
with `message_unreadable`. The body is made unreadable the way tampering would: the
ciphertext of seq 1 copied over seq 2 (its associated data names seq 1)."""

from __future__ import annotations

import logging

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Message
from audit.events import EventType
from tests.appliance.chat_helpers import Chat

MOBILE = "13812345678"
SAID = ["I lost my card", f"please call me on {MOBILE}", "I have blocked it for you"]
NOTE = "note: verified by phone"


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


@pytest.fixture
def tampered(chat, caplog):
    """Ann (who may reveal) and a visitor: seq 1-3 as SAID, seq 4 a note; seq 2's body is
    seq 1's ciphertext. Returns the agent, the visitor, the conversation and what was sent."""
    caplog.set_level(logging.WARNING, logger="appliance.queries.chat")
    agent = chat.agent("ann", roles=("agent", "pii_viewer"))
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    sent = [visitor.send(conversation_id, SAID[0]), visitor.send(conversation_id, SAID[1])]
    sent.append(agent.send(conversation_id, SAID[2]))
    sent.append(agent.send(conversation_id, NOTE, internal=True))
    with chat.app.app_context(), db.connection_context():
        first = Message.get((Message.conversation_id == conversation_id) & (Message.seq == 1))
        with db.atomic():
            Message.update(body_enc=first.body_enc).where(
                (Message.conversation_id == conversation_id) & (Message.seq == 2)
            ).execute()
    return agent, visitor, conversation_id, sent, bytes(first.body_enc)


def _warnings(caplog, conversation_id, ciphertext):
    """The unreadable-body warnings; each names seq 2, none holds text or ciphertext."""
    found = [r for r in caplog.records if "message body unreadable" in r.getMessage()]
    for record in found:
        said = record.getMessage()
        assert record.levelno == logging.WARNING
        assert f"conversation={conversation_id} seq=2 " in said, said
        assert "error=authentication_failed" in said and "key_id=" in said, said
        assert not any(text in said for text in [*SAID, NOTE, MOBILE, "lost", "call me"]), said
        assert ciphertext.hex()[-32:] not in said and ciphertext[-16:].hex() not in said
    return found


def _assert_in_place(messages, sent, *, seqs):
    """Every message of `seqs`, in order: seq 2 unreadable, the rest as sent."""
    assert [m["seq"] for m in messages] == seqs
    by_seq = {m["seq"]: m for m in sent}
    for message in messages:
        original = by_seq[message["seq"]]
        for key in ("conversation_id", "client_msg_id", "sender", "kind", "sent_at"):
            if key in message:
                assert message[key] == original[key], (message["seq"], key)
        if message["seq"] == 2:
            assert (message["text"], message["unreadable"]) == (None, True)
            assert "masked" not in message
        else:
            assert "unreadable" not in message


def test_sync_delivers_every_message_with_the_unreadable_one_in_its_place(chat, tampered, caplog):
    agent, visitor, conversation_id, sent, ciphertext = tampered

    for_visitor = visitor.sync(conversation_id)
    for_agent = agent.sync(conversation_id)

    _assert_in_place(for_visitor, sent, seqs=[1, 2, 3])
    assert [m["text"] for m in for_visitor] == [SAID[0], None, SAID[2]]
    _assert_in_place(for_agent, sent, seqs=[1, 2, 3, 4])
    assert [m["text"] for m in for_agent] == [SAID[0], None, SAID[2], NOTE]
    assert len(_warnings(caplog, conversation_id, ciphertext)) == 2  # one per message read
    after = agent.ok("sync", {"conversation_id": conversation_id, "after_seq": 2})
    assert [m["seq"] for m in after["messages"]] == [3, 4] and after["last_seq"] == 4


def test_a_resend_of_an_unreadable_message_acks_it_unreadable(chat, tampered, caplog):
    _, visitor, conversation_id, sent, ciphertext = tampered
    payload = {"conversation_id": conversation_id, "client_msg_id": sent[1]["client_msg_id"]}

    ack = visitor.ok("send_message", {**payload, "text": SAID[1]})

    assert ack["duplicate"] is True
    _assert_in_place([ack["message"]], sent, seqs=[2])
    assert [m["seq"] for m in visitor.sync(conversation_id)] == [1, 2, 3]  # nothing stored
    assert len(_warnings(caplog, conversation_id, ciphertext)) == 2  # the ack, the sync


def test_a_reveal_of_an_unreadable_message_is_refused_and_not_audited(chat, tampered, caplog):
    agent, _, conversation_id, _, ciphertext = tampered

    refused = agent.emit("reveal_message", {"conversation_id": conversation_id, "seq": 2})
    revealed = agent.ok("reveal_message", {"conversation_id": conversation_id, "seq": 1})

    assert (refused["ok"], refused["code"]) == (False, "message_unreadable")
    assert SAID[0] not in repr(refused)
    assert revealed["text"] == SAID[0]
    with chat.app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(EventType.PII_REVEALED))
        assert rows.count() == 1  # seq 1's reveal only
    assert len(_warnings(caplog, conversation_id, ciphertext)) == 1


def test_the_transcript_lists_the_unreadable_message_in_its_place(chat, tampered, caplog):
    _, visitor, conversation_id, _, ciphertext = tampered
    visitor.ok("close_conversation", {"conversation_id": conversation_id})

    transcript = visitor.ok("export_transcript", {"conversation_id": conversation_id})

    lines = transcript["transcript"]["messages"]
    assert [(m["seq"], m["sender"], m["text"]) for m in lines] == [
        (1, "visitor", SAID[0]),
        (2, "visitor", None),
        (3, "agent", SAID[2]),
    ]
    assert [m.get("unreadable") for m in lines] == [None, True, None]
    assert len(_warnings(caplog, conversation_id, ciphertext)) == 1


def test_the_customer_panel_lists_the_unreadable_message_in_its_place(chat, tampered, caplog):
    agent, visitor, conversation_id, _, ciphertext = tampered
    token = visitor.received("session_started")[0]["visitor_token"]
    visitor.ok("close_conversation", {"conversation_id": conversation_id})
    returning = chat.visitor({"visitor_token": token}).start()

    panel = agent.ok("customer_history", {"conversation_id": returning["id"]})

    [past] = panel["conversations"]
    assert past["id"] == conversation_id and past["message_count"] == 4
    last = past["last_messages"]
    assert [(m["seq"], m["text"]) for m in last] == [
        (1, SAID[0]),
        (2, None),
        (3, SAID[2]),
        (4, NOTE),
    ]
    assert [m.get("unreadable") for m in last] == [None, True, None, None]
    assert last[1]["sender"]["type"] == "visitor"
    assert len(_warnings(caplog, conversation_id, ciphertext)) == 1
