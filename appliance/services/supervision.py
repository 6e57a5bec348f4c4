"""The supervisor view: live queues, the agents serving them, and chats near their SLA.

Read-only and not audited: it names conversations, queues and agents, but no
visitor and no message text (docs/supervisor-guide.md).

Two service levels are watched (settings `routing.first_response_seconds` and
`routing.near_sla_percent`, docs/supervisor-guide.md):

- a waiting chat is due by its queue's `max_wait_seconds` (0: no limit, never listed);
- an assigned chat is due its agent's first reply `first_response_seconds` after the
  assignment (a transfer or an accepted offer is a new assignment).

A chat is "near" from `near_sla_percent` of the allowed time on, and "breached" once
past it. `build_overview` is the pure part: facts and a clock reading in, the view
out (services/_supervision_rules.py); this module gathers the facts from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from typing import cast

from peewee import fn

from appliance import clock
from appliance.models import Agent
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.models import Message
from appliance.queries.routing import get_queue
from appliance.runtime import current_runtime
from appliance.services._supervision_rules import AgentFacts
from appliance.services._supervision_rules import AwaitingReply
from appliance.services._supervision_rules import QueueFacts
from appliance.services._supervision_rules import SlaRules
from appliance.services._supervision_rules import WaitingChat
from appliance.services._supervision_rules import build_overview
from appliance.services.queue_positions import waiting_list

# the facts, from the database


def sla_rules() -> SlaRules:
    routing = current_runtime().settings.routing
    return SlaRules(
        first_response_ms=routing.first_response_seconds * 1000,
        near_percent=routing.near_sla_percent,
        grace_ms=routing.disconnect_grace_seconds * 1000,
    )


def _queue_facts(names: Iterable[str]) -> list[QueueFacts]:
    found = []
    for name in sorted(set(names)):
        config = get_queue(name)
        if config is None:
            continue
        waiting = tuple(
            WaitingChat(
                conversation_id=entry["conversation_id"],
                position=entry["position"],
                vip_level=entry["vip_level"],
                waited_ms=max(0, entry["waited_ms"]),
            )
            for entry in waiting_list(name)
        )
        found.append(
            QueueFacts(
                name=name,
                display_name=config.display_name.as_json(),
                max_wait_seconds=config.max_wait_seconds,
                waiting=waiting,
            )
        )
    return found


def _agent_facts(queues: set[str]) -> list[AgentFacts]:
    serving = []
    for presence in AgentPresence.select():
        theirs = {g for g in presence.groups.split(",") if g} & queues
        if theirs:
            serving.append((presence, tuple(sorted(theirs))))
    ids = [presence.agent_id for presence, _ in serving]
    names = dict(
        cast(
            list[tuple[int, str]],
            Agent.select(Agent.id, Agent.display_name).where(Agent.id.in_(ids)).tuples(),
        )
    )
    return [
        AgentFacts(
            id=presence.agent_id,
            name=names.get(presence.agent_id, ""),
            status=presence.status,
            load=presence.load,
            capacity=presence.capacity,
            queues=theirs,
            idle_since_ms=presence.idle_since_ms,
            disconnected_ms=presence.disconnected_ms,
        )
        for presence, theirs in serving
    ]


def _awaiting_reply(queues: set[str]) -> list[AwaitingReply]:
    # Notes (kind "note") are not replies: the visitor never sees them.
    replied = Message.select(Message.id).where(
        (Message.conversation_id == Conversation.id)
        & (Message.sender_type == "agent")
        & (Message.kind == "text")
        & (Message.created_ms >= Conversation.assigned_ms)
    )
    rows = cast(
        list[tuple[str, str, int, int]],
        Conversation.select(
            Conversation.id, Conversation.group, Conversation.agent_id, Conversation.assigned_ms
        )
        .where(
            (Conversation.status == "assigned")
            & Conversation.group.in_(sorted(queues))
            & Conversation.agent_id.is_null(False)
            & Conversation.assigned_ms.is_null(False)
            & ~fn.EXISTS(replied)
        )
        .tuples(),
    )
    return [
        AwaitingReply(cid, group, agent_id, assigned) for cid, group, agent_id, assigned in rows
    ]


def supervisor_overview(queues: Iterable[str]) -> dict[str, Any]:
    """The supervisor view of `queues` (the supervisor's groups), now."""
    wanted = set(queues)
    facts = _queue_facts(wanted)
    names = {q.name for q in facts}
    return build_overview(
        facts, _agent_facts(names), _awaiting_reply(names), sla_rules(), clock.now_ms()
    )
