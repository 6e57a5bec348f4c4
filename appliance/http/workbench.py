"""The agent workbench at /workbench/: a Vue single-page app built by `make assets`
(workbench/, `npm run build:workbench`) into static/workbench/, a client of
docs/protocol.md (namespace /agent) and docs/http-api.md (sign-in).

The shell page is public because signing in happens inside it; everything it does
afterwards is authorized by the session, over HTTP and Socket.IO. It loads one module
and one stylesheet from this appliance and runs nothing inline, under the demo pages'
strict Content-Security-Policy.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template

from appliance.http._access import requires
from appliance.http._pages import asset_built
from appliance.http._pages import strict_page
from appliance.permissions import Permission

bp = Blueprint("workbench", __name__, url_prefix="/workbench")

SCRIPT_ASSET = "workbench/workbench.js"
STYLE_ASSET = "workbench/workbench.css"


@bp.get("/")
@requires(Permission.PUBLIC)
def index() -> Response:
    """The workbench shell: sign in, status, chats side by side, offers, queues, transfers."""
    html = render_template("workbench/index.html", missing=not asset_built(SCRIPT_ASSET))
    return strict_page(html)
