"""Socket.IO transport: thin namespaces that authenticate, authorize, validate and
call one service each. Events and their payloads are documented in docs/protocol.md."""

from __future__ import annotations

from flask_socketio import SocketIO

from appliance.realtime._dispatch import guard_reserved_events
from appliance.realtime.agent import AgentNamespace
from appliance.realtime.visitor import VisitorNamespace
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS


def register_namespaces(socketio: SocketIO) -> tuple[VisitorNamespace, AgentNamespace]:
    visitor, agent = VisitorNamespace(VISITOR_NS), AgentNamespace(AGENT_NS)
    socketio.on_namespace(visitor)
    socketio.on_namespace(agent)
    guard_reserved_events(socketio.server)
    return visitor, agent
