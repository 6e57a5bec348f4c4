"""Agents who go away and chats that wait too long: re-queueing and the routing sweep.

Re-queued conversations keep the time they first queued, so they go back near the
front of their queue, ahead of everyone who came later (docs/routing.md).

Whether an agent is connected at all (on any node) is services/agent_connections.py.

`sweep` is what every serving process runs every routing.sweep_seconds: offers that
lapsed move on, agents disconnected past the grace period go offline (their chats
re-queued), and conversations waiting past their queue's maximum pass to the next
step of its overflow chain.
"""

from __future__ import annotations

import logging
from typing import cast

import gevent
from flask import Flask

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.routing import LEAVE_MESSAGE
from appliance.queries.routing import get_queue
from appliance.queries.routing import list_queues
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._uow import mutation
from appliance.services.agent_connections import expire_silent_connections
from appliance.services.agent_connections import refresh_node
from appliance.services.agent_connections import this_node
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.handoffs import agent_target
from appliance.services.handoffs import do_decline_offer
from appliance.services.participants import agent_left
from appliance.services.queue_positions import announce_positions
from appliance.services.routing import conversation_target
from appliance.services.routing import dispatch
from appliance.services.routing import release_agent
from appliance.services.routing import serialize_routing
from audit.events import EventType

log = logging.getLogger(__name__)

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
        agent_left(conversation.id, agent_id, reason=reason, now=now)  # none if only offered
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
def do_agent_gone(agent_id: int) -> list[str]:
    """Past the grace period: the agent goes offline and their chats are re-queued.

    Raises Conflict if they reconnected meanwhile or another node's sweep was first.
    """
    serialize_routing()
    gone = (
        AgentPresence.update(status="offline", changed_ms=clock.now_ms())
        .where(
            (AgentPresence.agent_id == agent_id)
            & AgentPresence.disconnected_ms.is_null(False)
            & (AgentPresence.status != "offline")
        )
        .execute()
    )
    if gone != 1:  # they came back, or another node's sweep was first
        raise errors.Conflict("The agent is connected again or gone already")
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=agent_target(agent_id),
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


# the sweep


def sweep(now_ms: int) -> dict[str, int]:
    """One pass over lapsed offers, agents past the grace, and waits past the maximum.

    First this node's agent connections are marked alive, and those of nodes that
    stopped doing so are expired (services/agent_connections.py). Each item is its
    own transaction, so one failure does not hold up the rest. Every node sweeps:
    an item another node handled first is skipped.
    """
    refresh_node(this_node(), now_ms)
    grace_ms = current_runtime().settings.routing.disconnect_grace_seconds * 1000
    done = {
        "offers_lapsed": 0,
        "agents_gone": 0,
        "overflowed": 0,
        "connections_expired": expire_silent_connections(now_ms),
    }
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
        try:
            do_agent_gone(presence.agent_id)
            done["agents_gone"] += 1
        except errors.Conflict:
            pass
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
