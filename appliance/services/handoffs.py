"""Hand-offs: offers accepted or declined, manual pickup, transfer.

Each `do_*` is one audited transaction; the claims are the conditional UPDATEs of
services/routing.py. Re-queueing and the routing sweep are in services/presence.py,
messages left for later in services/offline_messages.py.
"""

from __future__ import annotations

import secrets

from appliance import clock
from appliance import errors
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.chat import Sender
from appliance.queries.chat import agent_name
from appliance.queries.chat import conversation_for_agent
from appliance.queries.chat import conversation_for_visitor
from appliance.queries.routing import get_queue
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._routing_snapshot import agent_queues
from appliance.services._routing_snapshot import declined_set
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.participants import agent_joined
from appliance.services.participants import agent_left
from appliance.services.pii import mask_text
from appliance.services.routing import announce_assignment
from appliance.services.routing import assign_directly
from appliance.services.routing import claim_agent
from appliance.services.routing import conversation_target
from appliance.services.routing import dispatch
from appliance.services.routing import release_agent
from appliance.services.routing import serialize_routing
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

MAX_NOTE_CHARS = 2000


def agent_target(agent_id: int) -> Target:
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
    agent_joined(conversation_id, agent_id, now)
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
    declined = ",".join(str(i) for i in sorted(declined_set(conversation.declined_by) | {agent_id}))
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
    if len(note) > MAX_NOTE_CHARS:
        raise errors.InvalidPayload(f"note: longer than {MAX_NOTE_CHARS} characters")
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
    agent_left(conversation_id, from_agent_id, reason="transferred", now=now)
    if to_agent_id is not None:
        agent_joined(conversation_id, to_agent_id, now)
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
    # The receiver is an agent: PII in the note masked (the stored note can be revealed).
    handover = {
        "from_agent_id": from_agent_id,
        "note": mask_text(note) or None,
        "note_seq": note_seq,
    }
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
    dispatch(agent_queues(from_agent_id))
    return transferred


def _store_note(conversation_id: str, agent_id: int, actor: Actor, note: str) -> int:
    from appliance.services.messages import do_post_message

    view = do_post_message(
        conversation_id,
        sender=Sender(type="agent", id=str(agent_id), name=agent_name(agent_id) or ""),
        actor=actor,
        client_msg_id=f"transfer-{secrets.token_hex(8)}",
        text=note,
        kind="note",
        origin_sid=None,
    )
    return int(view["seq"])
