"""`customer_history` on /agent: the customer panel, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.routing_helpers import bank_app as make_bank_app
from tests.appliance.routing_helpers import customer_token

MOBILE = "13812345678"
CARD = "4111 1111 1111 1111"


@pytest.fixture
def bank_app(any_instance_dir):
    """An app on each backend that accepts the bank's customer tokens. One visitor here
    opens and closes 22 chats at test speed: flood control (real time) is raised."""
    return make_bank_app(any_instance_dir, {"ENCLAVE_CHAT_FLOOD_BURST": "1000"})


@pytest.fixture
def chat(bank_app):
    return Chat(bank_app)


def _viewed(app):
    with app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(
            AuditEventRow.action == int(EventType.CUSTOMER_HISTORY_VIEWED)
        )
        return [event_from_canonical(bytes(row.canonical)) for row in rows]


def _history(agent, conversation_id):
    return agent.ok("customer_history", {"conversation_id": conversation_id})


def _first_chat(agent, visitor):
    """A finished conversation with PII in it, a note, and a rating."""
    first = visitor.start()
    visitor.send(first["id"], f"my mobile is {MOBILE}, card {CARD}")
    agent.send(first["id"], "Thank you, I have blocked the card")
    agent.send(first["id"], f"note: called back on {MOBILE}", internal=True)
    visitor.ok("close_conversation", {"conversation_id": first["id"]})
    visitor.ok("rate_conversation", {"conversation_id": first["id"], "score": 5})
    return first


def test_it_lists_a_returning_visitors_past_chat_masked_and_audits_the_read(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    token = visitor.received("session_started")[0]["visitor_token"]
    first = _first_chat(agent, visitor)
    returning = chat.visitor({"visitor_token": token})  # the same visitor, later
    second = returning.start()

    answer = _history(agent, second["id"])

    assert answer["customer"]["kind"] == "anonymous"
    assert answer["customer"]["verified"] is False
    assert answer["customer"]["vip"] == 0
    assert answer["has_more"] is False
    [past] = answer["conversations"]
    assert past["id"] == first["id"]
    assert past["status"] == "closed"
    assert past["queue"] == "general"
    assert past["agent"]["name"] == "Ann"
    assert past["rating"] == 5
    assert past["message_count"] == 3
    assert past["closed_at"] >= past["opened_at"]
    texts = [m["text"] for m in past["last_messages"]]
    assert texts == [
        "my mobile is 138****5678, card 4111 **** **** 1111",
        "Thank you, I have blocked the card",
        "note: called back on 138****5678",
    ]
    assert [m["kind"] for m in past["last_messages"]] == ["text", "text", "note"]
    assert [m["sender"]["type"] for m in past["last_messages"]] == ["visitor", "agent", "agent"]
    [audit] = _viewed(chat.app)
    assert audit.target.id == second["id"]
    assert audit.details == {"count": 1}
    assert MOBILE not in str(audit.details)


def test_it_follows_a_verified_customer_across_devices_and_no_one_else(chat):
    agent = chat.agent("ann", capacity=10)
    phone = chat.visitor({"customer_token": customer_token("C-1", vip=2, name="Li Na")})
    laptop = chat.visitor({"customer_token": customer_token("C-1", vip=2, name="Li Na")})
    stranger = chat.visitor({"customer_token": customer_token("C-2", name="Wang Wei")})
    anonymous = chat.visitor()
    earlier = _first_chat(agent, phone)
    theirs = _first_chat(agent, stranger)
    other = anonymous.start()
    now = laptop.start()

    answer = _history(agent, now["id"])
    seen_by_stranger = _history(agent, stranger.start()["id"])
    seen_by_anonymous = _history(agent, other["id"])

    assert answer["customer"] == {
        "id": answer["customer"]["id"],
        "name": "Li Na",
        "kind": "customer",
        "verified": True,
        "vip": 2,
    }
    assert [c["id"] for c in answer["conversations"]] == [earlier["id"]]
    assert [c["id"] for c in seen_by_stranger["conversations"]] == [theirs["id"]]
    assert seen_by_anonymous["conversations"] == []
    assert [e.details["count"] for e in _viewed(chat.app)] == [1, 1, 0]


def test_it_returns_the_newest_twenty_first(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    ids = []
    for _ in range(22):
        conversation = visitor.start()
        ids.append(conversation["id"])
        visitor.ok("close_conversation", {"conversation_id": conversation["id"]})
    current = visitor.start()

    answer = _history(agent, current["id"])

    assert [c["id"] for c in answer["conversations"]] == list(reversed(ids))[:20]
    assert answer["has_more"] is True
    assert all(
        c["message_count"] == 0 and c["last_messages"] == [] for c in answer["conversations"]
    )
    assert _viewed(chat.app)[0].details == {"count": 20}


def test_it_refuses_an_agent_without_access_to_the_conversation(chat):
    ann = chat.agent("ann")
    visitor = chat.visitor()
    _first_chat(ann, visitor)
    current = visitor.start()
    bob = chat.agent("bob", groups=("wealth",))
    sue = chat.agent("sue", roles=("supervisor",), groups=("general",), online=False)
    nosy = chat.agent("max", roles=("supervisor",), groups=("wealth",), online=False)

    refused = bob.emit("customer_history", {"conversation_id": current["id"]})
    elsewhere = nosy.emit("customer_history", {"conversation_id": current["id"]})
    missing = ann.emit("customer_history", {"conversation_id": "0" * 32})
    malformed = ann.emit("customer_history", {"conversation_id": current["id"], "all": True})

    for ack in (refused, elsewhere, missing):
        assert ack == {"ok": False, "code": "not_found", "error": "No such conversation"}
    assert malformed["code"] == "invalid_payload"
    assert _viewed(chat.app) == []  # nothing was read, nothing recorded
    # A supervisor of the chat's group may read it (as they may `sync` it).
    assert len(sue.ok("customer_history", {"conversation_id": current["id"]})["conversations"]) == 1
    assert len(_viewed(chat.app)) == 1
