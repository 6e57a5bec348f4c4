"""Reading who took part in conversations (written by services/participants.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from appliance.models import ConversationParticipant as Participant


@dataclass(frozen=True)
class Stay:
    """One visitor's or agent's time in a conversation; left_ms None while present."""

    kind: str  # "visitor" | "agent"
    principal_id: str  # the visitor id, or the agent id in decimal
    role: str  # "visitor" | "assignee"
    joined_ms: int
    left_ms: int | None
    left_reason: str | None


def participants_of(conversation_id: str) -> list[Stay]:
    """Every stay in the conversation, in the order they began."""
    rows = (
        Participant.select()
        .where(Participant.conversation_id == conversation_id)
        .order_by(Participant.joined_ms, Participant.id)
    )
    return [
        Stay(row.kind, row.principal_id, row.role, row.joined_ms, row.left_ms, row.left_reason)
        for row in rows
    ]


def agents_of(conversation_ids: Iterable[str]) -> dict[str, list[int]]:
    """The agents who held each conversation, each once, in the order they first joined."""
    wanted = sorted(set(conversation_ids))
    found: dict[str, list[int]] = {cid: [] for cid in wanted}
    if not wanted:
        return found
    rows = cast(
        list[tuple[str, str]],
        Participant.select(Participant.conversation_id, Participant.principal_id)
        .where(Participant.conversation_id.in_(wanted) & (Participant.kind == "agent"))
        .order_by(Participant.joined_ms, Participant.id)
        .tuples(),
    )
    for conversation_id, principal_id in rows:
        agents = found[conversation_id]
        if int(principal_id) not in agents:
            agents.append(int(principal_id))
    return found
