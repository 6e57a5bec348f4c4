"""Small pieces both namespaces use."""

from __future__ import annotations

from typing import Any
from typing import NoReturn

from socketio.exceptions import ConnectionRefusedError

from appliance import errors
from appliance.models import Conversation
from appliance.queries.chat import messages_after
from appliance.realtime._payload import CLIENT_MSG_ID
from appliance.realtime._payload import CONVERSATION_ID
from appliance.realtime._payload import Field
from appliance.realtime._payload import Schema
from appliance.runtime import current_runtime
from appliance.services.pii import masked_view


def max_text_bytes() -> int:
    return current_runtime().settings.chat.max_text_bytes


# Payload schemas both namespaces accept (docs/protocol.md).
CONVERSATION = Field(str, pattern=CONVERSATION_ID)
ONE_CONVERSATION: Schema = {"conversation_id": CONVERSATION}
SEND_MESSAGE: Schema = {
    "conversation_id": CONVERSATION,
    "client_msg_id": Field(str, pattern=CLIENT_MSG_ID),
    "text": Field(str, max_bytes=max_text_bytes),
}
SYNC: Schema = {
    "conversation_id": CONVERSATION,
    "after_seq": Field(int, minimum=0),
    "limit": Field(int, required=False, default=200, minimum=1, maximum=500),
}
TYPING: Schema = {"conversation_id": CONVERSATION, "typing": Field(bool)}
MARK_READ: Schema = {"conversation_id": CONVERSATION, "seq": Field(int, minimum=0)}


def sync_answer(
    conversation: Conversation,
    data: dict[str, Any],
    *,
    include_notes: bool,
    masked: bool = False,
) -> dict[str, Any]:
    """The ack of `sync`: messages after `after_seq`, in order, one page; with
    `masked` (agents), PII in their text masked (services/pii.py)."""
    messages, has_more = messages_after(
        conversation, data["after_seq"], data["limit"], include_notes=include_notes
    )
    if masked:
        messages = [masked_view(message) for message in messages]
    return {"messages": messages, "has_more": has_more, "last_seq": conversation.last_seq}


def refuse(error: errors.AppError, *, code: str | None = None) -> NoReturn:
    """Refuse a Socket.IO connection.

    The client's connect_error carries `message` (the human message) and
    `data` = {"code", "error"} with the stable code.
    """
    detail = {"code": code or error.code, "error": error.message}
    raise ConnectionRefusedError(error.message, detail)


def typing_payload(conversation_id: str, sender: str, typing: bool) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "sender": sender, "typing": typing}
