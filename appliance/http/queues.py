"""Queues (skill groups) and agents' skills over HTTP: read with queues.view, change
with queues.manage. The fields and their rules are in services/queues.py; see
docs/http-api.md.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify

from appliance import errors
from appliance.http._access import json_body
from appliance.http._access import request_actor
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.queries.routing import get_queue
from appliance.queries.routing import list_queues
from appliance.services.queues import do_create_queue
from appliance.services.queues import do_remove_queue
from appliance.services.queues import do_set_agent_skills
from appliance.services.queues import do_update_queue

bp = Blueprint("queues", __name__, url_prefix="/api/v1")

# A queue with the most holidays and special days the rules allow is ~200 KB.
MAX_BODY_BYTES = 256 * 1024


@bp.get("/queues")
@requires(Permission.QUEUES_VIEW)
def list_all() -> Response:
    return jsonify({"ok": True, "queues": [queue.as_json() for queue in list_queues()]})


@bp.get("/queues/<name>")
@requires(Permission.QUEUES_VIEW)
def show(name: str) -> Response:
    queue = get_queue(name.strip().lower())
    if queue is None:
        raise errors.QueueNotFound(f"no queue named {name!r}")
    return jsonify({"ok": True, "queue": queue.as_json()})


@bp.post("/queues")
@requires(Permission.QUEUES_MANAGE)
def create() -> tuple[Response, int]:
    fields = json_body(MAX_BODY_BYTES)
    name = fields.pop("name", None)
    if not isinstance(name, str):
        raise errors.InvalidQueue("name: required, a string")
    queue = do_create_queue(name, fields, actor=request_actor())
    return jsonify({"ok": True, "queue": queue.as_json()}), 201


@bp.patch("/queues/<name>")
@requires(Permission.QUEUES_MANAGE)
def update(name: str) -> Response:
    queue = do_update_queue(name, json_body(MAX_BODY_BYTES), actor=request_actor())
    return jsonify({"ok": True, "queue": queue.as_json()})


@bp.delete("/queues/<name>")
@requires(Permission.QUEUES_MANAGE)
def remove(name: str) -> Response:
    do_remove_queue(name, actor=request_actor())
    return jsonify({"ok": True})


@bp.put("/agents/<username>/skills")
@requires(Permission.QUEUES_MANAGE)
def set_skills(username: str) -> Response:
    body = json_body(MAX_BODY_BYTES)
    unknown = sorted(set(body) - {"skills", "languages"})
    if unknown or "skills" not in body:
        raise errors.InvalidPayload(
            'expected {"skills": {"skill": level, ...}, "languages": ["zh-CN", ...]}'
        )
    languages = body.get("languages")
    if languages is not None and not isinstance(languages, list):
        raise errors.InvalidPayload("languages: expected a list of language tags")
    profile = do_set_agent_skills(
        username=username, skills=body["skills"], languages=languages, actor=request_actor()
    )
    return jsonify({"ok": True, "username": username.strip().lower(), **profile.as_json()})
