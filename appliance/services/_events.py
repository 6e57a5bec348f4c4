"""Real-time events, sent only after the transaction that caused them commits.

Rooms: `visitor:<id>` holds every connection of one visitor (their devices) on
/visitor; `agent:<id>` every connection of one agent on /agent; `group:<name>`
the supervisors of a group on /agent; `queue:<name>` every agent serving that
queue (its waiting list, for manual pickup). Services address people, not
conversations, so no connection has to join or leave rooms as chats move.
"""

from __future__ import annotations

from typing import Any

import socketio as python_socketio

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
    on_commit(lambda: _emit(event, payload, namespace, to, skip_sid))


def _emit(
    event: str, payload: dict[str, Any], namespace: str, to: str | list[str], skip_sid: str | None
) -> None:
    if skip_sid is not None and isinstance(to, str) and _only(skip_sid, namespace, to):
        return
    socketio.emit(event, payload, namespace=namespace, to=to, skip_sid=skip_sid)


def _only(sid: str, namespace: str, room: str) -> bool:
    """True if `sid` is all the room holds: python-socketio would encode the packet
    for nobody (the usual case of a visitor's own message to their one device).
    Only with the in-process manager: a message queue's reaches other nodes too."""
    manager = socketio.server.manager
    if type(manager) is not python_socketio.Manager:
        return False
    return all(member == sid for member, _ in manager.get_participants(namespace, room))
