"""Where each waiting conversation stands in its queue, and roughly how long it will wait.

This code cannot do I/O and reads no clock: the average handle time per queue is
measured by the service and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from appliance.routing.rules import priority_key
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import Snapshot
from appliance.routing.snapshot import Waiting


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePosition:
    conversation_id: str
    queue: str
    position: int  # 1 = next in line
    eta_ms: int | None  # None: nobody serves the queue now, or no handle time known

    def as_dict(self) -> dict[str, object]:
        return {
            "conversation_id": self.conversation_id,
            "queue": self.queue,
            "position": self.position,
            "eta_ms": self.eta_ms,
        }


def estimate_wait_ms(position: int, average_handle_ms: int, serving_capacity: int) -> int | None:
    """position x average handle time / capacity of the agents serving, rounded up."""
    if serving_capacity <= 0 or average_handle_ms <= 0:
        return None
    return -(-position * average_handle_ms // serving_capacity)


def serving_capacity(snapshot: Snapshot) -> dict[str, int]:
    """Per queue, the summed capacity of the online agents of its group."""
    by_group: dict[str, int] = {}
    for agent in snapshot.agents:
        if agent.status == "online":
            for group in agent.groups:
                by_group[group] = by_group.get(group, 0) + agent.capacity
    return {name: by_group.get(rule.group, 0) for name, rule in snapshot.queues.items()}


def queue_positions(
    snapshot: Snapshot, settings: PolicySettings, average_handle_ms: Mapping[str, int]
) -> dict[str, QueuePosition]:
    """Every waiting conversation's place in its queue, in the order the policy serves it.

    The position counts everyone ahead in the same queue whatever their skill or
    language, and the estimate assumes any serving agent could take them; for a
    visitor with a rare need (a skill few agents have) both are optimistic.
    """
    by_queue: dict[str, list[Waiting]] = {}
    for waiting in snapshot.waiting:
        by_queue.setdefault(waiting.queue, []).append(waiting)
    capacity = serving_capacity(snapshot)
    positions: dict[str, QueuePosition] = {}
    for queue, waiting_here in by_queue.items():
        handle = average_handle_ms.get(queue, 0)
        waiting_here.sort(key=lambda w: priority_key(w, settings))
        for position, waiting in enumerate(waiting_here, start=1):
            positions[waiting.conversation_id] = QueuePosition(
                conversation_id=waiting.conversation_id,
                queue=queue,
                position=position,
                eta_ms=estimate_wait_ms(position, handle, capacity[queue]),
            )
    return positions
