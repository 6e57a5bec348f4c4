"""The supervisor view over HTTP, for monitoring tools (permission desk.supervise).

The same view as the /agent event `supervisor_overview`; read-only and not audited
(no visitor names, no message text). See docs/http-api.md.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import g
from flask import jsonify

from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.services.supervision import supervisor_overview

bp = Blueprint("supervision", __name__, url_prefix="/api/v1/supervisor")


@bp.get("/overview")
@requires(Permission.DESK_SUPERVISE)
def overview() -> Response:
    return jsonify({"ok": True, "overview": supervisor_overview(g.principal.groups)})
