"""Declared Socket.IO events: every event names its permission and payload schema.

`DeclaredNamespace` replaces Flask-SocketIO's on_<event> lookup with one
dispatcher, so that for every event, known or not, the same steps run in the
same order: flood control, lookup (unknown → `unknown_event`), authorization,
payload validation, then the handler with a database connection. Whatever
happens, the client's ack is one JSON object: `{"ok": true, ...}` or the error
shape of appliance/errors.py. Unexpected exceptions are logged here and answered
`internal_error`; no stack trace reaches a client.

Only python-socketio itself opens and closes a connection. A client can send an
ordinary EVENT packet named `connect` or `disconnect` (`42/agent,["disconnect"]`),
which the server would hand to `trigger_event` just like the real thing. Where the
packet is handled (`guard_reserved_events`), such a name is marked as a client
event's (`ClientEventName`), so it goes through the dispatcher like any other
event and is answered `unknown_event`.

Events after `connect` run in an application context only. Flask-SocketIO
would build a request context per event (URL matching, a session copy): a
tenth of the CPU of a chat message, for nothing a handler uses. What a handler
needs of the connection's HTTP request (the peer address, the agent's signed
session as it was at connect, which is what Flask-SocketIO hands events too)
is kept on its `Connection` at connect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import ClassVar

from flask import request
from flask_socketio import Namespace

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.permissions import Permission
from appliance.realtime._payload import Schema
from appliance.realtime._payload import validate
from appliance.runtime import current_runtime

log = logging.getLogger(__name__)

INTERNAL_ERROR = {"ok": False, "code": "internal_error", "error": "Internal error; try again"}
# Names the Socket.IO servers and clients keep for themselves: never a client event.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


class ClientEventName(str):
    """The name of a client's EVENT packet that Socket.IO keeps for itself."""

    __slots__ = ()


def guard_reserved_events(server: Any) -> None:
    """Mark reserved names arriving in EVENT packets, where the server handles the
    packet (its `_handle_event`): there, and only there, a client's `disconnect` is
    told apart from the server's own."""
    handle_event = server._handle_event

    def guarded(eio_sid: str, namespace: str | None, id: Any, data: list[Any]) -> Any:
        if data and type(data[0]) is str and data[0] in RESERVED_EVENTS:
            data = [ClientEventName(data[0]), *data[1:]]
        return handle_event(eio_sid, namespace, id, data)

    server._handle_event = guarded


@dataclass(frozen=True)
class EventSpec:
    name: str
    permission: Permission
    schema: Schema
    handler: Callable[..., dict[str, Any]]


def event(
    name: str, *, permission: Permission, schema: Schema | None = None
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Declare a method of a DeclaredNamespace as the handler of client event `name`."""
    if name in RESERVED_EVENTS:
        raise ValueError(f"{name!r} is a reserved Socket.IO event name")

    def mark(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        handler._event_spec = EventSpec(name, permission, schema or {}, handler)  # type: ignore[attr-defined]
        return handler

    return mark


@dataclass
class TokenBucket:
    rate_per_second: int
    burst: int
    tokens: float = -1.0
    updated_ms: int = 0

    def take(self, now_ms: int) -> bool:
        if self.tokens < 0:
            self.tokens, self.updated_ms = float(self.burst), now_ms
        elapsed = max(0, now_ms - self.updated_ms) / 1000
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate_per_second)
        self.updated_ms = now_ms
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Connection:
    """What one Socket.IO connection of this process knows about its client."""

    sid: str
    bucket: TokenBucket
    identity: Any = None  # VisitorIdentity on /visitor, Principal on /agent
    session_id: str | None = None
    session: dict[str, Any] = field(default_factory=dict)  # the HTTP session at connect
    ip: str | None = None
    last_activity_ms: int = field(default_factory=clock.now_ms)
    # /visitor: conversations this visitor was found to own. A conversation's visitor
    # never changes, so a message to one of these needs no access SELECT.
    owned: set[str] = field(default_factory=set)


class DeclaredNamespace(Namespace):  # type: ignore[misc]
    events: ClassVar[dict[str, EventSpec]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.events = {}
        for klass in reversed(cls.__mro__):  # events of mixins too (realtime/agent_routing.py)
            for value in vars(klass).values():
                spec = getattr(value, "_event_spec", None)
                if spec is not None:
                    cls.events[spec.name] = spec

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.connections: dict[str, Connection] = {}

    # hooks for subclasses

    def authorize(self, connection: Connection, permission: Permission) -> None:
        """Raise an AppError unless this connection may use `permission`."""
        raise errors.Forbidden("Not allowed")

    # dispatch

    def new_connection(self) -> Connection:
        chat = current_runtime().settings.chat
        return Connection(
            sid=request.sid,  # type: ignore[attr-defined]
            bucket=TokenBucket(chat.flood_rate_per_second, chat.flood_burst),
            ip=request.remote_addr,
        )

    def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect") and not isinstance(event, ClientEventName):
            return super().trigger_event(event, *args)
        if not args:
            return None
        sid, *payloads = args
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace)
        if not environ:
            return None  # not one of our connections (any more)
        with environ["flask.app"].app_context():
            return self._dispatch(sid, event, self.events.get(event), tuple(payloads))

    def _dispatch(
        self, sid: str, name: str, spec: EventSpec | None, payloads: tuple[Any, ...]
    ) -> dict[str, Any]:
        connection = self.connections.get(sid)
        try:
            if connection is None:
                raise errors.Unauthorized("Not connected")
            now = clock.now_ms()
            if not connection.bucket.take(now):
                raise errors.RateLimited("Too many events; slow down")
            if spec is None:
                raise errors.UnknownEvent(f"No such event: {str(name)[:64]}")
            if len(payloads) > 1:
                raise errors.InvalidPayload("payload: expected one JSON object")
            self.authorize(connection, spec.permission)
            data = validate(spec.schema, payloads[0] if payloads else None)
            connection.last_activity_ms = now
            with db.connection_context():
                result = spec.handler(self, connection, data)
            return {"ok": True, **result}
        except errors.AppError as exc:
            return exc.to_dict()
        except Exception:
            log.exception("event %s on %s failed", spec.name if spec else "?", self.namespace)
            return dict(INTERNAL_ERROR)

    def on_disconnect(self, reason: Any = None) -> None:
        self.connections.pop(request.sid, None)  # type: ignore[attr-defined]
