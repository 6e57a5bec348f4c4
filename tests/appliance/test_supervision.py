"""The supervisor view (services/supervision.py): event `supervisor_overview` on /agent and
GET /api/v1/supervisor/overview. Queue and agent figures after real flows, near/breached SLA
under a controlled clock, and the permission (desk.supervise) refused to agents."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.services._supervision_rules import BREACHED
from appliance.services._supervision_rules import NEAR
from appliance.services._supervision_rules import AgentFacts
from appliance.services._supervision_rules import AwaitingReply
from appliance.services._supervision_rules import QueueFacts
from appliance.services._supervision_rules import SlaRules
from appliance.services._supervision_rules import WaitingChat
from appliance.services._supervision_rules import build_overview
from appliance.services._supervision_rules import sla_state
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.directory_helpers import frozen_clock
from tests.appliance.routing_helpers import make_queue

RULES = SlaRules(first_response_ms=60_000, near_percent=80, grace_ms=30_000)


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def supervisor(chat, groups=("general", "cards")):
    """A supervisor at the workbench, not taking chats (no status set)."""
    return chat.agent("sue", roles=("supervisor",), groups=groups, online=False)


def overview(party):
    return party.ok("supervisor_overview")["overview"]


def by_name(view):
    return {q["name"]: q for q in view["queues"]}


def agents(view):
    return {a["name"]: a for a in view["agents"]}


def near(view):
    return [
        (e["conversation_id"], e["kind"], e["state"], e["seconds_left"]) for e in view["near_sla"]
    ]


def _audit_count(app):
    with app.app_context(), db.connection_context():
        return AuditEventRow.select().count()


# after real flows


def test_it_shows_who_waits_and_who_serves(chat, clock):
    make_queue(chat.app, "cards", max_wait_seconds=300)
    sue = supervisor(chat)
    first = chat.visitor().start()
    clock.advance(ms=30_000)
    second = chat.visitor().start(group="cards")
    clock.advance(ms=5_000)

    queues = by_name(overview(sue))
    assert sorted(queues) == ["cards", "general"]
    general, cards = queues["general"], queues["cards"]
    assert general["display_name"]["en"] == "General"
    assert general["waiting_count"] == 1
    assert general["longest_wait_seconds"] == 35
    assert general["waiting"] == [
        {
            "conversation_id": first["id"],
            "waited_seconds": 35,
            "vip_level": 0,
            "position": 1,
            "max_wait_seconds": 0,
        }
    ]
    assert cards["waiting_count"] == 1
    assert cards["waiting"][0]["conversation_id"] == second["id"]
    assert cards["waiting"][0]["waited_seconds"] == 5
    assert cards["waiting"][0]["max_wait_seconds"] == 300
    assert overview(sue)["agents"] == []  # nobody has come online yet

    ann = chat.agent("ann", capacity=2)  # general only: takes the first visitor
    chat.agent("wes", groups=("wealth",))  # serves none of sue's queues
    view = overview(sue)
    assert by_name(view)["general"]["waiting_count"] == 0
    assert by_name(view)["general"]["longest_wait_seconds"] == 0
    assert by_name(view)["cards"]["waiting_count"] == 1
    assert list(agents(view)) == ["Ann"]
    shown = agents(view)["Ann"]
    assert shown["status"] == "online"
    assert (shown["load"], shown["capacity"]) == (1, 2)
    assert shown["queues"] == ["general"]
    assert shown["connection"] == "connected"
    assert shown["idle_since"] is None  # busy with a chat

    ann.ok("set_status", {"status": "away"})
    assert agents(overview(sue))["Ann"]["status"] == "away"
    ann.client.disconnect(namespace="/agent")
    clock.advance(ms=10_000)
    gone = agents(overview(sue))["Ann"]
    assert gone["connection"] == "grace"
    assert gone["grace_seconds_left"] == 20
    assert gone["load"] == 1  # keeps the chat during the grace


def test_an_idle_agent_shows_since_when(chat, clock):
    sue = supervisor(chat)
    chat.agent("ann")
    clock.advance(ms=42_000)
    shown = agents(overview(sue))["Ann"]
    assert (shown["load"], shown["idle_seconds"]) == (0, 42)
    assert shown["idle_since"].endswith("Z")


# service levels


def test_a_waiting_chat_nears_then_breaches_its_queues_maximum_wait(chat, clock):
    make_queue(chat.app, "cards", max_wait_seconds=100)
    sue = supervisor(chat)
    waiting = chat.visitor().start(group="cards")
    chat.visitor().start()  # general: no maximum wait, never listed
    clock.advance(ms=79_999)
    assert overview(sue)["near_sla"] == []
    clock.advance(ms=1)
    [entry] = overview(sue)["near_sla"]
    assert entry == {
        "conversation_id": waiting["id"],
        "queue": "cards",
        "kind": "waiting",
        "agent_id": None,
        "state": "near",
        "elapsed_seconds": 80,
        "allowed_seconds": 100,
        "seconds_left": 20,
    }
    clock.advance(ms=20_001)
    assert near(overview(sue)) == [(waiting["id"], "waiting", "breached", -1)]


def test_an_assigned_chat_without_a_reply_nears_then_breaches_the_first_response_time(chat, clock):
    sue = supervisor(chat)
    ann = chat.agent("ann")
    ann_id = ann.received("agent_state")[0]["agent"]["id"]
    visitor = chat.visitor()
    conversation = visitor.start()
    visitor.send(conversation["id"], "hello?")  # the visitor's messages are not replies
    clock.advance(ms=47_999)
    assert overview(sue)["near_sla"] == []
    clock.advance(ms=1)
    [entry] = overview(sue)["near_sla"]
    assert (entry["kind"], entry["agent_id"], entry["state"]) == ("first_response", ann_id, NEAR)
    assert (entry["seconds_left"], entry["allowed_seconds"]) == (12, 60)
    clock.advance(ms=12_000)
    assert near(overview(sue)) == [(conversation["id"], "first_response", NEAR, 0)]
    clock.advance(ms=1)
    assert near(overview(sue)) == [(conversation["id"], "first_response", BREACHED, -1)]
    ann.ok(
        "send_message",
        {
            "conversation_id": conversation["id"],
            "client_msg_id": "note-1",
            "text": "checking the card first",
            "internal": True,
        },
    )
    assert len(overview(sue)["near_sla"]) == 1  # a note is not a reply
    ann.send(conversation["id"], "Hello, how can I help?")
    assert overview(sue)["near_sla"] == []


def test_a_transfer_starts_the_first_response_time_again(chat, clock):
    sue = supervisor(chat)
    ann = chat.agent("ann", capacity=1)
    conversation = chat.visitor().start()
    ann.send(conversation["id"], "Hello")
    bob = chat.agent("bob")
    bob_id = bob.received("agent_state")[0]["agent"]["id"]
    clock.advance(ms=30_000)
    ann.ok("transfer_conversation", {"conversation_id": conversation["id"], "to_agent_id": bob_id})
    clock.advance(ms=50_000)
    [entry] = overview(sue)["near_sla"]
    assert (entry["agent_id"], entry["elapsed_seconds"], entry["state"]) == (bob_id, 50, NEAR)


def test_the_most_urgent_comes_first(chat, clock):
    make_queue(chat.app, "cards", max_wait_seconds=100)
    sue = supervisor(chat)
    chat.agent("ann")
    assigned = chat.visitor().start()  # first reply due in 60 s
    waiting = chat.visitor().start(group="cards")  # nobody serves cards: due in 100 s
    clock.advance(ms=70_000)  # assigned: breached (-10 s); waiting: 30 s left, not yet near
    assert near(overview(sue)) == [(assigned["id"], "first_response", BREACHED, -10)]
    clock.advance(ms=20_000)  # waiting: near, 10 s left
    assert near(overview(sue)) == [
        (assigned["id"], "first_response", BREACHED, -30),
        (waiting["id"], "waiting", NEAR, 10),
    ]


def test_the_supervisor_sees_only_the_queues_of_its_groups(chat, clock):
    make_queue(chat.app, "cards", max_wait_seconds=10)
    sue = supervisor(chat, groups=("general",))
    chat.visitor().start(group="cards")
    clock.advance(ms=60_000)
    view = overview(sue)
    assert [q["name"] for q in view["queues"]] == ["general"]
    assert view["near_sla"] == []


# transports and permission


def test_http_gives_the_same_view_and_neither_transport_audits_it(chat, clock):
    sue = supervisor(chat)
    chat.visitor().start()
    before = _audit_count(chat.app)
    response = sue.http.get("/api/v1/supervisor/overview")
    assert response.status_code == 200, response.json
    assert response.json["ok"] is True
    assert response.json["overview"] == overview(sue)
    assert _audit_count(chat.app) == before


def test_an_agent_without_desk_supervise_is_refused(chat):
    ann = chat.agent("ann")
    chat.visitor().start()
    refused = ann.emit("supervisor_overview")
    assert (refused["ok"], refused["code"]) == (False, "forbidden")
    response = ann.http.get("/api/v1/supervisor/overview")
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
    with chat.app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(EventType.ACCESS_DENIED))
        denied = [event_from_canonical(bytes(row.canonical)) for row in rows]
    assert [e.target.id for e in denied] == ["http:GET /api/v1/supervisor/overview"]


def test_it_refuses_a_stranger_over_http(chat):
    response = chat.app.test_client().get("/api/v1/supervisor/overview")
    assert response.status_code == 401


# the pure part


def test_sla_state_bounds():
    assert sla_state(79, 100, 80) is None
    assert sla_state(80, 100, 80) == NEAR
    assert sla_state(100, 100, 80) == NEAR
    assert sla_state(101, 100, 80) == BREACHED
    assert sla_state(10**9, 0, 80) is None  # no limit


def test_build_overview_from_facts():
    queue = QueueFacts(
        name="cards",
        display_name={"zh-CN": "银行卡", "en": "Cards"},
        max_wait_seconds=50,
        waiting=(WaitingChat("c1", 1, 2, 45_500), WaitingChat("c2", 2, 0, 1_000)),
    )
    agent = AgentFacts(
        id=7,
        name="Ann",
        status="online",
        load=0,
        capacity=3,
        queues=("cards",),
        idle_since_ms=1_000_000,
        disconnected_ms=1_050_000,
    )
    awaiting = AwaitingReply("c3", "cards", 7, assigned_ms=1_000_000)
    view = build_overview([queue], [agent], [awaiting], RULES, now_ms=1_070_500)
    assert view["queues"][0]["longest_wait_seconds"] == 45
    assert view["queues"][0]["waiting"][0]["vip_level"] == 2
    [shown] = view["agents"]
    assert (shown["connection"], shown["grace_seconds_left"], shown["idle_seconds"]) == (
        "grace",
        10,
        70,
    )
    assert [(e["conversation_id"], e["state"], e["seconds_left"]) for e in view["near_sla"]] == [
        ("c3", BREACHED, -11),
        ("c1", NEAR, 4),
    ]
