"""Real-time events, sent only after the transaction that caused them commits.

Rooms: `visitor:<id>` holds every connection of one visitor (their devices) on
/visitor; `agent:<id>` every connection of one agent on /agent; `group:<name>`
the supervisors of a group on /agent; `queue:<name>` every agent serving that
queue (its waiting list, for manual pickup). Services address people, not
conversations, so no connection has to join or leave rooms as chats move.
"""

from __future__ import annotations

from typing import Any

from appliance.extensions import socketio
from appliance.services._uow import on_commit

VISITOR_NS = "/visitor"
AGENT_NS = "/agent"


def visitor_room(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


def group_room(group: str) -> str:
    return f"group:{group}"


def queue_room(queue: str) -> str:
    return f"queue:{queue}"


def send_event_on_commit(
    event: str,
    payload: dict[str, Any],
    *,
    namespace: str,
    to: str | list[str],
    skip_sid: str | None = None,
) -> None:
    on_commit(lambda: socketio.emit(event, payload, namespace=namespace, to=to, skip_sid=skip_sid))
