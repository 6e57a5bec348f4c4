"""Small pieces both namespaces use."""

from __future__ import annotations

from typing import Any
from typing import NoReturn

from socketio.exceptions import ConnectionRefusedError

from appliance import errors
from appliance.runtime import current_runtime


def max_text_bytes() -> int:
    return current_runtime().settings.chat.max_text_bytes


def refuse(error: errors.AppError, *, code: str | None = None) -> NoReturn:
    """Refuse a Socket.IO connection.

    The client's connect_error carries `message` (the human message) and
    `data` = {"code", "error"} with the stable code.
    """
    detail = {"code": code or error.code, "error": error.message}
    raise ConnectionRefusedError(error.message, detail)


def typing_payload(conversation_id: str, sender: str, typing: bool) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "sender": sender, "typing": typing}
