"""Sign-in over HTTP: the session (and its CSRF token), login and logout.

Every POST needs the X-CSRF-Token header from GET /api/v1/auth/session, login
included (login CSRF); login issues a fresh token, which the client uses from
then on. See docs/http-api.md.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from flask import session

from appliance import errors
from appliance.http._access import csrf_token
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.runtime import current_runtime
from appliance.services.directory import Principal
from appliance.services.directory import end_session
from appliance.services.directory import open_session
from appliance.services.directory import principal_from_session
from appliance.services.sign_in import LoginOutcome
from appliance.services.sign_in import do_login
from appliance.services.sign_in import do_logout

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")

# Bounds the work one request can ask of the password hash; real ones are far shorter.
MAX_FIELD_CHARS = 4096


def agent_json(principal: Principal) -> dict[str, Any]:
    return {
        "id": principal.id,
        "username": principal.username,
        "name": principal.display_name,
        "roles": sorted(principal.roles),
        "groups": sorted(principal.groups),
        "permissions": sorted(principal.permissions),
    }


def _signed_in() -> Principal | None:
    try:
        return principal_from_session(session)
    except (errors.Unauthorized, errors.SessionExpired):
        return None


@bp.get("/session")
@requires(Permission.PUBLIC)
def current_session() -> Response:
    """The CSRF token for this browser session, and who is signed in (or null)."""
    token = csrf_token(session)
    principal = _signed_in()
    agent = None if principal is None else agent_json(principal)
    return jsonify({"ok": True, "csrf_token": token, "agent": agent})


@bp.post("/login")
@requires(Permission.PUBLIC)
def login() -> Response:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str):
        raise errors.InvalidPayload('expected JSON {"username": string, "password": string}')
    if len(username) > MAX_FIELD_CHARS or len(password) > MAX_FIELD_CHARS:
        raise errors.InvalidPayload("username or password too long")

    sid = secrets.token_hex(8)
    result = do_login(
        username=username,
        password=password,
        policy=current_runtime().settings.security,
        ip=request.remote_addr,
        session_id=sid,
    )
    if result.outcome is LoginOutcome.LOCKED:
        raise errors.AccountLocked(
            "This account is locked after too many failed sign-ins; try again later "
            "or ask an administrator to reset the password"
        )
    if result.outcome is not LoginOutcome.SIGNED_IN or result.principal is None:
        raise errors.InvalidCredentials("Wrong username or password")

    end_session(session)
    open_session(session, result.principal, epoch=result.session_epoch, sid=sid)
    # A new token at sign-in: one planted in the browser before it is worthless after.
    token = csrf_token(session, renew=True)
    return jsonify({"ok": True, "agent": agent_json(result.principal), "csrf_token": token})


@bp.post("/logout")
@requires(Permission.PUBLIC)
def logout() -> Response:
    """End this session; with {"everywhere": true}, every session of the account."""
    body = request.get_json(silent=True)
    everywhere = isinstance(body, dict) and body.get("everywhere") is True
    principal = _signed_in()
    if principal is not None:
        do_logout(
            principal,
            everywhere=everywhere,
            ip=request.remote_addr,
            session_id=session.get("sid"),
        )
    session.clear()
    return jsonify({"ok": True})
