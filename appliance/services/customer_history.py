"""The customer panel: who the visitor of a chat is, and their earlier conversations.

"The same customer" is the same visitor row: a verified customer's visitor id is
derived from the keyed blind index of the bank's customer id (services/visitors.py),
so every device and session of that customer shares it; an anonymous visitor is the
one their visitor token names. Reading the history is a read of protected data, so
it is audited (CUSTOMER_HISTORY_VIEWED: the conversation and how many were returned)
in the transaction that reads it.

Internal notes of past chats are included (marked `kind: "note"`): they are agents'
hand-over context, written for the next agent. Every text is masked with
services/pii.py `mask_text`; revealing is the PII reveal's job, never this panel's.
A message whose stored body does not open is listed with `"text": null` and
`"unreadable": true`, as in `sync` (queries/chat.py `message_text` logs it); a
visitor name that does not open is null.

Each past conversation names the agent holding it last (`agent`) and every agent who
held it, in the order they joined (`agents`, from conversation_participant): a
transferred chat lists both sides of the transfer.
"""

from __future__ import annotations

from typing import Any

from appliance.models import Conversation
from appliance.models import Message
from appliance.models import Survey
from appliance.models import Visitor
from appliance.queries.chat import agent_name
from appliance.queries.chat import iso_ms
from appliance.queries.chat import message_text
from appliance.queries.chat import visitor_name
from appliance.queries.participants import agents_of
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.pii import mask_text
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

MAX_CONVERSATIONS = 20
LAST_MESSAGES = 5


@mutation
def do_view_customer_history(conversation: Conversation, *, actor: Actor) -> dict[str, Any]:
    """The customer of `conversation` and up to 20 of their other conversations, newest
    first. The caller has checked the agent's access to `conversation`."""
    visitor = Visitor.get_by_id(conversation.visitor_id)
    rows = list(
        Conversation.select()
        .where(
            (Conversation.visitor_id == conversation.visitor_id)
            & (Conversation.id != conversation.id)
        )
        .order_by(Conversation.opened_ms.desc(), Conversation.id.desc())
        .limit(MAX_CONVERSATIONS + 1)
    )
    past = rows[:MAX_CONVERSATIONS]
    ratings = {
        survey.conversation_id: survey.score
        for survey in Survey.select(Survey.conversation_id, Survey.score).where(
            Survey.conversation_id.in_([row.id for row in past] or [""])
        )
    }
    served_by = agents_of(row.id for row in past)
    names = _Names(visitor)
    history = [_past_view(row, ratings.get(row.id), served_by[row.id], names) for row in past]
    record_audit(
        EventType.CUSTOMER_HISTORY_VIEWED,
        actor=actor,
        target=Target(type="conversation", id=conversation.id),
        details={"count": len(history)},
    )
    return {
        "conversation_id": conversation.id,
        "customer": {
            "id": visitor.id,
            "name": names.visitor,
            "kind": visitor.kind,
            "verified": visitor.kind == "customer",
            "vip": visitor.vip,
        },
        "conversations": history,
        "has_more": len(rows) > MAX_CONVERSATIONS,
    }


class _Names:
    """Display names, each looked up once per answer."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor_name(visitor)
        self._agents: dict[int, str | None] = {}

    def agent(self, agent_id: int | None) -> str | None:
        if agent_id is None:
            return None
        if agent_id not in self._agents:
            self._agents[agent_id] = agent_name(agent_id)
        return self._agents[agent_id]

    def sender(self, message: Message) -> str:
        if message.sender_type == "visitor":
            return self.visitor or ""
        if message.sender_type == "agent":
            return self.agent(int(message.sender_id)) or ""
        return "system"


def _past_view(
    row: Conversation, rating: int | None, served_by: list[int], names: _Names
) -> dict[str, Any]:
    agent_id = row.agent_id if row.agent_id is not None else row.last_agent_id
    name = names.agent(agent_id)
    last = list(
        Message.select()
        .where(Message.conversation_id == row.id)
        .order_by(Message.seq.desc())
        .limit(LAST_MESSAGES)
    )
    return {
        "id": row.id,
        "status": row.status,
        "queue": row.group,
        "opened_at": iso_ms(row.opened_ms),
        "closed_at": None if row.closed_ms is None else iso_ms(row.closed_ms),
        "agent": None if name is None else {"id": agent_id, "name": name},
        "agents": [{"id": a, "name": names.agent(a) or ""} for a in served_by],
        "rating": rating,
        "message_count": row.last_seq,  # seqs are gap-free from 1, notes included
        "last_messages": [_message_view(m, names) for m in reversed(last)],
    }


def _message_view(message: Message, names: _Names) -> dict[str, Any]:
    text = message_text(message.conversation_id, message.seq, message.body_enc)
    view = {
        "seq": message.seq,
        "sender": {"type": message.sender_type, "name": names.sender(message)},
        "kind": message.kind,
        "text": None if text is None else mask_text(text),
        "sent_at": iso_ms(message.created_ms),
    }
    if text is None:
        view["unreadable"] = True
    return view
