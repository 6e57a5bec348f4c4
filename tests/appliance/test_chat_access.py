"""Who may connect and what they may see: tokens, sessions, other people's conversations."""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest

from appliance import clock
from appliance.db import db
from appliance.extensions import socketio
from appliance.models.connections import AgentConnection
from tests.appliance.chat_helpers import Chat
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent

BANK_SECRET = "shared-with-the-bank-site-0123456789"
WIDGET_ORIGIN = "https://www.bank.example"  # a page of the bank's that embeds the widget
OWN_ORIGIN = "http://localhost"  # the test clients' Host


def _bank_app(instance_dir):
    """An app set up for the bank's site: its customer tokens and its widget's origin."""
    from appliance import create_app
    from appliance.settings import load_settings

    settings = load_settings(instance_dir, environ={})
    visitor = dataclasses.replace(
        settings.visitor, customer_token_secret=BANK_SECRET, allowed_origins=WIDGET_ORIGIN
    )
    return create_app(dataclasses.replace(settings, visitor=visitor, testing=True))


# What reads or writes the database runs on SQLite and on PostgreSQL (`any_…`); what is
# refused at the edge, before any query (tokens, origins), on SQLite only.


@pytest.fixture
def bank_app(instance_dir):
    return _bank_app(instance_dir)


@pytest.fixture
def any_bank_app(any_instance_dir):
    return _bank_app(any_instance_dir)


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


def _customer_token(secret=BANK_SECRET, **claims):
    body = {"sub": "CUST-0042", "name": "Li Na", "vip": 2, "exp": int(time.time()) + 300}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def _refusal(app, namespace="/visitor", *, auth=None, flask_test_client=None, headers=None):
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
        client.connect(namespace, auth=auth, headers=headers)
    finally:
        socketio.server._send_packet = original
    assert not client.is_connected(namespace)
    (refusal,) = refusals
    return refusal


def test_it_accepts_a_verified_customer_on_any_device_as_the_same_visitor(any_bank_app):
    chat = Chat(any_bank_app)
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


def test_it_refuses_an_expired_visitor_token(chat, monkeypatch):
    token = chat.visitor().received("session_started")[0]["visitor_token"]
    import itsdangerous.timed

    later = time.time() + 31 * 86400
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    error = _refusal(chat.app, auth={"visitor_token": token})
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


def test_it_refuses_a_sysadmin_on_the_agent_namespace(chat):
    make_agent("root", roles=("sysadmin",))
    http = chat.app.test_client()
    login(http, "root")
    error = _refusal(chat.app, namespace="/agent", flask_test_client=http)
    assert error["data"]["code"] == "forbidden"


def test_it_ends_an_idle_agents_events_and_connection(chat, monkeypatch):
    agent = chat.agent("ann")
    later = clock.now_ms() + 31 * 60_000
    monkeypatch.setattr(clock, "now_ms", lambda: later)
    assert agent.emit("list_conversations")["code"] == "session_expired"
    _, namespace = chat.app.extensions["enclave.namespaces"]
    assert namespace.sweep_idle(later, 30 * 60_000) == 1
    assert not agent.connected


def test_it_ends_a_disabled_agents_events(chat):
    from appliance.services.directory import do_disable_user
    from tests.appliance.directory_helpers import ADMIN

    agent = chat.agent("ann")
    do_disable_user(username="ann", actor=ADMIN)
    assert agent.emit("list_conversations")["code"] == "session_expired"


# Origins (docs/protocol.md): the widget's pages reach /visitor, never /agent.

POLL = "/socket.io/?EIO=4&transport=polling"


def test_it_admits_its_own_pages_and_the_widgets_at_the_transport(bank_app):
    http = bank_app.test_client()
    for origin in (OWN_ORIGIN, WIDGET_ORIGIN):
        answer = http.get(POLL, headers={"Origin": origin})
        assert answer.status_code == 200, origin
        assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert http.get(POLL, headers={"Origin": "https://evil.example"}).status_code == 400
    # X-Forwarded-Host is not believed: it cannot make another page pass for the appliance's.
    forged = {"Origin": "https://evil.example", "X-Forwarded-Host": "evil.example"}
    assert http.get(POLL, headers={**forged, "X-Forwarded-Proto": "https"}).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": WIDGET_ORIGIN},
        {
            "Origin": WIDGET_ORIGIN,
            "X-Forwarded-Host": "www.bank.example",
            "X-Forwarded-Proto": "https",
        },
        {"Origin": "https://evil.example"},
    ],
)
def test_it_refuses_an_agent_connection_from_a_widget_page(bank_app, headers):
    make_agent("ann")
    http = bank_app.test_client()
    login(http, "ann")
    error = _refusal(bank_app, "/agent", flask_test_client=http, headers=headers)
    assert error["data"] == {
        "code": "forbidden",
        "error": "Agents connect from the appliance's own pages only",
    }
    with db.connection_context():
        assert AgentConnection.select().count() == 0


@pytest.mark.parametrize("headers", [{"Origin": OWN_ORIGIN}, {}])
def test_it_admits_an_agent_from_its_own_pages_or_without_an_origin(bank_app, headers):
    make_agent("ann")
    http = bank_app.test_client()
    login(http, "ann")
    agent = socketio.test_client(
        bank_app, namespace="/agent", flask_test_client=http, headers=headers
    )
    assert agent.is_connected("/agent")


def test_it_admits_a_visitor_from_the_widgets_page(bank_app):
    visitor = socketio.test_client(
        bank_app, namespace="/visitor", auth={}, headers={"Origin": WIDGET_ORIGIN}
    )
    assert visitor.is_connected("/visitor")


def test_it_serves_no_jsonp_a_script_tag_could_read(bank_app):
    """A page of the widget's site can load the transport as a script (no Origin, the
    agent's cookies sent); only a JSONP answer would let it read the session id."""
    http = bank_app.test_client()
    for query in ("&j=0", "&j=", "&t=1&j=3"):
        answer = http.get(POLL + query)
        assert answer.status_code == 400, query
        assert answer.get_json()["code"] == "bad_request"
        assert b"sid" not in answer.data
    assert http.get(POLL).status_code == 200  # plain polling still works


@pytest.mark.parametrize(
    ("fetch_site", "admitted"),
    [("same-origin", True), ("none", True), ("same-site", False), ("cross-site", False)],
)
def test_it_believes_sec_fetch_site_when_there_is_no_origin(bank_app, fetch_site, admitted):
    make_agent("ann")
    http = bank_app.test_client()
    login(http, "ann")
    headers = {"Sec-Fetch-Site": fetch_site}
    if admitted:
        agent = socketio.test_client(
            bank_app, namespace="/agent", flask_test_client=http, headers=headers
        )
        assert agent.is_connected("/agent")
        return
    error = _refusal(bank_app, "/agent", flask_test_client=http, headers=headers)
    assert error["data"]["code"] == "forbidden"
    with db.connection_context():
        assert AgentConnection.select().count() == 0
