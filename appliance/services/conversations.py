"""Conversations: start, assign or queue, close; agents' status and capacity.

Assignment for now (the routing issue replaces the choice, not these
services): the online agent of the conversation's group with free capacity and
the fewest open conversations (ties: the one assigned longest ago); else the
conversation waits in a first-in-first-out queue per group and the visitor is
told their position. An agent who comes online, raises capacity or closes a
conversation takes the head of the queue.

An agent is claimed with a conditional UPDATE (status online and load below
capacity, checked by row count), so two processes can never push an agent over
capacity; a conversation is claimed the same way from status "queued".
"""

from __future__ import annotations

import secrets
from typing import Any

from peewee import IntegrityError

from appliance import clock
from appliance import errors
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.chat import conversation_for_agent
from appliance.queries.chat import conversation_for_visitor
from appliance.queries.chat import open_conversation_of
from appliance.queries.chat import queue_position
from appliance.queries.chat import queued_in_group
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.visitors import VisitorIdentity
from appliance.services.visitors import ensure_visitor_row
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

STATUSES = ("online", "away", "offline")


def visitor_actor(visitor_id: str) -> Actor:
    return Actor(id=f"visitor:{visitor_id}", role="visitor")


def conversation_target(conversation_id: str) -> Target:
    return Target(type="conversation", id=conversation_id)


@mutation
def do_start_conversation(identity: VisitorIdentity, *, group: str) -> Conversation:
    """Open a conversation for the visitor, then assign or queue it.

    Raises peewee.IntegrityError if the visitor already has an open one (the
    database allows one); the caller then returns that one.
    """
    ensure_visitor_row(identity)
    now = clock.now_ms()
    conversation = Conversation.create(
        id=secrets.token_hex(16),
        visitor_id=identity.id,
        group=group,
        status="queued",
        opened_ms=now,
        queued_ms=now,
    )
    record_audit(
        EventType.CONVERSATION_STARTED,
        actor=visitor_actor(identity.id),
        target=conversation_target(conversation.id),
        details={"group": group, "visitor_kind": identity.kind},
    )
    if not _assign_to_free_agent(conversation):
        send_event_on_commit(
            "conversation_queued",
            {"conversation_id": conversation.id, "queue_position": queue_position(conversation)},
            namespace=VISITOR_NS,
            to=visitor_room(identity.id),
        )
    return conversation


def start_or_resume(identity: VisitorIdentity, *, group: str) -> Conversation:
    """The visitor's open conversation, or a new one (two devices at once get the same)."""
    existing = open_conversation_of(identity.id)
    if existing is not None:
        return existing
    try:
        return do_start_conversation(identity, group=group)
    except IntegrityError:
        existing = open_conversation_of(identity.id)
        if existing is None:
            raise
        return existing


@mutation
def do_close_conversation(conversation_id: str, *, closed_by: str, actor: Actor) -> Conversation:
    conversation = Conversation.get_by_id(conversation_id)
    if conversation.status == "closed":
        raise errors.ConversationClosed("The conversation is already closed")
    now = clock.now_ms()
    was_queued = conversation.status == "queued"
    agent_id = conversation.agent_id
    claimed = (
        Conversation.update(status="closed", closed_ms=now, closed_by=closed_by)
        .where((Conversation.id == conversation_id) & (Conversation.status != "closed"))
        .execute()
    )
    if claimed != 1:
        raise errors.ConversationClosed("The conversation is already closed")
    conversation.status, conversation.closed_ms, conversation.closed_by = "closed", now, closed_by
    record_audit(
        EventType.CONVERSATION_CLOSED,
        actor=actor,
        target=conversation_target(conversation_id),
        details={"closed_by": closed_by},
    )
    payload = {"conversation_id": conversation_id, "closed_by": closed_by}
    send_event_on_commit(
        "conversation_closed",
        payload,
        namespace=VISITOR_NS,
        to=visitor_room(conversation.visitor_id),
    )
    agent_rooms = [group_room(conversation.group)]
    if agent_id is not None:
        agent_rooms.append(agent_room(agent_id))
        AgentPresence.update(load=AgentPresence.load - 1).where(
            (AgentPresence.agent_id == agent_id) & (AgentPresence.load > 0)
        ).execute()
        _take_from_queue(agent_id)
    send_event_on_commit("conversation_closed", payload, namespace=AGENT_NS, to=agent_rooms)
    if was_queued:
        _announce_positions(conversation.group)
    return conversation


@mutation
def do_set_status(
    *, agent_id: int, groups: frozenset[str], status: str, capacity: int | None, actor: Actor
) -> AgentPresence:
    if status not in STATUSES:
        raise errors.InvalidPayload(f"status: expected one of {', '.join(STATUSES)}")
    now = clock.now_ms()
    presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
    if presence is None:
        default = current_runtime().settings.chat.default_capacity
        AgentPresence.insert(
            agent_id=agent_id,
            status=status,
            capacity=capacity or default,
            load=0,
            groups=",".join(sorted(groups)),
            changed_ms=now,
        ).execute()
    else:
        AgentPresence.update(
            status=status,
            capacity=capacity or presence.capacity,
            groups=",".join(sorted(groups)),
            changed_ms=now,
        ).where(AgentPresence.agent_id == agent_id).execute()
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=actor,
        target=Target(type="agent", id=str(agent_id)),
        details={"status": status, "capacity": capacity},
    )
    if status == "online":
        _take_from_queue(agent_id)
    return AgentPresence.get_by_id(agent_id)


def presence_view(agent_id: int) -> dict[str, Any]:
    presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
    if presence is None:
        return {"status": "offline", "capacity": None, "load": 0}
    return {"status": presence.status, "capacity": presence.capacity, "load": presence.load}


# assignment (inside a mutation)


def _assign_to_free_agent(conversation: Conversation) -> bool:
    candidates = (
        AgentPresence.select()
        .where((AgentPresence.status == "online") & (AgentPresence.load < AgentPresence.capacity))
        .order_by(AgentPresence.load, AgentPresence.last_assigned_ms, AgentPresence.agent_id)
    )
    for presence in candidates:
        if conversation.group in presence.groups.split(",") and _claim(presence.agent_id):
            _assign(conversation, presence.agent_id)
            return True
    return False


def _claim(agent_id: int) -> bool:
    claimed = (
        AgentPresence.update(load=AgentPresence.load + 1, last_assigned_ms=clock.now_ms())
        .where(
            (AgentPresence.agent_id == agent_id)
            & (AgentPresence.status == "online")
            & (AgentPresence.load < AgentPresence.capacity)
        )
        .execute()
    )
    return bool(claimed == 1)


def _assign(conversation: Conversation, agent_id: int) -> None:
    now = clock.now_ms()
    Conversation.update(status="assigned", agent_id=agent_id, assigned_ms=now).where(
        Conversation.id == conversation.id
    ).execute()
    conversation.status, conversation.agent_id, conversation.assigned_ms = "assigned", agent_id, now
    record_audit(
        EventType.CONVERSATION_ASSIGNED,
        actor=system_actor("assignment"),
        target=conversation_target(conversation.id),
        details={"agent_id": agent_id},
    )
    agent_view = conversation_for_agent(conversation)
    send_event_on_commit(
        "conversation_assigned",
        agent_view,
        namespace=AGENT_NS,
        to=[agent_room(agent_id), group_room(conversation.group)],
    )
    send_event_on_commit(
        "conversation_assigned",
        {
            "conversation_id": conversation.id,
            "agent": conversation_for_visitor(conversation)["agent"],
        },
        namespace=VISITOR_NS,
        to=visitor_room(conversation.visitor_id),
    )


def _take_from_queue(agent_id: int) -> None:
    """Give the agent the oldest queued conversations of their groups while they have room."""
    presence = AgentPresence.get_by_id(agent_id)
    groups = set(presence.groups.split(","))
    touched: set[str] = set()
    while True:
        waiting = (
            Conversation.select()
            .where((Conversation.status == "queued") & (Conversation.group.in_(groups)))
            .order_by(Conversation.queued_ms, Conversation.id)
            .first()
        )
        if waiting is None or not _claim(agent_id):
            break
        claimed = (
            Conversation.update(status="assigning")
            .where((Conversation.id == waiting.id) & (Conversation.status == "queued"))
            .execute()
        )
        if claimed != 1:  # taken by another process meanwhile: give the slot back
            AgentPresence.update(load=AgentPresence.load - 1).where(
                AgentPresence.agent_id == agent_id
            ).execute()
            continue
        _assign(waiting, agent_id)
        touched.add(waiting.group)
    for group in touched:
        _announce_positions(group)


def _announce_positions(group: str) -> None:
    for position, conversation in enumerate(queued_in_group(group), start=1):
        send_event_on_commit(
            "conversation_queued",
            {"conversation_id": conversation.id, "queue_position": position},
            namespace=VISITOR_NS,
            to=visitor_room(conversation.visitor_id),
        )
