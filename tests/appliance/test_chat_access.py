"""Who may connect and what they may see: tokens, sessions, other people's conversations."""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest

from appliance import clock
from appliance.extensions import socketio
from tests.appliance.chat_helpers import Chat

BANK_SECRET = "shared-with-the-bank-site-0123456789"


@pytest.fixture
def bank_app(settings):
    from appliance import create_app

    visitor = dataclasses.replace(settings.visitor, customer_token_secret=BANK_SECRET)
    return create_app(dataclasses.replace(settings, visitor=visitor))


@pytest.fixture
def chat(app):
    return Chat(app)


def _customer_token(secret=BANK_SECRET, **claims):
    body = {"sub": "CUST-0042", "name": "Li Na", "vip": 2, "exp": int(time.time()) + 300}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def _refusal(app, namespace="/visitor", *, auth=None, flask_test_client=None):
    """The CONNECT_ERROR data the server sends when it refuses `namespace`.

    Flask-SocketIO's test client drops that data, so we listen on the server's
    packet sender (the library's transport, not our code) while connecting.
    """
    from socketio import packet

    client = socketio.test_client(app, namespace="/unused", flask_test_client=flask_test_client)
    refusals = []
    original = socketio.server._send_packet

    def listen(eio_sid, pkt):
        if pkt.packet_type == packet.CONNECT_ERROR and pkt.namespace == namespace:
            refusals.append(pkt.data)
        return original(eio_sid, pkt)

    socketio.server._send_packet = listen
    try:
        client.connect(namespace, auth=auth)
    finally:
        socketio.server._send_packet = original
    assert not client.is_connected(namespace)
    (refusal,) = refusals
    return refusal


def test_it_accepts_a_verified_customer_on_any_device_as_the_same_visitor(bank_app):
    chat = Chat(bank_app)
    chat.agent("ann")
    phone = chat.visitor({"customer_token": _customer_token()})
    (started,) = phone.received("session_started")
    assert started["visitor"]["kind"] == "customer"
    assert started["visitor"]["name"] == "Li Na" and started["visitor"]["vip"] == 2
    conversation_id = phone.start()["id"]

    laptop = chat.visitor({"customer_token": _customer_token()})
    assert laptop.received("session_started")[0]["conversation"]["id"] == conversation_id


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (lambda: _customer_token(secret="not-the-bank-secret-000000000000"), "invalid_token"),
        (lambda: _customer_token(exp=int(time.time()) - 3600), "token_expired"),
        (lambda: _customer_token(exp=None), "invalid_token"),
        (lambda: _customer_token(vip=11), "invalid_token"),
        (lambda: "not.a.jwt", "invalid_token"),
    ],
)
def test_it_refuses_a_bad_customer_token_with_a_reason(bank_app, token, code):
    error = _refusal(bank_app, auth={"customer_token": token()})
    assert error["data"]["code"] == code


def test_it_refuses_customer_tokens_when_no_secret_is_configured(app):
    error = _refusal(app, auth={"customer_token": _customer_token()})
    assert error["data"]["code"] == "customer_tokens_disabled"


def test_it_refuses_a_forged_visitor_token(app):
    error = _refusal(app, auth={"visitor_token": "eyJ2aWQiOiJhYmMifQ.forged.sig"})
    assert error["data"]["code"] == "invalid_token"


def test_it_refuses_an_expired_visitor_token(chat, app, monkeypatch):
    token = chat.visitor().received("session_started")[0]["visitor_token"]
    import itsdangerous.timed

    later = time.time() + 31 * 86400
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    error = _refusal(app, auth={"visitor_token": token})
    assert error["data"]["code"] == "token_expired"


def test_it_hides_another_visitors_conversation(chat):
    chat.agent("ann")
    alice, mallory = chat.visitor(), chat.visitor()
    conversation_id = alice.start()["id"]
    alice.send(conversation_id, "my account number is 6222...")

    for event, payload in [
        ("sync", {"conversation_id": conversation_id, "after_seq": 0}),
        ("send_message", {"conversation_id": conversation_id, "client_msg_id": "x", "text": "hi"}),
        ("typing", {"conversation_id": conversation_id, "typing": True}),
        ("mark_read", {"conversation_id": conversation_id, "seq": 1}),
        ("close_conversation", {"conversation_id": conversation_id}),
    ]:
        ack = mallory.emit(event, payload)
        assert ack["code"] == "not_found", (event, ack)
    missing = mallory.emit("sync", {"conversation_id": "0" * 32, "after_seq": 0})
    assert (
        missing["error"]
        == mallory.emit("sync", {"conversation_id": conversation_id, "after_seq": 0})["error"]
    )


def test_it_hides_a_conversation_assigned_to_another_agent(chat):
    ann = chat.agent("ann", capacity=1)
    bob = chat.agent("bob", capacity=1)
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    owner, other = (ann, bob) if ann.received("conversation_assigned") else (bob, ann)
    owner.send(conversation_id, "hello")
    for event, payload in [
        ("sync", {"conversation_id": conversation_id, "after_seq": 0}),
        ("send_message", {"conversation_id": conversation_id, "client_msg_id": "x", "text": "hi"}),
        ("close_conversation", {"conversation_id": conversation_id}),
        ("mark_read", {"conversation_id": conversation_id, "seq": 1}),
    ]:
        assert other.emit(event, payload)["code"] == "not_found", event
    assert other.received("message_posted") == []


def test_it_lets_a_supervisor_of_the_group_read_but_not_post(chat):
    chat.agent("ann")
    boss = chat.agent("boss", roles=("supervisor",), online=False)
    outsider = chat.agent("eve", roles=("supervisor",), groups=("cards",), online=False)
    visitor = chat.visitor()
    conversation_id = visitor.start()["id"]
    visitor.send(conversation_id, "hello")

    assert [m["text"] for m in boss.sync(conversation_id)] == ["hello"]
    assert boss.received("message_posted")[-1]["text"] == "hello"
    refused = boss.emit(
        "send_message", {"conversation_id": conversation_id, "client_msg_id": "s", "text": "x"}
    )
    assert refused["code"] == "not_found"
    assert (
        outsider.emit("sync", {"conversation_id": conversation_id, "after_seq": 0})["code"]
        == "not_found"
    )


def test_it_refuses_an_agent_connection_without_a_session(app):
    error = _refusal(app, namespace="/agent")
    assert error["data"]["code"] == "unauthorized"


def test_it_refuses_a_sysadmin_on_the_agent_namespace(chat, app):
    from tests.appliance.directory_helpers import login
    from tests.appliance.directory_helpers import make_agent

    make_agent("root", roles=("sysadmin",))
    http = app.test_client()
    login(http, "root")
    error = _refusal(app, namespace="/agent", flask_test_client=http)
    assert error["data"]["code"] == "forbidden"


def test_it_ends_an_idle_agents_events_and_connection(chat, app, monkeypatch):
    agent = chat.agent("ann")
    later = clock.now_ms() + 31 * 60_000
    monkeypatch.setattr(clock, "now_ms", lambda: later)
    assert agent.emit("list_conversations")["code"] == "session_expired"
    _, namespace = app.extensions["enclave.namespaces"]
    assert namespace.sweep_idle(later, 30 * 60_000) == 1
    assert not agent.connected


def test_it_ends_a_disabled_agents_events(chat):
    from appliance.services.directory import do_disable_user
    from tests.appliance.directory_helpers import ADMIN

    agent = chat.agent("ann")
    do_disable_user(username="ann", actor=ADMIN)
    assert agent.emit("list_conversations")["code"] == "session_expired"
