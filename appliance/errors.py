"""Expected failures: a small typed hierarchy with one JSON shape.

Every error that reaches a client, over HTTP or as a Socket.IO ack, looks like
    {"ok": false, "code": "<stable_code>", "error": "<human message>"}
Codes are stable API; messages may be reworded. Unexpected exceptions are logged
server-side and answered with code "internal_error", never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any
from typing import ClassVar

import peewee
from flask import Flask
from flask import Response
from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """An expected failure we can explain to the client."""

    code: ClassVar[str] = "bad_request"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "code": self.code, "error": self.message}


class NotFound(AppError):
    code = "not_found"
    http_status = 404


class InvalidPayload(AppError):
    code = "invalid_payload"
    http_status = 400


class TooLarge(AppError):
    code = "too_large"
    http_status = 413


class RateLimited(AppError):
    code = "rate_limited"
    http_status = 429


class UnknownEvent(AppError):
    code = "unknown_event"
    http_status = 400


class Unauthorized(AppError):
    code = "unauthorized"
    http_status = 401


class SessionExpired(AppError):
    code = "session_expired"
    http_status = 401


class Forbidden(AppError):
    code = "forbidden"
    http_status = 403


class InvalidCredentials(AppError):
    code = "invalid_credentials"
    http_status = 401


class AccountLocked(AppError):
    code = "account_locked"
    http_status = 423


class CsrfFailed(AppError):
    code = "csrf_failed"
    http_status = 403


class Conflict(AppError):
    code = "conflict"
    http_status = 409


class ConversationClosed(AppError):
    code = "conversation_closed"
    http_status = 409


class AgentUnavailable(AppError):
    """The agent is not online, not connected, or has no free capacity."""

    code = "agent_unavailable"
    http_status = 409


class NotWaiting(AppError):
    """The conversation is no longer waiting (another agent took it, or it closed)."""

    code = "not_waiting"
    http_status = 409


class OfferGone(AppError):
    """The offer lapsed, was declined, or was never made to this agent."""

    code = "offer_gone"
    http_status = 409


class OfferNotAccepted(AppError):
    """The conversation is only offered to this agent: they may read it, and must
    accept the offer before writing, closing or transferring it."""

    code = "offer_not_accepted"
    http_status = 409


class InvalidQueue(InvalidPayload):
    code = "invalid_queue"
    http_status = 400


class QueueNotFound(NotFound):
    code = "queue_not_found"
    http_status = 404


class QueueExists(Conflict):
    code = "queue_exists"
    http_status = 409


class QueueInUse(Conflict):
    code = "queue_in_use"
    http_status = 409


class OverflowCycle(Conflict):
    code = "overflow_cycle"
    http_status = 409


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify({"ok": False, "code": code, "error": message}), status


def register(app: Flask) -> None:
    """Answer every error, expected or not, in the one JSON shape."""

    @app.errorhandler(AppError)
    def handle_app_error(error: AppError) -> tuple[Response, int]:
        return jsonify(error.to_dict()), error.http_status

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        return error_response(code, error.name, status)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def handle_database_down(error: Exception) -> tuple[Response, int]:
        log.error("database unavailable: %s", type(error).__name__)
        return error_response("database_unavailable", "The database is unavailable", 503)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error")
        return error_response("internal_error", "Internal error; see the server log", 500)
