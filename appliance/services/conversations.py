"""Conversations: start (choosing a queue), close; agents' status and capacity.

Who gets a conversation is decided by the routing policy and made true by
services/routing.py (`dispatch`), with the database claims that keep two
processes from assigning one conversation twice or pushing an agent over
capacity. This module says when to route: a conversation starts, an agent comes
online or frees capacity, a conversation closes.

Choosing the queue at start: the queue the visitor asked for, else the one the
intent rules (appliance/routing/intent.py) find in the pre-chat choice or first
message, else "general". A queue that is closed (business hours) or full
(max_queue_length) passes the visitor along its overflow chain; a chain that
ends in "leave_message", or runs out, offers the visitor to leave a message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError

from appliance import clock
from appliance import errors
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.chat import open_conversation_of
from appliance.queries.routing import LEAVE_MESSAGE
from appliance.queries.routing import QueueConfig
from appliance.queries.routing import get_queue
from appliance.routing.hours import is_open
from appliance.routing.intent import classify
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._routing_snapshot import agent_queues
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.intent_routing import intent_rules
from appliance.services.participants import everyone_left
from appliance.services.participants import visitor_joined
from appliance.services.queue_positions import announce_positions
from appliance.services.routing import conversation_target
from appliance.services.routing import dispatch
from appliance.services.routing import release_agent
from appliance.services.routing import serialize_routing
from appliance.services.visitors import VisitorIdentity
from appliance.services.visitors import ensure_visitor_row
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

DEFAULT_QUEUE = "general"
LANGUAGES = ("zh-CN", "en")  # the languages queue texts are written in


@dataclass(frozen=True)
class QueueChoice:
    """Where a new conversation goes: a queue, or (queue None) a message to leave."""

    queue: str | None
    asked: str  # the queue first chosen (asked for, by intent, or the default)
    intent: str | None  # how it was chosen: "asked", "prechat", "rules", "classifier", "default"
    passed: tuple[tuple[str, str], ...]  # (queue, "closed" | "full") passed over, in order

    @property
    def why_unavailable(self) -> str | None:
        return self.passed[-1][1] if self.queue is None and self.passed else None


STATUSES = ("online", "away", "offline")


def visitor_actor(visitor_id: str) -> Actor:
    return Actor(id=f"visitor:{visitor_id}", role="visitor")


def choose_queue(
    asked: str | None, *, topic: str | None = None, text: str | None = None
) -> QueueChoice:
    """The queue a new conversation goes to (see the module doc)."""
    how: str
    if asked is not None and get_queue(asked) is not None:
        first, how = asked, "asked"
    else:
        match = classify(text or "", intent_rules(), prechat_choice=topic)
        if match is not None and get_queue(match.queue) is not None:
            first, how = match.queue, match.via
        else:
            first, how = DEFAULT_QUEUE, "default"
    config = get_queue(first)
    chain = (first, *(config.overflow if config else (LEAVE_MESSAGE,)))
    passed: list[tuple[str, str]] = []
    for name in chain:
        if name == LEAVE_MESSAGE:
            break
        candidate = get_queue(name)
        if candidate is None:
            continue
        refusal = _refusal(candidate)
        if refusal is None:
            return QueueChoice(name, first, how, tuple(passed))
        passed.append((name, refusal))
    return QueueChoice(None, first, how, tuple(passed))


def _refusal(config: QueueConfig) -> str | None:
    if not is_open(config.hours, clock.utcnow()):
        return "closed"
    if config.max_queue_length > 0:
        waiting = (
            Conversation.select()
            .where((Conversation.group == config.name) & (Conversation.status == "queued"))
            .count()
        )
        if waiting >= config.max_queue_length:
            return "full"
    return None


@mutation
def do_start_conversation(identity: VisitorIdentity, *, choice: QueueChoice) -> Conversation:
    """Open a conversation for the visitor in `choice.queue`, then route it.

    Raises peewee.IntegrityError if the visitor already has an open one (the
    database allows one); the caller then returns that one.
    """
    assert choice.queue is not None
    serialize_routing()
    ensure_visitor_row(identity)
    now = clock.now_ms()
    conversation = Conversation.create(
        id=secrets.token_hex(16),
        visitor_id=identity.id,
        group=choice.queue,
        status="queued",
        opened_ms=now,
        queued_ms=now,
        vip=identity.vip,
        last_agent_id=_last_agent_of(identity.id),
    )
    visitor_joined(conversation.id, identity.id, now)
    record_audit(
        EventType.CONVERSATION_STARTED,
        actor=visitor_actor(identity.id),
        target=conversation_target(conversation.id),
        details={
            "group": choice.queue,
            "visitor_kind": identity.kind,
            "vip": identity.vip,
            "chosen_by": choice.intent,
        },
    )
    if choice.passed:
        record_audit(
            EventType.QUEUE_OVERFLOWED,
            actor=system_actor("routing"),
            target=conversation_target(conversation.id),
            details={
                "passed": [{"queue": q, "why": why} for q, why in choice.passed],
                "to": choice.queue,
            },
        )
    dispatch({choice.queue})
    return Conversation.get_by_id(conversation.id)


def _last_agent_of(visitor_id: str) -> int | None:
    """Who served this visitor (a customer: on any device) last, for queues that prefer them."""
    previous = (
        Conversation.select(Conversation.agent_id)
        .where((Conversation.visitor_id == visitor_id) & Conversation.agent_id.is_null(False))
        .order_by(Conversation.opened_ms.desc())
        .first()
    )
    return None if previous is None else previous.agent_id


def start_or_resume(identity: VisitorIdentity, *, choice: QueueChoice) -> Conversation:
    """The visitor's open conversation, or a new one (two devices at once get the same)."""
    existing = open_conversation_of(identity.id)
    if existing is not None:
        return existing
    try:
        return do_start_conversation(identity, choice=choice)
    except IntegrityError:
        existing = open_conversation_of(identity.id)
        if existing is None:
            raise
        return existing


def queue_texts(queue: str, language: str) -> dict[str, Any]:
    """The queue's welcome and waiting texts in the visitor's language (zh-CN or en)."""
    config = get_queue(queue)
    if config is None:
        return {"welcome_message": "", "queue_message": ""}
    pick = "zh_cn" if language.lower().startswith("zh") else "en"
    return {
        "welcome_message": getattr(config.welcome_message, pick),
        "queue_message": getattr(config.queue_message, pick),
    }


@mutation
def do_close_conversation(
    conversation_id: str, *, closed_by: str, actor: Actor, holder: int | None = None
) -> Conversation:
    """Close the conversation. `holder`: the agent closing it, who must still hold it
    (a transfer or requeue may have committed since the caller checked)."""
    serialize_routing()
    conversation = Conversation.get_by_id(conversation_id)
    if conversation.status == "closed":
        raise errors.ConversationClosed("The conversation is already closed")
    if holder is not None and conversation.agent_id != holder:
        raise errors.NotFound("No such conversation")
    if holder is not None and conversation.status != "assigned":
        raise errors.OfferNotAccepted("Accept the offer first")
    now = clock.now_ms()
    was_queued = conversation.status == "queued"
    # An offered conversation holds a slot of the agent it was offered to, too.
    agent_id = conversation.agent_id
    claimed = (
        Conversation.update(status="closed", closed_ms=now, closed_by=closed_by)
        .where((Conversation.id == conversation_id) & (Conversation.status != "closed"))
        .execute()
    )
    if claimed != 1:
        raise errors.ConversationClosed("The conversation is already closed")
    conversation.status, conversation.closed_ms, conversation.closed_by = "closed", now, closed_by
    everyone_left(conversation_id, reason="closed", now=now)
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
        release_agent(agent_id, now)
        dispatch(agent_queues(agent_id))
    send_event_on_commit("conversation_closed", payload, namespace=AGENT_NS, to=agent_rooms)
    if was_queued:
        announce_positions({conversation.group})
    return conversation


@mutation
def do_set_status(
    *, agent_id: int, groups: frozenset[str], status: str, capacity: int | None, actor: Actor
) -> AgentPresence:
    if status not in STATUSES:
        raise errors.InvalidPayload(f"status: expected one of {', '.join(STATUSES)}")
    serialize_routing()
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
            idle_since_ms=now,
        ).execute()
    else:
        AgentPresence.update(
            status=status,
            capacity=capacity or presence.capacity,
            groups=",".join(sorted(groups)),
            changed_ms=now,
            disconnected_ms=None,
        ).where(AgentPresence.agent_id == agent_id).execute()
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=actor,
        target=Target(type="agent", id=str(agent_id)),
        details={"status": status, "capacity": capacity},
    )
    if status == "online":
        dispatch(groups)
    elif status == "offline":
        from appliance.services.presence import requeue_agent_conversations

        requeue_agent_conversations(agent_id, reason="agent_offline")
    return AgentPresence.get_by_id(agent_id)


def presence_view(agent_id: int) -> dict[str, Any]:
    presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
    if presence is None:
        return {"status": "offline", "capacity": None, "load": 0}
    return {"status": presence.status, "capacity": presence.capacity, "load": presence.load}
