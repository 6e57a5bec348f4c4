"""The /agent namespace: agents and supervisors at the workbench. See docs/protocol.md.

An agent connects with the session cookie of an HTTP sign-in. Every event
re-checks that session (idle timeout, disabled account, revoked sessions), so a
connection never outlives the sign-in it was opened with.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask import session
from flask_socketio import emit
from flask_socketio import join_room
from socketio.exceptions import ConnectionRefusedError

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.permissions import Permission
from appliance.queries.chat import Sender
from appliance.queries.chat import access_conversation_by_agent
from appliance.queries.chat import assigned_conversations
from appliance.queries.chat import conversation_for_agent
from appliance.realtime._dispatch import Connection
from appliance.realtime._dispatch import DeclaredNamespace
from appliance.realtime._dispatch import event
from appliance.realtime._payload import Field
from appliance.realtime.agent_routing import RoutingEvents
from appliance.realtime.agent_supervisor import SupervisorEvents
from appliance.realtime.agent_workbench import WorkbenchEvents
from appliance.realtime.common import CONVERSATION
from appliance.realtime.common import MARK_READ
from appliance.realtime.common import ONE_CONVERSATION
from appliance.realtime.common import SEND_MESSAGE
from appliance.realtime.common import SYNC
from appliance.realtime.common import TYPING
from appliance.realtime.common import refuse
from appliance.realtime.common import sync_answer
from appliance.realtime.common import typing_payload
from appliance.realtime.origins import is_own_origin
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import queue_room
from appliance.services._events import visitor_room
from appliance.services.agent_connections import agent_connection_closed
from appliance.services.agent_connections import do_agent_connected
from appliance.services.agent_connections import this_node
from appliance.services.compliance import parse_confirmation
from appliance.services.conversations import STATUSES
from appliance.services.conversations import do_close_conversation
from appliance.services.conversations import do_set_status
from appliance.services.conversations import presence_view
from appliance.services.directory import Principal
from appliance.services.directory import principal_from_session
from appliance.services.messages import do_mark_read
from appliance.services.messages import post_message
from appliance.services.pii import masked_view
from appliance.services.pii_reveal import do_reveal_message

log = logging.getLogger(__name__)


class AgentNamespace(RoutingEvents, SupervisorEvents, WorkbenchEvents, DeclaredNamespace):
    def on_connect(self, auth: Any = None) -> None:
        try:
            if not is_own_origin(request.environ):
                raise errors.Forbidden("Agents connect from the appliance's own pages only")
            with db.connection_context():
                principal = principal_from_session(session)
                if not principal.can(Permission.CHAT_HANDLE):
                    raise errors.Forbidden("This account does not handle chats")
                connection = self.new_connection()
                connection.identity = principal
                connection.session_id = session.get("sid")
                connection.session = dict(session)
                self.connections[connection.sid] = connection
                join_room(agent_room(principal.id))
                for group in principal.groups:
                    join_room(queue_room(group))
                do_agent_connected(principal.id, connection_id=connection.sid, node=this_node())
                if principal.can(Permission.CONVERSATION_VIEW_GROUP):
                    for group in principal.groups:
                        join_room(group_room(group))
                emit("agent_state", _agent_state(principal))
        except errors.AppError as exc:
            self._forget(request.sid)  # type: ignore[attr-defined]
            refuse(exc)
        except ConnectionRefusedError:
            raise
        except Exception:
            log.exception("agent connect failed")
            self._forget(request.sid)  # type: ignore[attr-defined]
            refuse(errors.AppError("Internal error; try again"), code="internal_error")

    def on_disconnect(self, reason: Any = None) -> None:
        # Also for connections the idle sweep dropped from self.connections already:
        # whether this was the agent's last connection on any node is the database's
        # to say (services/agent_connections.py), not this process's.
        self._forget(request.sid)  # type: ignore[attr-defined]

    def _forget(self, sid: str) -> None:
        self.connections.pop(sid, None)
        try:
            with db.connection_context():
                agent_connection_closed(sid)
        except Exception:
            log.exception("agent disconnect bookkeeping failed")

    def authorize(self, connection: Connection, permission: Permission) -> None:
        with db.connection_context():
            principal = principal_from_session(connection.session)
        connection.identity = principal
        if not principal.can(permission):
            raise errors.Forbidden("This account lacks the permission for this event")

    def sweep_idle(self, now_ms: int, idle_ms: int) -> int:
        """Disconnect agent connections idle longer than `idle_ms`; return how many."""
        stale = [c.sid for c in self.connections.values() if now_ms - c.last_activity_ms > idle_ms]
        for sid in stale:
            self.connections.pop(sid, None)
            self.socketio.server.disconnect(sid, namespace=self.namespace)
        return len(stale)

    @event(
        "set_status",
        permission=Permission.CHAT_HANDLE,
        schema={
            "status": Field(str, choices=STATUSES),
            "capacity": Field(int, required=False, minimum=1, maximum=50),
        },
    )
    def set_status(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        do_set_status(
            agent_id=principal.id,
            groups=principal.groups,
            status=data["status"],
            capacity=data["capacity"],
            actor=_actor(connection),
        )
        return {"agent": presence_view(principal.id)}

    @event("list_conversations", permission=Permission.CHAT_HANDLE)
    def list_conversations(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversations = assigned_conversations(connection.identity.id)
        return {"conversations": [conversation_for_agent(c) for c in conversations]}

    @event(
        "send_message",
        permission=Permission.CHAT_HANDLE,
        schema={
            **SEND_MESSAGE,
            "internal": Field(bool, required=False, default=False),
            # The compliance rule ids the agent confirmed (services/compliance.py).
            "confirm_compliance": Field(list, required=False),
        },
    )
    def send_message(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        confirmed = parse_confirmation(data["confirm_compliance"])
        access_conversation_by_agent(principal, data["conversation_id"], to_post=True)
        posted = post_message(
            data["conversation_id"],
            sender=Sender(type="agent", id=str(principal.id), name=principal.display_name),
            actor=_actor(connection),
            client_msg_id=data["client_msg_id"],
            text=data["text"],
            kind="note" if data["internal"] else "text",
            origin_sid=connection.sid,
            confirmed_rules=None if data["internal"] else confirmed,  # notes: never seen
            holder=principal.id,
        )
        return {"message": masked_view(posted.message), "duplicate": posted.duplicate}

    @event(
        "sync",
        permission=Permission.CHAT_HANDLE,
        schema=SYNC,
    )
    def sync(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversation = access_conversation_by_agent(connection.identity, data["conversation_id"])
        return sync_answer(conversation, data, include_notes=True, masked=True)

    @event(
        "typing",
        permission=Permission.CHAT_HANDLE,
        schema=TYPING,
    )
    def typing(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversation = access_conversation_by_agent(
            connection.identity, data["conversation_id"], to_post=True
        )
        self.socketio.emit(
            "typing_changed",
            typing_payload(conversation.id, "agent", data["typing"]),
            namespace=VISITOR_NS,
            to=visitor_room(conversation.visitor_id),
        )
        return {}

    @event(
        "mark_read",
        permission=Permission.CHAT_HANDLE,
        schema=MARK_READ,
    )
    def mark_read(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversation = access_conversation_by_agent(
            connection.identity, data["conversation_id"], to_post=True
        )
        if min(data["seq"], conversation.last_seq) <= conversation.agent_read_seq:
            return {"read_seq": conversation.agent_read_seq}
        read_seq = do_mark_read(
            conversation.id, side="agent", seq=data["seq"], actor=_actor(connection)
        )
        return {"read_seq": read_seq}

    @event(
        "close_conversation",
        permission=Permission.CHAT_HANDLE,
        schema=ONE_CONVERSATION,
    )
    def close_conversation(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        access_conversation_by_agent(connection.identity, data["conversation_id"], to_post=True)
        conversation = do_close_conversation(
            data["conversation_id"],
            closed_by="agent",
            actor=_actor(connection),
            holder=connection.identity.id,
        )
        return {"conversation": conversation_for_agent(conversation)}

    @event(
        "reveal_message",
        permission=Permission.PII_REVEAL,
        schema={"conversation_id": CONVERSATION, "seq": Field(int, minimum=1)},
    )
    def reveal_message(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        access_conversation_by_agent(connection.identity, data["conversation_id"])
        text = do_reveal_message(data["conversation_id"], data["seq"], actor=_actor(connection))
        return {"text": text}


def _actor(connection: Connection) -> Any:
    principal: Principal = connection.identity
    return principal.actor(ip=connection.ip, session_id=connection.session_id)


def _agent_state(principal: Principal) -> dict[str, Any]:
    return {
        "agent": {
            "id": principal.id,
            "name": principal.display_name,
            **presence_view(principal.id),
            # What this account may do, so the workbench shows only what it can use
            # (the server checks every event anyway).
            "permissions": sorted(principal.permissions),
        },
        "conversations": [conversation_for_agent(c) for c in assigned_conversations(principal.id)],
    }


def sweep_forever(namespace: AgentNamespace, interval_seconds: float, idle_ms: int) -> None:
    """Run in a background task of a serving process."""
    while True:
        namespace.socketio.sleep(interval_seconds)
        try:
            namespace.sweep_idle(clock.now_ms(), idle_ms)
        except Exception:
            log.exception("idle sweep failed")
