"""Reading chats: access checks that fetch, catch-up pages, and the JSON views sent to clients.

`access_*` functions authorize while fetching and raise NotFound for a
conversation that is missing and for one the caller may not see alike, so an id
probe learns nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from appliance import errors
from appliance.models import Agent
from appliance.models import Conversation
from appliance.models import Message
from appliance.models import Visitor
from appliance.permissions import Permission
from appliance.queries._raw import fetch_one
from appliance.sealed import message_context
from appliance.sealed import unseal
from appliance.sealed import visitor_context
from audit.canonical import format_time
from crypto.envelope import parse_header
from crypto.errors import AuthenticationError
from crypto.errors import EnvelopeError
from crypto.errors import KeyDestroyedError
from crypto.errors import KeyNotFoundError

log = logging.getLogger(__name__)

# What a stored ciphertext that does not open raises, one row at a time: tampered, copied
# from another row or field (the associated data names the row), malformed, or sealed
# under a data key this keystore lacks or has crypto-shredded.
UNREADABLE = (AuthenticationError, EnvelopeError, KeyNotFoundError, KeyDestroyedError)


class AgentLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def groups(self) -> frozenset[str]: ...
    @property
    def permissions(self) -> frozenset[Permission]: ...


@dataclass(frozen=True)
class Sender:
    """Who posts a message. `name` is shown to the other side."""

    type: str  # "visitor" | "agent" | "system"
    id: str
    name: str


def iso_ms(ms: int) -> str:
    """RFC 3339 UTC with milliseconds ("2026-11-20T08:00:00.000Z"), as audit times are
    spelled; audit's formatter caches the second, which every message's view needs."""
    return format_time(ms)


# access

_CONVERSATION_COLUMNS = (
    "id",
    "visitor_id",
    "group",
    "status",
    "agent_id",
    "last_seq",
    "visitor_read_seq",
    "agent_read_seq",
    "opened_ms",
    "queued_ms",
    "assigned_ms",
    "closed_ms",
    "closed_by",
)
_CONVERSATION_BY_ID = (
    'SELECT id, visitor_id, "group", status, agent_id, last_seq, visitor_read_seq,'
    " agent_read_seq, opened_ms, queued_ms, assigned_ms, closed_ms, closed_by"
    " FROM conversation WHERE id = ?"
)
_MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "seq",
    "sender_type",
    "sender_id",
    "client_msg_id",
    "kind",
    "body_enc",
    "created_ms",
)
_MESSAGE_BY_CLIENT_ID = (
    "SELECT id, conversation_id, seq, sender_type, sender_id, client_msg_id, kind, body_enc,"
    " created_ms FROM message WHERE conversation_id = ? AND sender_type = ? AND sender_id = ?"
    " AND client_msg_id = ?"
)


def conversation_by_id(conversation_id: str) -> Conversation | None:
    """The conversation, or None (precompiled: this runs for every message)."""
    row = fetch_one(_CONVERSATION_BY_ID, (conversation_id,))
    if row is None:
        return None
    return Conversation(**dict(zip(_CONVERSATION_COLUMNS, row, strict=True)))


def open_conversation_of(visitor_id: str) -> Conversation | None:
    found: Conversation | None = (
        Conversation.select()
        .where((Conversation.visitor_id == visitor_id) & (Conversation.status != "closed"))
        .first()
    )
    return found


def access_conversation_by_visitor(visitor_id: str, conversation_id: str) -> Conversation:
    conversation = conversation_by_id(conversation_id)
    if conversation is None or conversation.visitor_id != visitor_id:
        raise errors.NotFound("No such conversation")
    return conversation


def access_conversation_by_agent(
    agent: AgentLike, conversation_id: str, *, to_post: bool = False
) -> Conversation:
    """The assigned agent may read and post; a supervisor of its group may read. An
    agent the conversation is only offered to may read it (to decide), not post."""
    conversation = conversation_by_id(conversation_id)
    if conversation is None:
        raise errors.NotFound("No such conversation")
    if conversation.agent_id == agent.id:
        if to_post and conversation.status == "offered":
            raise errors.OfferNotAccepted("Accept the offer first")
        return conversation
    if (
        not to_post
        and Permission.CONVERSATION_VIEW_GROUP in agent.permissions
        and conversation.group in agent.groups
    ):
        return conversation
    raise errors.NotFound("No such conversation")


def find_message(conversation_id: str, sender: Sender, client_msg_id: str) -> Message | None:
    row = fetch_one(_MESSAGE_BY_CLIENT_ID, (conversation_id, sender.type, sender.id, client_msg_id))
    if row is None:
        return None
    return Message(**dict(zip(_MESSAGE_COLUMNS, row, strict=True)))


def messages_after(
    conversation: Conversation, after_seq: int, limit: int, *, include_notes: bool
) -> tuple[list[dict[str, Any]], bool]:
    """Messages with seq > after_seq in order, at most `limit`; and whether more follow."""
    query = Message.select().where(
        (Message.conversation_id == conversation.id) & (Message.seq > after_seq)
    )
    if not include_notes:
        query = query.where(Message.kind != "note")
    rows = list(query.order_by(Message.seq).limit(limit + 1))
    names = _sender_names(conversation, rows[:limit])
    views = [message_view(row, names[(row.sender_type, row.sender_id)]) for row in rows[:limit]]
    return views, len(rows) > limit


def assigned_conversations(agent_id: int) -> list[Conversation]:
    return list(
        Conversation.select()
        .where((Conversation.agent_id == agent_id) & (Conversation.status == "assigned"))
        .order_by(Conversation.assigned_ms)
    )


def queued_in_group(group: str) -> list[Conversation]:
    return list(
        Conversation.select()
        .where((Conversation.status == "queued") & (Conversation.group == group))
        .order_by(Conversation.queued_ms, Conversation.id)
    )


def queue_position(conversation: Conversation) -> int | None:
    if conversation.status != "queued":
        return None
    ahead = (
        Conversation.select()
        .where(
            (Conversation.status == "queued")
            & (Conversation.group == conversation.group)
            & (
                (Conversation.queued_ms < conversation.queued_ms)
                | (
                    (Conversation.queued_ms == conversation.queued_ms)
                    & (Conversation.id < conversation.id)
                )
            )
        )
        .count()
    )
    return int(ahead) + 1


# views


def message_text(conversation_id: str, seq: int, body_enc: bytes) -> str | None:
    """The body of message `seq`, or None when its ciphertext does not open.

    A body that fails authentication is never shown, and never stops the rest of the
    conversation from being read: each failure is one WARNING naming the conversation,
    the seq, the error code and the envelope's key id (tampering or a key problem; an
    operator's lead), never the ciphertext or any text."""
    try:
        return unseal(body_enc, context=message_context(conversation_id, seq))
    except UNREADABLE as exc:
        log.warning(
            "message body unreadable: conversation=%s seq=%d error=%s key_id=%s",
            conversation_id,
            seq,
            exc.code,
            _key_id(body_enc),
        )
        return None


def message_view(row: Message, sender_name: str) -> dict[str, Any]:
    """A stored message as clients receive it; one whose body does not open has
    `"text": null` and `"unreadable": true` (readable ones have no `unreadable` key)."""
    text = message_text(row.conversation_id, row.seq, row.body_enc)
    view = {
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "client_msg_id": row.client_msg_id,
        "sender": {"type": row.sender_type, "id": row.sender_id, "name": sender_name},
        "kind": row.kind,
        "text": text,
        "sent_at": iso_ms(row.created_ms),
    }
    if text is None:
        view["unreadable"] = True
    return view


def posted_view(
    conversation_id: str,
    seq: int,
    client_msg_id: str,
    sender: Sender,
    kind: str,
    text: str,
    ms: int,
) -> dict[str, Any]:
    """The view of a message just stored, built without reading it back."""
    return {
        "conversation_id": conversation_id,
        "seq": seq,
        "client_msg_id": client_msg_id,
        "sender": {"type": sender.type, "id": sender.id, "name": sender.name},
        "kind": kind,
        "text": text,
        "sent_at": iso_ms(ms),
    }


def visitor_name(visitor: Visitor) -> str | None:
    """The visitor's name, or None when its ciphertext does not open (logged as for a
    message body: the visitor id and the error code, never the ciphertext)."""
    try:
        return unseal(visitor.name_enc, context=visitor_context(visitor.id, "name"))
    except UNREADABLE as exc:
        log.warning(
            "visitor name unreadable: visitor=%s error=%s key_id=%s",
            visitor.id,
            exc.code,
            _key_id(visitor.name_enc),
        )
        return None


def agent_name(agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    agent = Agent.get_or_none(Agent.id == agent_id)
    return None if agent is None else str(agent.display_name)


def conversation_for_visitor(conversation: Conversation) -> dict[str, Any]:
    # An offer may yet be declined: the visitor learns the agent's name on acceptance.
    offered = conversation.status == "offered"
    name = None if offered else agent_name(conversation.agent_id)
    return {
        "id": conversation.id,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "agent": None if name is None else {"name": name},
        "queue_position": queue_position(conversation),
        "read_seq": _read_seq(conversation),
    }


def conversation_for_agent(conversation: Conversation) -> dict[str, Any]:
    visitor = Visitor.get_by_id(conversation.visitor_id)
    name = agent_name(conversation.agent_id)
    return {
        "id": conversation.id,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "group": conversation.group,
        "visitor": {
            "id": visitor.id,
            "name": visitor_name(visitor),
            "kind": visitor.kind,
            "vip": visitor.vip,
        },
        "agent": None if name is None else {"id": conversation.agent_id, "name": name},
        "opened_at": iso_ms(conversation.opened_ms),
        "read_seq": _read_seq(conversation),
    }


def _read_seq(conversation: Conversation) -> dict[str, int]:
    return {"visitor": conversation.visitor_read_seq, "agent": conversation.agent_read_seq}


def _sender_names(
    conversation: Conversation, rows: Iterable[Message]
) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (row.sender_type, row.sender_id)
        if key in names:
            continue
        if row.sender_type == "visitor":
            visitor = Visitor.get_or_none(Visitor.id == row.sender_id)
            names[key] = "" if visitor is None else visitor_name(visitor) or ""
        elif row.sender_type == "agent":
            names[key] = agent_name(int(row.sender_id)) or ""
        else:
            names[key] = "system"
    return names


def _key_id(sealed: bytes) -> int | None:
    """The data key id an envelope names (not secret), or None if it is malformed."""
    try:
        return parse_header(bytes(sealed)).key_id
    except EnvelopeError:
        return None
