"""Whether an agent is connected, across every node of the installation.

An agent may hold several /agent connections (tabs, a reload racing the old page)
on several nodes (gunicorn instances behind nginx). No process can see them all,
so each connection is a row of `agent_connection` naming its node, and the
disconnect grace (services/presence.py) starts only when the agent's last live row,
on any node, goes away:

- a connection that closes deletes its row; if none of the agent's rows is left,
  `agent_presence.disconnected_ms` is set and the grace runs;
- a node refreshes `seen_ms` of its rows on every routing sweep; a row not refreshed
  for `connection_ttl_ms` belongs to a node that died without closing it (SIGKILL,
  power loss), and any node's sweep expires it as if the connection had closed
  when it was last seen.

Opening, closing and expiring are audited mutations; they take the routing lock
first (PostgreSQL), so two nodes closing an agent's last two connections at the
same moment cannot both see the other's row and leave the agent "connected".
The refresh is bookkeeping, not anyone's action, and is not audited (it would be
one event per node every sweep).
"""

from __future__ import annotations

import os
import secrets
import socket

from peewee import fn

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import AgentPresence
from appliance.models.connections import AgentConnection
from appliance.runtime import current_runtime
from appliance.services._routing_snapshot import agent_queues
from appliance.services._uow import mutation
from appliance.services._uow import run_exclusive
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.handoffs import agent_target
from appliance.services.routing import dispatch
from appliance.services.routing import serialize_routing
from audit.events import EventType
from audit.events import JSONValue

# Rows expire after this many sweeps without a refresh, and never sooner than the
# minimum: a slow sweep or a few seconds of clock skew between nodes must not
# disconnect anybody.
TTL_SWEEPS = 3
TTL_MIN_MS = 30_000

_node: tuple[int, str] | None = None


def this_node() -> str:
    """The id of this serving process: host, pid and a random part (pids are reused)."""
    global _node
    pid = os.getpid()
    if _node is None or _node[0] != pid:  # computed after a fork, never inherited
        _node = (pid, f"{socket.gethostname()[:80]}/{pid}/{secrets.token_hex(4)}")
    return _node[1]


def connection_ttl_ms() -> int:
    sweep_ms = current_runtime().settings.routing.sweep_seconds * 1000
    return max(TTL_SWEEPS * sweep_ms, TTL_MIN_MS)


def _has_live_connection(agent_id: int, since_ms: int) -> bool:
    return bool(
        AgentConnection.select()
        .where((AgentConnection.agent_id == agent_id) & (AgentConnection.seen_ms > since_ms))
        .exists()
    )


@mutation
def do_agent_connected(agent_id: int, *, connection_id: str, node: str) -> None:
    """A connection of the agent opened on `node`; within the grace period they keep
    their chats, and routing may give them more."""
    serialize_routing()
    now = clock.now_ms()
    AgentConnection.insert(
        id=connection_id, agent_id=agent_id, node=node, opened_ms=now, seen_ms=now
    ).execute()
    back = (
        AgentPresence.update(disconnected_ms=None)
        .where((AgentPresence.agent_id == agent_id) & AgentPresence.disconnected_ms.is_null(False))
        .execute()
    )
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=agent_target(agent_id),
        details={"connection": "restored" if back else "opened"},
    )
    if back:
        dispatch(agent_queues(agent_id))


def agent_connection_closed(connection_id: str) -> None:
    """The /agent connection `connection_id` closed on this node (or was refused after
    it was recorded); nothing to do if it never was an agent's, or expired already."""
    row = AgentConnection.get_or_none(AgentConnection.id == connection_id)
    if row is not None:
        do_agent_disconnected(row.agent_id, connection_id=connection_id)


@mutation
def do_agent_disconnected(agent_id: int, *, connection_id: str) -> bool:
    """A connection of the agent closed. True if it was their last live one on any node:
    then the grace period starts."""
    serialize_routing()
    now = clock.now_ms()
    AgentConnection.delete().where(AgentConnection.id == connection_id).execute()
    return _connections_gone(agent_id, live_since_ms=now - connection_ttl_ms(), lost_at_ms=now)


def refresh_node(node: str, now_ms: int) -> int:
    """The connections `node` holds are alive at `now_ms`; returns how many."""

    def refresh() -> int:
        with db.atomic():
            count: int = (
                AgentConnection.update(seen_ms=now_ms)
                .where((AgentConnection.node == node) & (AgentConnection.seen_ms < now_ms))
                .execute()
            )
            return count

    return run_exclusive(refresh)


@mutation
def do_expire_connections(agent_id: int, *, stale_before_ms: int) -> bool:
    """The agent's connections not refreshed since `stale_before_ms` are gone (their node
    died). True if none is left: the grace period then runs from when they were last seen.

    Raises Conflict if another node's sweep expired them first.
    """
    serialize_routing()
    stale = (AgentConnection.agent_id == agent_id) & (AgentConnection.seen_ms <= stale_before_ms)
    last_seen = AgentConnection.select(fn.MAX(AgentConnection.seen_ms)).where(stale).scalar()
    if last_seen is None:
        raise errors.Conflict("These connections were expired already")
    expired = AgentConnection.delete().where(stale).execute()
    return _connections_gone(
        agent_id, live_since_ms=stale_before_ms, lost_at_ms=last_seen, expired=expired
    )


def _connections_gone(
    agent_id: int, *, live_since_ms: int, lost_at_ms: int, expired: int | None = None
) -> bool:
    """After some of the agent's connection rows were deleted: if none live since
    `live_since_ms` is left, the grace period runs from `lost_at_ms`. Audited; True
    if that was their last connection."""
    last = not _has_live_connection(agent_id, live_since_ms)
    if last:
        AgentPresence.update(disconnected_ms=lost_at_ms).where(
            (AgentPresence.agent_id == agent_id) & AgentPresence.disconnected_ms.is_null()
        ).execute()
    details: dict[str, JSONValue] = {"connection": "lost" if last else "closed"}
    if expired is not None:
        details["expired"] = expired
    record_audit(
        EventType.AGENT_STATUS_CHANGED,
        actor=system_actor("presence"),
        target=agent_target(agent_id),
        details=details,
    )
    return last


def expire_silent_connections(now_ms: int) -> int:
    """Expire every connection whose node stopped refreshing it; returns how many agents
    had connections expired by this call."""
    stale_before = now_ms - connection_ttl_ms()
    agents = [
        row.agent_id
        for row in AgentConnection.select(AgentConnection.agent_id)
        .where(AgentConnection.seen_ms <= stale_before)
        .distinct()
    ]
    done = 0
    for agent_id in agents:
        try:
            do_expire_connections(agent_id, stale_before_ms=stale_before)
            done += 1
        except errors.Conflict:
            pass  # another node's sweep was first
    return done
