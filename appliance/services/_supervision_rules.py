"""The supervisor view's rules: the view built from facts and a clock reading.

This code cannot do I/O and never reads the clock: services/supervision.py gathers
the facts from the database and passes `now_ms`, so tests can check every bound
alone. The service levels are explained in docs/supervisor-guide.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from appliance.queries.chat import iso_ms

NEAR = "near"
BREACHED = "breached"
WAITING = "waiting"  # the kind of SLA: a waiting chat against its queue's maximum wait
FIRST_RESPONSE = "first_response"  # an assigned chat against the first-reply time


@dataclass(frozen=True)
class SlaRules:
    first_response_ms: int
    near_percent: int  # 1..100
    grace_ms: int  # routing.disconnect_grace_seconds, for the agents' connection state


@dataclass(frozen=True)
class WaitingChat:
    conversation_id: str
    position: int
    vip_level: int
    waited_ms: int


@dataclass(frozen=True)
class QueueFacts:
    name: str
    display_name: dict[str, str]
    max_wait_seconds: int  # 0: no limit
    waiting: tuple[WaitingChat, ...]  # in the order they will be served


@dataclass(frozen=True)
class AgentFacts:
    id: int
    name: str
    status: str  # "online" | "away" | "offline"
    load: int
    capacity: int
    queues: tuple[str, ...]  # those of the supervisor's queues the agent serves
    idle_since_ms: int
    disconnected_ms: int | None


@dataclass(frozen=True)
class AwaitingReply:
    """An assigned chat whose agent has not replied since the assignment."""

    conversation_id: str
    queue: str
    agent_id: int
    assigned_ms: int


def sla_state(elapsed_ms: int, allowed_ms: int, near_percent: int) -> str | None:
    """BREACHED past `allowed_ms`, NEAR from `near_percent` of it, else None."""
    if allowed_ms <= 0:
        return None
    if elapsed_ms > allowed_ms:
        return BREACHED
    if elapsed_ms * 100 >= allowed_ms * near_percent:
        return NEAR
    return None


def _seconds(ms: int) -> int:
    """Whole seconds, rounded down (so -0.5 s is -1: a breach never shows as 0 left)."""
    return ms // 1000


def _sla_entry(
    conversation_id: str,
    queue: str,
    kind: str,
    agent_id: int | None,
    elapsed_ms: int,
    allowed_ms: int,
    rules: SlaRules,
) -> dict[str, Any] | None:
    state = sla_state(elapsed_ms, allowed_ms, rules.near_percent)
    if state is None:
        return None
    return {
        "conversation_id": conversation_id,
        "queue": queue,
        "kind": kind,
        "agent_id": agent_id,
        "state": state,
        "elapsed_seconds": _seconds(elapsed_ms),
        "allowed_seconds": _seconds(allowed_ms),
        "seconds_left": _seconds(allowed_ms - elapsed_ms),
    }


def _queue_view(queue: QueueFacts) -> dict[str, Any]:
    return {
        "name": queue.name,
        "display_name": queue.display_name,
        "max_wait_seconds": queue.max_wait_seconds,
        "waiting_count": len(queue.waiting),
        "longest_wait_seconds": max((_seconds(w.waited_ms) for w in queue.waiting), default=0),
        "waiting": [
            {
                "conversation_id": w.conversation_id,
                "waited_seconds": _seconds(w.waited_ms),
                "vip_level": w.vip_level,
                "position": w.position,
                "max_wait_seconds": queue.max_wait_seconds,
            }
            for w in queue.waiting
        ],
    }


def _connection(agent: AgentFacts, rules: SlaRules, now_ms: int) -> dict[str, Any]:
    if agent.disconnected_ms is None:
        return {"connection": "connected", "grace_seconds_left": None}
    if agent.status == "offline":
        return {"connection": "disconnected", "grace_seconds_left": None}
    left = max(0, agent.disconnected_ms + rules.grace_ms - now_ms)
    return {"connection": "grace", "grace_seconds_left": -(-left // 1000)}


def _agent_view(agent: AgentFacts, rules: SlaRules, now_ms: int) -> dict[str, Any]:
    idle = agent.load == 0 and agent.status == "online" and agent.idle_since_ms > 0
    return {
        "id": agent.id,
        "name": agent.name,
        "status": agent.status,
        "load": agent.load,
        "capacity": agent.capacity,
        "queues": list(agent.queues),
        **_connection(agent, rules, now_ms),
        "idle_since": iso_ms(agent.idle_since_ms) if idle else None,
        "idle_seconds": _seconds(now_ms - agent.idle_since_ms) if idle else None,
    }


def build_overview(
    queues: Sequence[QueueFacts],
    agents: Sequence[AgentFacts],
    awaiting: Sequence[AwaitingReply],
    rules: SlaRules,
    now_ms: int,
) -> dict[str, Any]:
    """The supervisor view of these facts at `now_ms` (docs/supervisor-guide.md)."""
    near: list[dict[str, Any]] = []
    for queue in queues:
        for w in queue.waiting:
            entry = _sla_entry(
                w.conversation_id,
                queue.name,
                WAITING,
                None,
                w.waited_ms,
                queue.max_wait_seconds * 1000,
                rules,
            )
            if entry is not None:
                near.append(entry)
    for chat in awaiting:
        entry = _sla_entry(
            chat.conversation_id,
            chat.queue,
            FIRST_RESPONSE,
            chat.agent_id,
            now_ms - chat.assigned_ms,
            rules.first_response_ms,
            rules,
        )
        if entry is not None:
            near.append(entry)
    near.sort(key=lambda e: (e["seconds_left"], -e["elapsed_seconds"], e["conversation_id"]))
    return {
        "as_of": iso_ms(now_ms),
        "sla": {
            "first_response_seconds": _seconds(rules.first_response_ms),
            "near_sla_percent": rules.near_percent,
        },
        "queues": [_queue_view(q) for q in sorted(queues, key=lambda q: q.name)],
        "agents": [
            _agent_view(a, rules, now_ms) for a in sorted(agents, key=lambda a: (a.name, a.id))
        ],
        "near_sla": near,
    }
