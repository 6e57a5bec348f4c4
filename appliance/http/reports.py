"""Service reports over HTTP (permission reports.view: supervisors). See docs/http-api.md."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from appliance import clock
from appliance import errors
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.services.feedback import survey_report

bp = Blueprint("reports", __name__, url_prefix="/api/v1/reports")

MAX_DAYS = 366


@bp.get("/surveys")
@requires(Permission.REPORTS_VIEW)
def surveys() -> Response:
    raw = request.args.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise errors.InvalidPayload(f"days: a whole number from 1 to {MAX_DAYS}")
    since = clock.now_ms() - int(raw) * 86_400_000
    return jsonify({"ok": True, "report": survey_report(since)})
