"""Bad input over Socket.IO: a stable error code in the ack, and nothing stored."""

from __future__ import annotations

import dataclasses
import math

import pytest

from appliance.db import db
from appliance.extensions import socketio
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.models import Message
from appliance.models.connections import AgentConnection
from appliance.realtime._dispatch import ClientEventName
from appliance.services.handoffs import MAX_NOTE_CHARS
from tests.appliance.chat_helpers import Chat
from tests.appliance.chat_helpers import Party
from tests.appliance.directory_helpers import frozen_clock

# Refusals at the edge, before any query, run on SQLite (`chat`); what stores or must
# leave the database unchanged runs on SQLite and on PostgreSQL too (`any_chat`).


@pytest.fixture
def chat(app):
    return Chat(app)


@pytest.fixture
def any_chat(any_app):
    return Chat(any_app)


def _pair(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    return agent, visitor, visitor.start()["id"]


@pytest.fixture
def pair(chat):
    return _pair(chat)


@pytest.fixture
def any_pair(any_chat):
    return _pair(any_chat)


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


def test_it_accepts_text_at_the_limit_counted_in_utf8_bytes(any_pair):
    _, visitor, conversation_id = any_pair
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


def test_it_stores_markup_as_inert_text(any_pair):
    agent, visitor, conversation_id = any_pair
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


def _flood(chat):
    return chat.app.extensions["enclave"].settings.chat


def test_it_rate_limits_a_flooding_connection(chat, monkeypatch):
    clock = frozen_clock(monkeypatch)
    flood = _flood(chat)
    chat.agent("ann")
    visitor = chat.visitor()
    typing = {"conversation_id": visitor.start()["id"], "typing": True}  # the burst's first
    codes = [visitor.emit("typing", typing).get("code") for _ in range(flood.flood_burst)]
    assert codes == [None] * (flood.flood_burst - 1) + ["rate_limited"]
    clock.advance(ms=math.ceil(1000 / flood.flood_rate_per_second))  # one event's worth
    assert visitor.emit("typing", typing)["ok"] is True
    assert visitor.emit("typing", typing)["code"] == "rate_limited"


# Socket.IO's reserved names: an EVENT packet named `connect` or `disconnect`
# (42/agent,["disconnect"]) is not the CONNECT or DISCONNECT packet.

RESERVED = ["connect", "disconnect", "connect_error"]
# No payload, an empty one, one shaped like what the server passes (a reason string).
SHAPES = [None, {}, "client disconnect"]


def _sid(party: Party) -> str:
    sid: str = socketio.server.manager.sid_from_eio_sid(party.client.eio_sid, party.namespace)
    return sid


def _unknown(name: str) -> dict:
    return {"ok": False, "code": "unknown_event", "error": f"No such event: {name}"}


@pytest.mark.parametrize("name", ["connect", "disconnect"])
def test_an_agent_cannot_connect_or_disconnect_by_event(any_chat, name):
    chat = any_chat
    agent = chat.agent("ann")
    sid = _sid(agent)
    _, namespace = chat.app.extensions["enclave.namespaces"]
    for payload in SHAPES:
        assert agent.emit(name, payload) == _unknown(name)
    assert socketio.server.manager.is_connected(sid, "/agent")
    assert sid in namespace.connections
    with db.connection_context():
        assert [c.id for c in AgentConnection.select()] == [sid]
        assert AgentPresence.get().disconnected_ms is None
    assert len(agent.received("agent_state")) == 1  # on_connect ran once
    conversation_id = chat.visitor().start()["id"]
    assert agent.send(conversation_id, "still here")["seq"] == 1
    agent.client.disconnect(namespace="/agent")  # the real thing still works
    with db.connection_context():
        assert AgentConnection.select().count() == 0
        assert AgentPresence.get().disconnected_ms is not None


@pytest.mark.parametrize("name", RESERVED)
def test_a_visitor_cannot_connect_or_disconnect_by_event(pair, name):
    _, visitor, conversation_id = pair
    sid = _sid(visitor)
    namespace, _ = visitor.client.app.extensions["enclave.namespaces"]
    identity = namespace.connections[sid].identity
    for payload in SHAPES:
        assert visitor.emit(name, payload) == _unknown(name)
    assert socketio.server.manager.is_connected(sid, "/visitor")
    assert namespace.connections[sid].identity is identity
    assert len(visitor.received("session_started")) == 1
    visitor.send(conversation_id, "still here")
    assert [m["text"] for m in visitor.sync(conversation_id)] == ["still here"]


def test_a_disconnect_event_during_the_real_disconnect_is_refused(chat, monkeypatch):
    # As when an EVENT packet's handler greenlet runs once the server began disconnecting:
    # its name was marked where the packet was handled (guard_reserved_events).
    agent = chat.agent("ann")
    sid = _sid(agent)
    _, namespace = chat.app.extensions["enclave.namespaces"]
    real, answers = namespace.on_disconnect, []

    def on_disconnect(reason=None):
        event = ClientEventName("disconnect")
        answers.append(namespace.trigger_event(event, sid, "client disconnect"))
        real(reason)

    monkeypatch.setattr(namespace, "on_disconnect", on_disconnect)
    agent.client.disconnect(namespace="/agent")
    assert answers == [_unknown("disconnect")]  # and on_disconnect ran once
    with db.connection_context():
        assert AgentConnection.select().count() == 0


def test_it_counts_reserved_names_against_flood_control(chat, monkeypatch):
    frozen_clock(monkeypatch)
    burst = _flood(chat).flood_burst
    visitor = chat.visitor()
    codes = [visitor.emit("disconnect").get("code") for _ in range(burst + 1)]
    assert codes == ["unknown_event"] * burst + ["rate_limited"]


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


def test_it_refuses_a_transfer_note_over_its_limit_and_changes_nothing(any_chat):
    chat = any_chat
    ann = chat.agent("ann", capacity=1)
    conversation_id = chat.visitor().start()["id"]
    bob = chat.agent("bob")
    to_bob = {"conversation_id": conversation_id, "to_agent_id": _agent_id(bob)}
    refused = ann.emit("transfer_conversation", {**to_bob, "note": "x" * (MAX_NOTE_CHARS + 1)})
    assert refused["code"] == "invalid_payload"
    assert refused["error"].startswith("note")
    assert _stored() == 0
    with db.connection_context():
        assert Conversation.get_by_id(conversation_id).agent_id == _agent_id(ann)
    assert bob.received("conversation_assigned") == []

    whole = "中" * MAX_NOTE_CHARS  # at the limit, 3 bytes each: stored whole, never cut
    ann.ok("transfer_conversation", {**to_bob, "note": whole})
    assert [m["text"] for m in bob.sync(conversation_id)] == [whole]


def _agent_id(agent: Party) -> int:
    agent_id: int = agent.received("agent_state")[0]["agent"]["id"]
    return agent_id
