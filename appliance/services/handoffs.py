"""Hand-offs: offers accepted or declined, manual pickup, transfer, re-queueing, messages left.

Each `do_*` is one audited transaction; the claims are the conditional UPDATEs of
services/routing.py. Re-queued conversations keep the time they first queued,
so they go back near the front of their queue, ahead of everyone who came later
(the policy's priority order, docs/routing.md).

`sweep` is what a serving process runs every routing.sweep_seconds: offers that
lapsed move on, agents disconnected past the grace period go offline (their
chats re-queued), and conversations waiting past their queue's maximum pass to
the next step of its overflow chain.
"""

from __future__ import annotations

import logging
import secrets
from typing import cast

import gevent
from flask import Flask

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.models import OfflineMessage
from appliance.queries.chat import Sender
from appliance.queries.chat import agent_name
from appliance.queries.chat import conversation_for_agent
from appliance.queries.chat import conversation_for_visitor
from appliance.queries.routing import LEAVE_MESSAGE
from appliance.queries.routing import get_queue
from appliance.queries.routing import list_queues
from appliance.runtime import current_runtime
from appliance.sealed import seal
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.routing import announce_assignment
from appliance.services.routing import announce_positions
from appliance.services.routing import assign_directly
from appliance.services.routing import claim_agent
from appliance.services.routing import conversation_target
from appliance.services.routing import declined_set
from appliance.services.routing import dispatch
from appliance.services.routing import release_agent
from appliance.services.routing import serialize_routing
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

MAX_NOTE_CHARS = 2000

log = logging.getLogger(__name__)


def _agent_target(agent_id: int) -> Target:
    return Target(type="agent", id=str(agent_id))


# offers


@mutation
def do_accept_offer(conversation_id: str, *, agent_id: int, actor: Actor) -> Conversation:
    serialize_routing()
    now = clock.now_ms()
    accepted = (
        Conversation.update(
            status="assigned", assigned_ms=now, offered_agent_id=None, offer_expires_ms=None
        )
        .where(
            (Conversation.id == conversation_id)
            & (Conversation.status == "offered")
            & (Conversation.offered_agent_id == agent_id)
        )
        .execute()
    )
    if accepted != 1:
        raise errors.OfferGone("This conversation is no longer offered to you")
    conversation = Conversation.get_by_id(conversation_id)
    announce_assignment(conversation, {"trigger": "offer_accepted"})
    return conversation


@mutation
def do_decline_offer(
    conversation_id: str, *, agent_id: int, actor: Actor, lapsed: bool = False
) -> None:
    serialize_routing()
    conversation = Conversation.get_or_none(Conversation.id == conversation_id)
    if conversation is None or conversation.offered_agent_id != agent_id:
        raise errors.OfferGone("This conversation is no longer offered to you")
    declined = ",".join(str(i) for i in sorted(declined_set(conversation) | {agent_id}))
    withdrawn = (
        Conversation.update(
            status="queued",
            agent_id=None,
            offered_agent_id=None,
            offer_expires_ms=None,
            declined_by=declined,
        )
        .where(
            (Conversation.id == conversation_id)
            & (Conversation.status == "offered")
            & (Conversation.offered_agent_id == agent_id)
        )
        .execute()
    )
    if withdrawn != 1:
        raise errors.OfferGone("This conversation is no longer offered to you")
    release_agent(agent_id, clock.now_ms())
    record_audit(
        EventType.OFFER_DECLINED,
        actor=actor,
        target=conversation_target(conversation_id),
        details={"agent_id": agent_id, "lapsed": lapsed},
    )
    send_event_on_commit(
        "offer_withdrawn",
        {"conversation_id": conversation_id, "lapsed": lapsed},
        namespace=AGENT_NS,
        to=agent_room(agent_id),
    )
    dispatch({conversation.group})


# manual pickup


@mutation
def do_pick_up(conversation_id: str, *, agent_id: int, groups: frozenset[str]) -> Conversation:
    """An agent takes a waiting conversation of a queue they serve."""
    conversation = Conversation.get_or_none(Conversation.id == conversation_id)
    if conversation is None or conversation.group not in groups:
        raise errors.NotFound("No such conversation in your queues")
    if conversation.status != "queued":
        raise errors.NotWaiting("The conversation is no longer waiting")
    reason = {"trigger": "manual_pickup", "queue": conversation.group}
    if not assign_directly(conversation, agent_id, reason):
        presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
        if presence is None or presence.status != "online" or presence.load >= presence.capacity:
            raise errors.AgentUnavailable("Go online with free capacity to pick up a chat")
        raise errors.NotWaiting("The conversation is no longer waiting")
    return Conversation.get_by_id(conversation_id)


# transfer


@mutation
def do_transfer(
    conversation_id: str,
    *,
    from_agent_id: int,
    actor: Actor,
    note: str,
    to_agent_id: int | None = None,
    to_queue: str | None = None,
) -> Conversation:
    """Hand the conversation to another agent, or back to a queue, with a note for the receiver.

    The note is stored as an internal note of the conversation (never shown to the
    visitor), so whoever takes it over reads it in the history.
    """
    serialize_routing()
    if (to_agent_id is None) == (to_queue is None):
        raise errors.InvalidPayload("Give exactly one of to_agent_id and to_queue")
    conversation = Conversation.get_or_none(Conversation.id == conversation_id)
    if conversation is None or conversation.agent_id != from_agent_id:
        raise errors.NotFound("No such conversation assigned to you")
    if conversation.status != "assigned":
        raise errors.Conflict("Only an assigned conversation can be transferred")
    if to_agent_id == from_agent_id:
        raise errors.InvalidPayload("to_agent_id: the conversation is already yours")
    if to_queue is not None and get_queue(to_queue) is None:
        raise errors.NotFound(f"No such queue: {to_queue}")
    now = clock.now_ms()
    if to_agent_id is not None and not claim_agent(to_agent_id, now):
        raise errors.AgentUnavailable("That agent is not online with free capacity")
    moved = (
        Conversation.update(
            agent_id=to_agent_id,
            status="assigned" if to_agent_id is not None else "queued",
            group=to_queue or conversation.group,
            assigned_ms=now if to_agent_id is not None else None,
            last_agent_id=from_agent_id,
            declined_by="",
            routing_note="transferred",
        )
        .where(
            (Conversation.id == conversation_id)
            & (Conversation.status == "assigned")
            & (Conversation.agent_id == from_agent_id)
        )
        .execute()
    )
    if moved != 1:
        raise errors.Conflict("The conversation changed meanwhile; reload it")
    release_agent(from_agent_id, now)
    note_seq = _store_note(conversation_id, from_agent_id, actor, note) if note else None
    record_audit(
        EventType.CONVERSATION_TRANSFERRED,
        actor=actor,
        target=conversation_target(conversation_id),
        details={
            "from_agent_id": from_agent_id,
            "to_agent_id": to_agent_id,
            "to_queue": to_queue,
            "note_seq": note_seq,
        },
    )
    transferred = Conversation.get_by_id(conversation_id)
    handover = {"from_agent_id": from_agent_id, "note": note or None, "note_seq": note_seq}
    send_event_on_commit(
        "conversation_transferred",
        {"conversation_id": conversation_id, "to_agent_id": to_agent_id, "to_queue": to_queue},
        namespace=AGENT_NS,
        to=[agent_room(from_agent_id), group_room(conversation.group)],
    )
    if to_agent_id is not None:
        send_event_on_commit(
            "conversation_assigned",
            {**conversation_for_agent(transferred), "transfer": handover},
            namespace=AGENT_NS,
            to=agent_room(to_agent_id),
        )
        send_event_on_commit(
            "conversation_assigned",
            {
                "conversation_id": conversation_id,
                "agent": conversation_for_visitor(transferred)["agent"],
            },
            namespace=VISITOR_NS,
            to=visitor_room(conversation.visitor_id),
        )
    else:
        dispatch({transferred.group})
    dispatch(_queues_of(from_agent_id))
    return transferred


def _store_note(conversation_id: str, agent_id: int, actor: Actor, note: str) -> int:
    from appliance.services.messages import do_post_message

    view = do_post_message(
        conversation_id,
        sender=Sender(type="agent", id=str(agent_id), name=agent_name(agent_id) or ""),
        actor=actor,
        client_msg_id=f"transfer-{secrets.token_hex(8)}",
        text=note[:MAX_NOTE_CHARS],
        kind="note",
        origin_sid=None,
    )
    return int(view["seq"])


def _queues_of(agent_id: int) -> set[str]:
    presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
    return set() if presence is None else {g for g in presence.groups.split(",") if g}


# re-queueing


def requeue_agent_conversations(agent_id: int, *, reason: str) -> list[str]:
    """Inside a mutation: every conversation assigned or offered to the agent goes back to
    the front of its queue; returns their ids."""
    held = list(
        Conversation.select().where(
            (Conversation.agent_id == agent_id) & (Conversation.status.in_(["assigned", "offered"]))
        )
    )
    now = clock.now_ms()
    moved: list[str] = []
    for conversation in held:
        back = (
            Conversation.update(
                status="queued",
                agent_id=None,
                offered_agent_id=None,
                offer_expires_ms=None,
                last_agent_id=agent_id,
                routing_note="requeued",
            )
            .where(
                (Conversation.id == conversation.id)
                & (Conversation.agent_id == agent_id)
                & (Conversation.status.in_(["assigned", "offered"]))
            )
            .execute()
        )
        if back != 1:
            continue
        release_agent(agent_id, now)
        moved.append(conversation.id)
        record_audit(
            EventType.CONVERSATION_REQUEUED,
            actor=system_actor("routing"),
            target=conversation_target(conversation.id),
            details={"from_agent_id": agent_id, "reason": reason, "queue": conversation.group},
        )
        send_event_on_commit(
            "conversation_requeued",
            {"conversation_id": conversation.id, "reason": reason},
            namespace=AGENT_NS,
            to=[agent_room(agent_id), group_room(conversation.group)],
        )
    if held:
        dispatch({c.group for c in held})
    return moved


@mutation
def do_agent_disconnected(agent_id: int) -> None:
    """The agent's last connection dropped: start the grace period."""
    now = clock.now_ms()
    AgentPresence.update(disconnected_ms=now).where(
        (AgentPresence.agent_id == agent_id) & AgentPresence.disconnected_ms.is_null()
    ).execute()
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=_agent_target(agent_id),
        details={"connection": "lost"},
    )


@mutation
def do_agent_reconnected(agent_id: int) -> None:
    """The agent is back within the grace period: they keep their chats."""
    back = (
        AgentPresence.update(disconnected_ms=None)
        .where((AgentPresence.agent_id == agent_id) & AgentPresence.disconnected_ms.is_null(False))
        .execute()
    )
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=_agent_target(agent_id),
        details={"connection": "restored" if back else "opened"},
    )
    if back:
        dispatch(_queues_of(agent_id))


@mutation
def do_agent_gone(agent_id: int) -> list[str]:
    """Past the grace period: the agent goes offline and their chats are re-queued."""
    serialize_routing()
    gone = (
        AgentPresence.update(status="offline", changed_ms=clock.now_ms())
        .where((AgentPresence.agent_id == agent_id) & AgentPresence.disconnected_ms.is_null(False))
        .execute()
    )
    if gone != 1:
        return []
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=_agent_target(agent_id),
        details={"status": "offline", "reason": "disconnected"},
    )
    return requeue_agent_conversations(agent_id, reason="agent_disconnected")


# waiting too long


@mutation
def do_overflow_waiting(conversation_id: str) -> str | None:
    """Pass a conversation that waited past its queue's maximum to the next overflow step.

    Returns the queue it went to; None when the next step is leaving a message (the
    visitor is told, and the conversation stays queued until they close it).
    """
    serialize_routing()
    conversation = Conversation.get_or_none(Conversation.id == conversation_id)
    if conversation is None or conversation.status != "queued":
        return None
    config = get_queue(conversation.group)
    chain = config.overflow if config else ()
    target = next((q for q in chain if q == LEAVE_MESSAGE or get_queue(q) is not None), None)
    now = clock.now_ms()
    record_audit(
        EventType.QUEUE_OVERFLOWED,
        actor=system_actor("routing"),
        target=conversation_target(conversation_id),
        details={
            "passed": [{"queue": conversation.group, "why": "max_wait"}],
            "to": target,
        },
    )
    if target is None or target == LEAVE_MESSAGE:
        # Offered once: routing_note marks it so the sweep does not repeat it.
        Conversation.update(routing_note="leave_message_offered").where(
            Conversation.id == conversation_id
        ).execute()
        send_event_on_commit(
            "leave_message_offered",
            {"conversation_id": conversation_id, "reason": "max_wait"},
            namespace=VISITOR_NS,
            to=visitor_room(conversation.visitor_id),
        )
        return None
    Conversation.update(group=target, queued_ms=now, routing_note="overflowed").where(
        (Conversation.id == conversation_id) & (Conversation.status == "queued")
    ).execute()
    announce_positions({conversation.group})
    dispatch({target})
    return target


# leave a message


@mutation
def do_leave_message(
    *, visitor_id: str, queue: str, text: str, contact: str | None, conversation_id: str | None
) -> int:
    """Store a visitor's message for the ticketing workflow (encrypted), closing their
    waiting conversation if they had one."""
    if get_queue(queue) is None:
        raise errors.NotFound(f"No such queue: {queue}")
    now = clock.now_ms()
    row = OfflineMessage.create(
        conversation_id=conversation_id,
        visitor_id=visitor_id,
        queue=queue,
        body_enc=b"",
        status="new",
        created_ms=now,
    )
    OfflineMessage.update(
        body_enc=seal(text, context=f"offline_message:{row.id}:body"),
        contact_enc=None
        if contact is None
        else seal(contact, context=f"offline_message:{row.id}:contact"),
    ).where(OfflineMessage.id == row.id).execute()
    record_audit(
        EventType.MESSAGE_LEFT,
        actor=Actor(id=f"visitor:{visitor_id}", role="visitor"),
        target=Target(type="offline_message", id=str(row.id)),
        details={
            "queue": queue,
            "conversation_id": conversation_id,
            "contact": contact is not None,
        },
    )
    if conversation_id is not None:
        from appliance.services.conversations import do_close_conversation

        conversation = Conversation.get_or_none(Conversation.id == conversation_id)
        if conversation is not None and conversation.status != "closed":
            do_close_conversation(
                conversation_id,
                closed_by="leave_message",
                actor=Actor(id=f"visitor:{visitor_id}", role="visitor"),
            )
    return int(row.id)


# the sweep


def sweep(now_ms: int) -> dict[str, int]:
    """One pass over lapsed offers, agents past the grace, and waits past the maximum.

    Each item is its own transaction, so one failure does not hold up the rest.
    """
    grace_ms = current_runtime().settings.routing.disconnect_grace_seconds * 1000
    done = {"offers_lapsed": 0, "agents_gone": 0, "overflowed": 0}
    for conversation in Conversation.select(Conversation.id, Conversation.offered_agent_id).where(
        (Conversation.status == "offered") & (Conversation.offer_expires_ms <= now_ms)
    ):
        try:
            do_decline_offer(
                conversation.id,
                agent_id=cast(int, conversation.offered_agent_id),
                actor=system_actor("routing"),
                lapsed=True,
            )
            done["offers_lapsed"] += 1
        except errors.OfferGone:
            pass
    for presence in AgentPresence.select(AgentPresence.agent_id).where(
        AgentPresence.disconnected_ms.is_null(False)
        & (AgentPresence.disconnected_ms <= now_ms - grace_ms)
        & (AgentPresence.status != "offline")
    ):
        do_agent_gone(presence.agent_id)
        done["agents_gone"] += 1
    for config in list_queues():
        if config.max_wait_seconds <= 0:
            continue
        late = Conversation.select(Conversation.id).where(
            (Conversation.group == config.name)
            & (Conversation.status == "queued")
            & (Conversation.queued_ms <= now_ms - config.max_wait_seconds * 1000)
            & (
                Conversation.routing_note.is_null()
                | (Conversation.routing_note != "leave_message_offered")
            )
        )
        for conversation in late:
            do_overflow_waiting(conversation.id)
            done["overflowed"] += 1
    return done


def sweep_forever(app: Flask, interval_s: float) -> None:
    """A serving process's routing sweep (lifecycle.server_started)."""
    while True:
        gevent.sleep(interval_s)
        try:
            with app.app_context(), db.connection_context():
                sweep(clock.now_ms())
        except Exception:  # a sweep must never die; the next one retries
            log.exception("routing sweep failed")
