"""The /visitor namespace: bank customers chatting through the widget. See docs/protocol.md."""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import emit
from flask_socketio import join_room
from socketio.exceptions import ConnectionRefusedError

from appliance import errors
from appliance.db import db
from appliance.permissions import Permission
from appliance.queries.chat import Sender
from appliance.queries.chat import access_conversation_by_visitor
from appliance.queries.chat import conversation_for_visitor
from appliance.queries.chat import open_conversation_of
from appliance.queries.prechat import prechat_form_for
from appliance.realtime._dispatch import Connection
from appliance.realtime._dispatch import DeclaredNamespace
from appliance.realtime._dispatch import event
from appliance.realtime._payload import GROUP
from appliance.realtime._payload import Field
from appliance.realtime.common import CONVERSATION
from appliance.realtime.common import MARK_READ
from appliance.realtime.common import ONE_CONVERSATION
from appliance.realtime.common import SEND_MESSAGE
from appliance.realtime.common import SYNC
from appliance.realtime.common import TYPING
from appliance.realtime.common import max_text_bytes
from appliance.realtime.common import refuse
from appliance.realtime.common import sync_answer
from appliance.realtime.common import typing_payload
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import visitor_room
from appliance.services.conversations import LANGUAGES
from appliance.services.conversations import choose_queue
from appliance.services.conversations import do_close_conversation
from appliance.services.conversations import queue_texts
from appliance.services.conversations import start_or_resume
from appliance.services.conversations import visitor_actor
from appliance.services.feedback import MAX_COMMENT_BYTES
from appliance.services.feedback import do_export_transcript
from appliance.services.feedback import do_rate_conversation
from appliance.services.messages import do_mark_read
from appliance.services.messages import post_message
from appliance.services.offline_messages import do_leave_message
from appliance.services.visitors import VisitorIdentity
from appliance.services.visitors import identify_by_customer_token
from appliance.services.visitors import identify_by_visitor_token
from appliance.services.visitors import new_anonymous

log = logging.getLogger(__name__)


class VisitorNamespace(DeclaredNamespace):
    def on_connect(self, auth: Any = None) -> None:
        try:
            identity, token = _identify(auth)
            connection = self.new_connection()
            connection.identity = identity
            self.connections[connection.sid] = connection
            join_room(visitor_room(identity.id))
            with db.connection_context():
                existing = open_conversation_of(identity.id)
                view = None if existing is None else conversation_for_visitor(existing)
            emit(
                "session_started",
                {"visitor_token": token, "visitor": identity.public(), "conversation": view},
            )
        except errors.AppError as exc:
            refuse(exc)
        except ConnectionRefusedError:
            raise
        except Exception:
            log.exception("visitor connect failed")
            refuse(errors.AppError("Internal error; try again"), code="internal_error")

    def authorize(self, connection: Connection, permission: Permission) -> None:
        if permission not in (Permission.VISITOR, Permission.PUBLIC):
            raise errors.Forbidden("Not allowed")

    @event(
        "prechat_form",
        permission=Permission.VISITOR,
        schema={"language": Field(str, required=False, default="zh-CN", choices=LANGUAGES)},
    )
    def prechat_form(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        return prechat_form_for(current_runtime().settings.visitor, data["language"])

    @event(
        "start_conversation",
        permission=Permission.VISITOR,
        schema={
            "group": Field(str, required=False, pattern=GROUP),
            "topic": Field(str, required=False, pattern=GROUP),
            "text": Field(str, required=False, max_bytes=max_text_bytes),
            "language": Field(str, required=False, default="zh-CN", choices=LANGUAGES),
        },
    )
    def start_conversation(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        identity: VisitorIdentity = connection.identity
        existing = open_conversation_of(identity.id)
        if existing is None:
            choice = choose_queue(data["group"], topic=data["topic"], text=data["text"])
            if choice.queue is None:
                texts = queue_texts(choice.asked, data["language"])
                return {
                    "conversation": None,
                    "leave_message": {
                        "queue": choice.asked,
                        "reason": choice.why_unavailable or "unavailable",
                        "message": texts["queue_message"],
                    },
                }
            existing = start_or_resume(identity, choice=choice)
        view = conversation_for_visitor(existing)
        return {"conversation": view, **queue_texts(existing.group, data["language"])}

    @event(
        "leave_message",
        permission=Permission.VISITOR,
        schema={
            "queue": Field(str, pattern=GROUP),
            "text": Field(str, max_bytes=max_text_bytes),
            "contact": Field(str, required=False, max_bytes=lambda: 200),
        },
    )
    def leave_message(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        identity: VisitorIdentity = connection.identity
        waiting = open_conversation_of(identity.id)
        message_id = do_leave_message(
            visitor_id=identity.id,
            queue=data["queue"],
            text=data["text"],
            contact=data["contact"],
            conversation_id=None if waiting is None else waiting.id,
        )
        return {"offline_message_id": message_id}

    @event(
        "rate_conversation",
        permission=Permission.VISITOR,
        schema={
            "conversation_id": CONVERSATION,
            "score": Field(int, minimum=1, maximum=5),
            "comment": Field(str, required=False, max_bytes=lambda: MAX_COMMENT_BYTES),
        },
    )
    def rate_conversation(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        identity: VisitorIdentity = connection.identity
        conversation = access_conversation_by_visitor(identity.id, data["conversation_id"])
        do_rate_conversation(
            conversation,
            score=data["score"],
            comment=data["comment"],
            actor=visitor_actor(identity.id),
        )
        return {}

    @event("export_transcript", permission=Permission.VISITOR, schema=ONE_CONVERSATION)
    def export_transcript(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        identity: VisitorIdentity = connection.identity
        conversation = access_conversation_by_visitor(identity.id, data["conversation_id"])
        return {"transcript": do_export_transcript(conversation, actor=visitor_actor(identity.id))}

    @event(
        "send_message",
        permission=Permission.VISITOR,
        schema=SEND_MESSAGE,
    )
    def send_message(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        identity: VisitorIdentity = connection.identity
        conversation_id = data["conversation_id"]
        if conversation_id not in connection.owned:  # see Connection.owned
            access_conversation_by_visitor(identity.id, conversation_id)
            connection.owned.add(conversation_id)
        posted = post_message(
            conversation_id,
            sender=Sender(type="visitor", id=identity.id, name=identity.name),
            actor=visitor_actor(identity.id),
            client_msg_id=data["client_msg_id"],
            text=data["text"],
            origin_sid=connection.sid,
        )
        return {"message": posted.message, "duplicate": posted.duplicate}

    @event(
        "sync",
        permission=Permission.VISITOR,
        schema=SYNC,
    )
    def sync(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversation = access_conversation_by_visitor(
            connection.identity.id, data["conversation_id"]
        )
        return sync_answer(conversation, data, include_notes=False)

    @event(
        "typing",
        permission=Permission.VISITOR,
        schema=TYPING,
    )
    def typing(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        conversation = access_conversation_by_visitor(
            connection.identity.id, data["conversation_id"]
        )
        if conversation.agent_id is not None and conversation.status == "assigned":
            self.socketio.emit(
                "typing_changed",
                typing_payload(conversation.id, "visitor", data["typing"]),
                namespace=AGENT_NS,
                to=agent_room(conversation.agent_id),
            )
        return {}

    @event(
        "mark_read",
        permission=Permission.VISITOR,
        schema=MARK_READ,
    )
    def mark_read(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        visitor_id = connection.identity.id
        conversation = access_conversation_by_visitor(visitor_id, data["conversation_id"])
        if min(data["seq"], conversation.last_seq) <= conversation.visitor_read_seq:
            return {"read_seq": conversation.visitor_read_seq}
        read_seq = do_mark_read(
            conversation.id, side="visitor", seq=data["seq"], actor=visitor_actor(visitor_id)
        )
        return {"read_seq": read_seq}

    @event(
        "close_conversation",
        permission=Permission.VISITOR,
        schema=ONE_CONVERSATION,
    )
    def close_conversation(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        visitor_id = connection.identity.id
        access_conversation_by_visitor(visitor_id, data["conversation_id"])
        conversation = do_close_conversation(
            data["conversation_id"], closed_by="visitor", actor=visitor_actor(visitor_id)
        )
        return {"conversation": conversation_for_visitor(conversation)}


def _identify(auth: Any) -> tuple[VisitorIdentity, str | None]:
    if auth is None or auth == {}:
        return new_anonymous()
    if not isinstance(auth, dict) or len(auth) != 1:
        raise errors.InvalidPayload("auth: expected {} or one of visitor_token, customer_token")
    if "visitor_token" in auth:
        return identify_by_visitor_token(auth["visitor_token"])
    if "customer_token" in auth:
        return identify_by_customer_token(auth["customer_token"]), None
    raise errors.InvalidPayload("auth: expected {} or one of visitor_token, customer_token")


__all__ = ["VISITOR_NS", "VisitorNamespace"]
