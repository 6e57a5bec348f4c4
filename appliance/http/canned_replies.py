"""Canned replies over HTTP: an agent's personal ones and the team's shared ones.

Every route needs chat.handle; changing a shared reply also needs
canned.manage_shared (refused 403 and audited as ACCESS_DENIED otherwise). The rules
are in services/canned_replies.py; see docs/http-api.md.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import g
from flask import jsonify

from appliance import errors
from appliance.http._access import authorize
from appliance.http._access import json_body
from appliance.http._access import request_actor
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.services.canned_replies import access_canned_reply
from appliance.services.canned_replies import canned_replies_for
from appliance.services.canned_replies import do_create_canned_reply
from appliance.services.canned_replies import do_delete_canned_reply
from appliance.services.canned_replies import do_update_canned_reply
from appliance.services.canned_replies import reply_view
from appliance.services.directory import Principal

bp = Blueprint("canned_replies", __name__, url_prefix="/api/v1/canned-replies")

MAX_BODY_BYTES = 16 * 1024  # a 2000-character body is at most 8 KB of UTF-8


@bp.get("")
@requires(Permission.CHAT_HANDLE)
def list_all() -> Response:
    principal: Principal = g.principal
    return jsonify({"ok": True, "canned_replies": canned_replies_for(principal)})


@bp.post("")
@requires(Permission.CHAT_HANDLE)
def create() -> tuple[Response, int]:
    fields = json_body(MAX_BODY_BYTES)
    scope = fields.pop("scope", "personal")
    if scope == "shared":
        authorize(Permission.CANNED_MANAGE_SHARED)
    reply = do_create_canned_reply(
        scope=scope, fields=fields, principal=g.principal, actor=request_actor()
    )
    return jsonify({"ok": True, "canned_reply": reply_view(reply, g.principal)}), 201


@bp.put("/<int:reply_id>")
@requires(Permission.CHAT_HANDLE)
def update(reply_id: int) -> Response:
    fields = json_body(MAX_BODY_BYTES)
    reply = _changeable(reply_id)
    if fields.pop("scope", reply.scope) != reply.scope:
        raise errors.InvalidPayload("scope: a reply's scope cannot change")
    changed = do_update_canned_reply(
        reply.id, fields=fields, principal=g.principal, actor=request_actor()
    )
    return jsonify({"ok": True, "canned_reply": reply_view(changed, g.principal)})


@bp.delete("/<int:reply_id>")
@requires(Permission.CHAT_HANDLE)
def remove(reply_id: int) -> Response:
    reply = _changeable(reply_id)
    do_delete_canned_reply(reply.id, principal=g.principal, actor=request_actor())
    return jsonify({"ok": True})


def _changeable(reply_id: int) -> Any:
    reply = access_canned_reply(g.principal, reply_id)
    if reply.scope == "shared":
        authorize(Permission.CANNED_MANAGE_SHARED)
    return reply
