"""Routing through the product: skills, VIP priority, offers, pickup, transfer, re-queueing,
overflow and business hours, positions and wait estimates. Each decision is audited."""

from __future__ import annotations

import pytest

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.models import OfflineMessage
from appliance.services.presence import sweep
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.routing_helpers import bank_app as make_bank_app
from tests.appliance.routing_helpers import customer_token
from tests.appliance.routing_helpers import give_skills
from tests.appliance.routing_helpers import make_queue

CLOSED_ALL_WEEK = {
    "time_zone": "Asia/Shanghai",
    "weekly": {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


@pytest.fixture
def bank_app(any_instance_dir):
    """An app on each backend that accepts the bank's customer tokens (with VIP levels)."""
    return make_bank_app(any_instance_dir)


@pytest.fixture
def chat(bank_app):
    return Chat(bank_app)


def _row(app, conversation_id):
    with app.app_context(), db.connection_context():
        return Conversation.get_by_id(conversation_id)


def _audits(app, action):
    with app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(action))
        return [event_from_canonical(bytes(row.canonical)) for row in rows]


def test_it_routes_a_skill_queue_only_to_agents_with_the_skill(chat):
    make_queue(chat.app, "cards", required_skill="cards", min_level=3)
    chat.agent("ann", groups=("general", "cards"))  # no skill
    chat.agent("bob", groups=("cards",))
    give_skills(chat.app, "bob", {"cards": 4})
    conversation = chat.visitor().start(group="cards")
    assert conversation["status"] == "assigned"
    assert conversation["agent"]["name"] == "Bob"
    [assigned] = _audits(chat.app, EventType.CONVERSATION_ASSIGNED)
    reason = assigned.details["reason"]
    assert reason["strategy"] == "least_busy"
    assert reason["candidates_considered"] == 1


def test_it_serves_a_vip_first_but_never_starves_the_others(chat):
    early = chat.visitor({"customer_token": customer_token("C-1", vip=0)})
    vip = chat.visitor({"customer_token": customer_token("C-2", vip=3)})
    plain = early.start()
    gold = vip.start()
    assert plain["status"] == gold["status"] == "queued"
    queued = vip.received("conversation_queued")[-1]
    assert queued["queue_position"] == 1  # the VIP moved ahead
    assert "estimated_wait_seconds" in queued
    agent = chat.agent("ann", capacity=1)
    [first] = agent.received("conversation_assigned")
    assert first["id"] == gold["id"]


def test_it_offers_and_moves_on_when_declined_or_left_unanswered(chat):
    make_queue(chat.app, "loans", offer_timeout_seconds=10)
    ann = chat.agent("ann", groups=("loans",))
    bob = chat.agent("bob", groups=("loans",))
    conversation = chat.visitor().start(group="loans")
    assert conversation["status"] == "offered"
    offered_to = ann if ann.received("conversation_offered") else bob
    other = bob if offered_to is ann else ann
    offered_to.ok("decline_offer", {"conversation_id": conversation["id"]})
    [offer] = other.received("conversation_offered")
    assert offer["id"] == conversation["id"]
    # Nobody answers: after the timeout the sweep withdraws it; ann declined, bob lapsed.
    with chat.app.app_context(), db.connection_context():
        done = sweep(clock.now_ms() + 11_000)
    assert done["offers_lapsed"] == 1
    assert _row(chat.app, conversation["id"]).status == "queued"
    assert other.received("offer_withdrawn")[-1]["lapsed"] is True
    assert len(_audits(chat.app, EventType.OFFER_DECLINED)) == 2


def test_it_assigns_an_offer_once_accepted(chat):
    make_queue(chat.app, "loans", offer_timeout_seconds=10)
    ann = chat.agent("ann", groups=("loans",))
    visitor = chat.visitor()
    conversation = visitor.start(group="loans")
    assert conversation["agent"] is None  # she may still decline: no name yet
    # Offered, not accepted: she may read it, not write to it.
    about = {"conversation_id": conversation["id"]}
    assert ann.ok("sync", {**about, "after_seq": 0})["messages"] == []
    for event, extra in (
        ("send_message", {"client_msg_id": "m-1", "text": "Hello"}),
        ("typing", {"typing": True}),
        ("mark_read", {"seq": 1}),
        ("close_conversation", {}),
        ("transfer_conversation", {"to_queue": "general"}),
    ):
        refused = ann.emit(event, {**about, **extra})
        assert refused["code"] == "offer_not_accepted", (event, refused)
    assert _row(chat.app, conversation["id"]).status == "offered"
    assert _row(chat.app, conversation["id"]).last_seq == 0
    assert ann.ok("accept_offer", {"conversation_id": conversation["id"]})
    assert visitor.received("conversation_assigned")[-1]["agent"]["name"]
    assert ann.ok("send_message", {**about, "client_msg_id": "m-1", "text": "Hello"})
    assert _row(chat.app, conversation["id"]).status == "assigned"
    gone = ann.emit("accept_offer", {"conversation_id": conversation["id"]})
    assert gone["code"] == "offer_gone"


def test_it_lets_agents_pick_up_from_a_manual_queue_once(chat):
    make_queue(chat.app, "wealth", strategy="manual")
    ann = chat.agent("ann", groups=("wealth",))
    bob = chat.agent("bob", groups=("wealth",))
    conversation = chat.visitor().start(group="wealth")
    assert conversation["status"] == "queued"  # manual: never auto-assigned
    [queue] = ann.ok("list_queues")["queues"]
    assert [w["conversation_id"] for w in queue["waiting"]] == [conversation["id"]]
    ann.ok("pick_up", {"conversation_id": conversation["id"]})
    late = bob.emit("pick_up", {"conversation_id": conversation["id"]})
    assert late["code"] == "not_waiting"
    assert _row(chat.app, conversation["id"]).agent_id is not None


def test_it_transfers_to_an_agent_with_a_note_the_visitor_never_sees(chat):
    ann = chat.agent("ann", capacity=1)
    visitor = chat.visitor()
    conversation = visitor.start()
    bob = chat.agent("bob")
    bob_id = bob.received("agent_state")[0]["agent"]["id"]
    ack = ann.ok(
        "transfer_conversation",
        {"conversation_id": conversation["id"], "to_agent_id": bob_id, "note": "wants a refund"},
    )
    assert ack["status"] == "assigned"
    [handed] = bob.received("conversation_assigned")
    assert handed["transfer"]["note"] == "wants a refund"
    assert [m["text"] for m in bob.sync(conversation["id"])] == ["wants a refund"]
    assert visitor.sync(conversation["id"]) == []
    assert visitor.received("conversation_assigned")[-1]["agent"]["name"] == "Bob"
    [transfer] = _audits(chat.app, EventType.CONVERSATION_TRANSFERRED)
    assert transfer.details["to_agent_id"] == bob_id
    # ann freed her only slot; a new visitor can reach her again
    assert chat.visitor().start()["agent"]["name"] == "Ann"


def test_it_refuses_a_transfer_to_an_agent_without_room(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    bob = chat.agent("bob", online=False)
    bob_id = bob.received("agent_state")[0]["agent"]["id"]
    refused = ann.emit(
        "transfer_conversation", {"conversation_id": conversation["id"], "to_agent_id": bob_id}
    )
    assert refused["code"] == "agent_unavailable"
    assert _row(chat.app, conversation["id"]).agent_id is not None
    assert _audits(chat.app, EventType.CONVERSATION_TRANSFERRED) == []


def test_it_transfers_to_a_queue(chat):
    make_queue(chat.app, "fraud")
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    cat = chat.agent("cat", groups=("fraud",))
    ann.ok("transfer_conversation", {"conversation_id": conversation["id"], "to_queue": "fraud"})
    [handed] = cat.received("conversation_assigned")
    assert handed["id"] == conversation["id"]
    assert handed["group"] == "fraud"


def test_it_requeues_at_the_front_when_an_agent_goes_offline(chat):
    ann = chat.agent("ann", capacity=1)
    first = chat.visitor().start()
    later = chat.visitor().start()  # waits: ann is full
    assert later["status"] == "queued"
    ann.ok("set_status", {"status": "offline"})
    bob = chat.agent("bob", capacity=1)
    [taken] = bob.received("conversation_assigned")
    assert taken["id"] == first["id"]  # the re-queued one keeps its place, ahead of `later`
    assert ann.received("conversation_requeued")[0]["conversation_id"] == first["id"]
    [requeued] = _audits(chat.app, EventType.CONVERSATION_REQUEUED)
    assert requeued.details["reason"] == "agent_offline"


def test_it_keeps_a_disconnected_agents_chats_for_the_grace_period_only(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    ann.client.disconnect(namespace="/agent")
    grace_ms = chat.app.extensions["enclave"].settings.routing.disconnect_grace_seconds * 1000
    with chat.app.app_context(), db.connection_context():
        assert sweep(clock.now_ms() + grace_ms - 1_000)["agents_gone"] == 0
        assert _row(chat.app, conversation["id"]).status == "assigned"
        assert sweep(clock.now_ms() + grace_ms + 1_000)["agents_gone"] == 1
    assert _row(chat.app, conversation["id"]).status == "queued"


def test_it_keeps_the_chats_of_an_agent_who_comes_back_in_time(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    ann.client.disconnect(namespace="/agent")
    chat.connect_agent("ann", online=False)
    with chat.app.app_context(), db.connection_context():
        assert sweep(clock.now_ms() + 3_600_000)["agents_gone"] == 0
    assert _row(chat.app, conversation["id"]).status == "assigned"


def test_it_overflows_a_closed_queue_then_offers_to_leave_a_message(chat):
    make_queue(chat.app, "night", hours=CLOSED_ALL_WEEK, overflow=["general"])
    make_queue(chat.app, "shut", hours=CLOSED_ALL_WEEK, overflow=["leave_message"])
    moved = chat.visitor().start(group="night")
    assert moved["status"] == "queued"
    [overflow] = _audits(chat.app, EventType.QUEUE_OVERFLOWED)
    assert overflow.details["passed"] == [{"queue": "night", "why": "closed"}]
    visitor = chat.visitor()
    ack = visitor.ok("start_conversation", {"group": "shut", "language": "en"})
    assert ack["conversation"] is None
    assert ack["leave_message"]["reason"] == "closed"
    left = visitor.ok(
        "leave_message", {"queue": "shut", "text": "call me back", "contact": "138 0000 0000"}
    )
    with chat.app.app_context(), db.connection_context():
        row = OfflineMessage.get_by_id(left["offline_message_id"])
    assert b"call me back" not in bytes(row.body_enc)  # sealed
    assert b"138" not in bytes(row.contact_enc)
    [audit] = _audits(chat.app, EventType.MESSAGE_LEFT)
    assert "138" not in str(audit.details)


def test_it_overflows_a_full_queue(chat):
    make_queue(chat.app, "small", max_queue_length=1, overflow=["general"])
    first = chat.visitor().start(group="small")
    second = chat.visitor().start(group="small")
    assert first["status"] == second["status"] == "queued"
    assert _row(chat.app, second["id"]).group == "general"


def test_it_passes_a_long_wait_along_the_overflow_chain(chat):
    make_queue(chat.app, "slow", max_wait_seconds=60, overflow=["general"])
    conversation = chat.visitor().start(group="slow")
    with chat.app.app_context(), db.connection_context():
        assert sweep(clock.now_ms() + 61_000)["overflowed"] == 1
    assert _row(chat.app, conversation["id"]).group == "general"


def test_it_routes_the_first_question_by_intent(chat):
    make_queue(chat.app, "cards")
    conversation = chat.visitor().start(text="我的银行卡丢了，怎么挂失？")
    assert _row(chat.app, conversation["id"]).group == "cards"
    [started] = _audits(chat.app, EventType.CONVERSATION_STARTED)
    assert started.details["chosen_by"] == "rules"


def test_it_sends_the_queue_texts_in_the_visitors_language(chat):
    make_queue(
        chat.app,
        "cards",
        welcome_message={"zh-CN": "您好，欢迎咨询信用卡业务", "en": "Welcome to card services"},
    )
    ack = chat.visitor().ok("start_conversation", {"group": "cards", "language": "en"})
    assert ack["welcome_message"] == "Welcome to card services"


def test_it_prefers_the_customers_last_agent_where_the_queue_asks(chat):
    make_queue(chat.app, "private", prefer_last_agent=True)
    ann = chat.agent("ann", groups=("private",))
    bob = chat.agent("bob", groups=("private",))
    token = customer_token("C-7")
    first = chat.visitor({"customer_token": token})
    conversation = first.start(group="private")
    served_by = conversation["agent"]["name"]
    (ann if served_by == "Ann" else bob).ok(
        "close_conversation", {"conversation_id": conversation["id"]}
    )
    # Make the last agent the busier one: least-busy alone would now pick the other.
    other = bob if served_by == "Ann" else ann
    other.ok("set_status", {"status": "away"})
    assert chat.visitor().start(group="private")["agent"]["name"] == served_by
    other.ok("set_status", {"status": "online"})
    again = chat.visitor({"customer_token": token}).start(group="private")
    assert again["agent"]["name"] == served_by
    assigned = _audits(chat.app, EventType.CONVERSATION_ASSIGNED)
    assert assigned[-1].details["reason"]["last_agent_preferred"] is True


def test_it_rechecks_the_holder_when_a_late_message_or_close_is_stored(chat):
    """ann's send or close passed the access check just before her transfer to bob
    committed: stored after it, neither may land in bob's chat."""
    from appliance.services.conversations import do_close_conversation
    from appliance.services.messages import Sender
    from appliance.services.messages import post_message
    from tests.appliance.audit_helpers import AUDITOR

    ann = chat.agent("ann")
    ann_id = ann.received("agent_state")[0]["agent"]["id"]
    conversation = chat.visitor().start()
    bob = chat.agent("bob")
    bob_id = bob.received("agent_state")[0]["agent"]["id"]
    ann.ok("transfer_conversation", {"conversation_id": conversation["id"], "to_agent_id": bob_id})
    as_ann = Sender(type="agent", id=str(ann_id), name="Ann")
    with chat.app.app_context(), db.connection_context():
        with pytest.raises(errors.NotFound):
            post_message(
                conversation["id"],
                sender=as_ann,
                actor=AUDITOR,
                client_msg_id="late-1",
                text="too late",
                holder=ann_id,
            )
        with pytest.raises(errors.NotFound):
            do_close_conversation(
                conversation["id"], closed_by="agent", actor=AUDITOR, holder=ann_id
            )
    row = _row(chat.app, conversation["id"])
    assert (row.status, row.agent_id, row.last_seq) == ("assigned", bob_id, 0)
    assert bob.sync(conversation["id"]) == []
