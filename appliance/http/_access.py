"""Deny by default for HTTP: every view declares its Permission, and CSRF on every write.

    @bp.post("/api/v1/things")
    @requires(Permission.CHAT_HANDLE)      # inside the route decorator
    def create_thing() -> Response: ...

`requires` authenticates the session (401 unauthorized / session_expired),
checks the permission (403 forbidden, audited as ACCESS_DENIED) and leaves the
principal in `flask.g.principal`. `check_request`, run before every request,
refuses any endpoint whose view declares nothing (so a route added without a
decision is closed, not open) and any state-changing request whose
X-CSRF-Token header does not match the session's token (403 csrf_failed).
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from collections.abc import MutableMapping
from typing import Any
from typing import TypeVar

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session

from appliance import errors
from appliance.permissions import Permission
from appliance.services.directory import Principal
from appliance.services.directory import do_record_access_denied
from appliance.services.directory import principal_from_session
from audit.events import Actor

F = TypeVar("F", bound=Callable[..., Any])

CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ATTRIBUTE = "required_permission"

# Endpoints Flask makes itself, whose view functions we cannot decorate.
BUILTIN_PUBLIC = frozenset({"static"})


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare and enforce the permission a view needs (Permission.PUBLIC: anyone)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if permission is not Permission.PUBLIC:
                authorize(permission)
            return view(*args, **kwargs)

        setattr(guarded, _ATTRIBUTE, permission)
        return guarded  # type: ignore[return-value]

    return decorate


def authorize(permission: Permission) -> Principal:
    """The signed-in principal if it holds `permission`; raise otherwise."""
    principal = principal_from_session(session)
    g.principal = principal
    if not principal.can(permission):
        do_record_access_denied(
            principal.actor(ip=request.remote_addr, session_id=session.get("sid")),
            resource=f"http:{request.method} {request.path}",
            permission=permission,
        )
        raise errors.Forbidden("You do not have permission to do that")
    return principal


def declared_permission(app: Flask, endpoint: str) -> Permission | None:
    """The permission the view of `endpoint` declares, or None if it declares none."""
    if endpoint in BUILTIN_PUBLIC:
        return Permission.PUBLIC
    view = app.view_functions.get(endpoint)
    permission = getattr(view, _ATTRIBUTE, None)
    return permission if isinstance(permission, Permission) else None


def csrf_token(session: MutableMapping[str, Any], *, renew: bool = False) -> str:
    """The session's CSRF token, created (or replaced, with `renew`) as needed."""
    token = session.get(CSRF_SESSION_KEY)
    if renew or not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def check_request() -> None:
    """Refuse undeclared endpoints and state-changing requests without the CSRF token."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let Flask answer 404 / 405
        return
    if declared_permission(current_app, endpoint) is None:
        raise errors.Forbidden("This endpoint declares no permission; refused by default")
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY)
    given = request.headers.get(CSRF_HEADER, "")
    if not isinstance(expected, str) or not hmac.compare_digest(
        expected.encode("utf-8"), given.encode("utf-8")
    ):
        raise errors.CsrfFailed(
            f"Missing or wrong {CSRF_HEADER} header; fetch /api/v1/auth/session for a token"
        )


def install(app: Flask) -> None:
    app.before_request(check_request)


def json_body(max_bytes: int) -> dict[str, Any]:
    """The request's JSON object body, or a stable error (too_large, invalid_payload)."""
    if (request.content_length or 0) > max_bytes:
        raise errors.TooLarge(f"the body is larger than {max_bytes} bytes")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.InvalidPayload("expected a JSON object body")
    return body


def request_actor() -> Actor:
    """Who did it, for the audit trail: the signed-in principal (set by `requires`)."""
    actor: Actor = g.principal.actor(ip=request.remote_addr, session_id=session.get("sid"))
    return actor
