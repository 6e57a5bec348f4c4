"""Where the waiting stand: queue positions and wait estimates, told to visitors and agents.

The estimate is the policy's (appliance/routing/positions.py): position x the
queue's average handling time (its last HANDLE_SAMPLE closed conversations) /
the capacity of the agents serving it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from typing import cast

from appliance import clock
from appliance.models import Conversation
from appliance.queries.routing import QueueConfig
from appliance.routing.policy import Snapshot
from appliance.routing.policy import queue_positions
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import queue_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._routing_snapshot import policy_settings
from appliance.services._routing_snapshot import take_snapshot

HANDLE_SAMPLE = 50  # closed conversations averaged for a queue's handle time

# where the waiting stand


def average_handle_ms(queue: str) -> int:
    """The mean assigned-to-closed time of the queue's last closed conversations."""
    rows = list(
        Conversation.select(Conversation.assigned_ms, Conversation.closed_ms)
        .where(
            (Conversation.group == queue)
            & (Conversation.status == "closed")
            & Conversation.assigned_ms.is_null(False)
        )
        .order_by(Conversation.closed_ms.desc())
        .limit(HANDLE_SAMPLE)
    )
    if not rows:
        return current_runtime().settings.routing.default_handle_seconds * 1000
    total = sum(cast(int, r.closed_ms) - cast(int, r.assigned_ms) for r in rows)
    return max(1, total // len(rows))


def _waiting_lines(
    queues: set[str], taken: tuple[Snapshot, dict[str, QueueConfig]] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str], dict[str, QueueConfig]]:
    """Per queue, its waiting conversations in the order they will be served."""
    snapshot, configs = taken or take_snapshot(queues, clock.now_ms())
    handle = {name: average_handle_ms(name) for name in configs}
    positions = queue_positions(snapshot, policy_settings(), handle)
    visitors = dict(
        cast(
            list[tuple[str, str]],
            Conversation.select(Conversation.id, Conversation.visitor_id)
            .where((Conversation.status == "queued") & Conversation.group.in_(list(configs)))
            .tuples(),
        )
    )
    lines: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for waiting in snapshot.waiting:
        place = positions[waiting.conversation_id]
        lines[waiting.queue].append(
            {
                "conversation_id": waiting.conversation_id,
                "position": place.position,
                "estimated_wait_seconds": None
                if place.eta_ms is None
                else -(-place.eta_ms // 1000),
                "vip_level": waiting.vip_level,
                "waited_ms": snapshot.now_ms - waiting.enqueued_ms,
            }
        )
    for entries in lines.values():
        entries.sort(key=lambda e: e["position"])
    return lines, visitors, configs


def waiting_list(queue: str) -> list[dict[str, Any]]:
    """The queue's waiting conversations, next first (for agents who pick up manually)."""
    lines, _, _ = _waiting_lines({queue})
    return lines.get(queue, [])


def announce_positions(
    queues: Iterable[str], taken: tuple[Snapshot, dict[str, QueueConfig]] | None = None
) -> None:
    """Tell every waiting visitor of `queues` their place and estimated wait; tell the agents.

    `taken`: a snapshot of exactly these queues that is still true (dispatch's own, less
    what it assigned), to spare taking another.
    """
    wanted = set(queues)
    if not wanted:
        return
    lines, visitors, configs = _waiting_lines(wanted, taken)
    for name, entries in lines.items():
        for entry in entries:
            send_event_on_commit(
                "conversation_queued",
                {
                    "conversation_id": entry["conversation_id"],
                    "queue": name,
                    "queue_position": entry["position"],
                    "estimated_wait_seconds": entry["estimated_wait_seconds"],
                },
                namespace=VISITOR_NS,
                to=visitor_room(visitors[entry["conversation_id"]]),
            )
        send_event_on_commit(
            "queue_updated",
            {"queue": name, "strategy": configs[name].strategy, "waiting": entries},
            namespace=AGENT_NS,
            to=queue_room(name),
        )
