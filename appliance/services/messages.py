"""Posting messages and moving read positions.

A message is stored once per (conversation, sender, client_msg_id): a resend of
the same id finds the stored one and changes nothing (see post_message). Its seq
is taken by incrementing the conversation's last_seq inside the same
transaction, so seqs are gap-free and, on PostgreSQL, serialized by the row lock.
The body is sealed with associated data naming the conversation and the seq.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance import clock
from appliance import errors
from appliance.models import Conversation
from appliance.models import Message
from appliance.queries._raw import execute
from appliance.queries.chat import Sender
from appliance.queries.chat import conversation_by_id
from appliance.queries.chat import find_message
from appliance.queries.chat import message_view
from appliance.queries.chat import posted_view
from appliance.sealed import message_context
from appliance.sealed import seal
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.compliance import check_reply
from appliance.services.pii import masked_view
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

# The next seq, the open-conversation check and what the emits need, in one statement.
_NEXT_SEQ = (
    "UPDATE conversation SET last_seq = last_seq + 1 WHERE id = ? AND status <> 'closed'"
    ' RETURNING last_seq, "group", agent_id, visitor_id, status'
)
# A resend (same conversation, sender and client_msg_id) inserts nothing: the row count
# says so, and the mutation then raises, which rolls back the seq taken above. This is
# the resend check of a message without a compliance check; it costs no SELECT.
_INSERT_MESSAGE = (
    "INSERT INTO message (conversation_id, seq, sender_type, sender_id, client_msg_id, kind,"
    " body_enc, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (conversation_id, sender_type, sender_id, client_msg_id) DO NOTHING"
)


class _AlreadyStored(Exception):
    """Raised inside the mutation to roll back nothing and report the stored message."""

    def __init__(self, message: Message) -> None:
        self.message = message


@dataclass(frozen=True)
class Posted:
    message: dict[str, Any]
    duplicate: bool


def post_message(
    conversation_id: str,
    *,
    sender: Sender,
    actor: Actor,
    client_msg_id: str,
    text: str,
    kind: str = "text",
    origin_sid: str | None = None,
    confirmed_rules: frozenset[str] | None = None,
    holder: int | None = None,
) -> Posted:
    """Store the message, or find it if this client_msg_id was stored before.

    The resend check runs inside the transaction (do_post_message), so a resend
    that races its original into the same group-commit batch is caught too.
    `holder`, for an agent's message, is that agent: the conversation must still be
    assigned to them when the message is stored (a transfer, requeue or re-offer may
    have committed since the caller checked). `confirmed_rules` (an agent's reply to
    the visitor; None: no check) are the
    compliance rules the sender confirmed (services/compliance.py).
    """
    try:
        view = do_post_message(
            conversation_id,
            sender=sender,
            actor=actor,
            client_msg_id=client_msg_id,
            text=text,
            kind=kind,
            origin_sid=origin_sid,
            confirmed_rules=confirmed_rules,
            holder=holder,
        )
    except _AlreadyStored as exc:
        return Posted(message=message_view(exc.message, sender.name), duplicate=True)
    return Posted(message=view, duplicate=False)


@mutation
def do_post_message(
    conversation_id: str,
    *,
    sender: Sender,
    actor: Actor,
    client_msg_id: str,
    text: str,
    kind: str,
    origin_sid: str | None,
    confirmed_rules: frozenset[str] | None = None,
    holder: int | None = None,
) -> dict[str, Any]:
    flagged: tuple[str, ...] = ()
    if confirmed_rules is not None:
        stored = find_message(conversation_id, sender, client_msg_id)
        if stored is not None:
            raise _AlreadyStored(stored)  # before the compliance check: a resend gets its ack
        flagged = check_reply(text, confirmed_rules)
    # Precompiled SQL (queries/_raw.py): these run for every message.
    bumped = execute(_NEXT_SEQ, (conversation_id,)).fetchone()
    if bumped is None:
        stored = find_message(conversation_id, sender, client_msg_id)
        if stored is not None:  # a resend after the conversation closed still gets its ack
            raise _AlreadyStored(stored)
        if conversation_by_id(conversation_id) is None:
            raise errors.NotFound("No such conversation")
        raise errors.ConversationClosed("The conversation is closed")
    seq, group, agent_id, visitor_id = int(bumped[0]), bumped[1], bumped[2], bumped[3]
    if holder is not None and (agent_id != holder or bumped[4] != "assigned"):
        # Raising rolls back this unit, the seq taken above included.
        stored = find_message(conversation_id, sender, client_msg_id)
        if stored is not None:  # sent while they held it: the resend still gets its ack
            raise _AlreadyStored(stored)
        if agent_id == holder:
            raise errors.OfferNotAccepted("Accept the offer first")
        raise errors.NotFound("No such conversation")
    now = clock.now_ms()
    body = seal(text, context=message_context(conversation_id, seq))
    inserted = execute(
        _INSERT_MESSAGE,
        (conversation_id, seq, sender.type, sender.id, client_msg_id, kind, body, now),
    ).rowcount
    if inserted != 1:  # a resend: raising rolls back this unit, the seq taken above included
        stored = find_message(conversation_id, sender, client_msg_id)
        if stored is None:
            raise RuntimeError("message insert ignored, yet no stored message found")
        raise _AlreadyStored(stored)
    record_audit(
        EventType.MESSAGE_POSTED,
        actor=actor,
        target=Target(type="conversation", id=conversation_id),
        details={"seq": seq, "kind": kind},
    )
    if flagged:
        record_audit(
            EventType.COMPLIANCE_PROMPT_CONFIRMED,
            actor=actor,
            target=Target(type="conversation", id=conversation_id),
            details={"seq": seq, "rules": list(flagged)},
        )
    view = posted_view(conversation_id, seq, client_msg_id, sender, kind, text, now)
    agent_rooms = [group_room(group)]
    if agent_id is not None:
        agent_rooms.append(agent_room(agent_id))
    send_event_on_commit(
        "message_posted",
        masked_view(view),  # agents see PII masked (reveal_message, audited)
        namespace=AGENT_NS,
        to=agent_rooms,
        skip_sid=origin_sid,
    )
    if kind != "note":
        send_event_on_commit(
            "message_posted",
            view,
            namespace=VISITOR_NS,
            to=visitor_room(visitor_id),
            skip_sid=origin_sid,
        )
    return view


@mutation
def do_mark_read(conversation_id: str, *, side: str, seq: int, actor: Actor) -> int:
    """Move `side`'s read position forward to `seq` (never back); return the position."""
    conversation = Conversation.get_by_id(conversation_id)
    column = Conversation.visitor_read_seq if side == "visitor" else Conversation.agent_read_seq
    current = getattr(conversation, column.name)
    seq = min(seq, conversation.last_seq)
    if seq <= current:
        record_audit(
            EventType.MESSAGES_READ,
            actor=actor,
            target=Target(type="conversation", id=conversation_id),
            details={"side": side, "seq": current, "moved": False},
        )
        return int(current)
    Conversation.update({column: seq}).where(
        (Conversation.id == conversation_id) & (column < seq)
    ).execute()
    record_audit(
        EventType.MESSAGES_READ,
        actor=actor,
        target=Target(type="conversation", id=conversation_id),
        details={"side": side, "seq": seq, "moved": True},
    )
    payload = {"conversation_id": conversation_id, "reader": side, "seq": seq}
    if side == "visitor":
        rooms = [group_room(conversation.group)]
        if conversation.agent_id is not None:
            rooms.append(agent_room(conversation.agent_id))
        send_event_on_commit("read_changed", payload, namespace=AGENT_NS, to=rooms)
    else:
        send_event_on_commit(
            "read_changed", payload, namespace=VISITOR_NS, to=visitor_room(conversation.visitor_id)
        )
    return seq
