"""The demo pages: a visitor widget, an agent page, and a bank page embedding the real
widget (docs/widget.md), clients of docs/protocol.md.

Plain HTML from templates/demo/, scripts and styles from static/demo/, and the
Socket.IO client vendored at build time (`make assets`) into static/vendor/.
Nothing is loaded from another origin and nothing runs inline, so the strict
Content-Security-Policy of http/_pages.py holds; chat text reaches the page only as text.

The pages are public (no sign-in: anyone may try a chat) and served only by a demo
instance, one whose demo.enabled is on (`enclave demo setup`, which `make run` runs).
Elsewhere, a bank's production install above all, the blueprint is not registered:
/demo/… is an unknown path, 404 in the one error shape, and nothing links to it.
"""

from __future__ import annotations

import re

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import render_template
from flask import request

from appliance.http._access import requires
from appliance.http._pages import asset_built
from appliance.http._pages import strict_page
from appliance.permissions import Permission
from appliance.runtime import Runtime

bp = Blueprint("demo", __name__, url_prefix="/demo")

SOCKETIO_ASSET = "vendor/socket.io.min.js"
WIDGET_ASSET = "widget/enclave-widget.js"
QUEUE_NAME = re.compile(r"[a-z0-9._-]{1,64}")


def install(app: Flask) -> None:
    """Serve the demo pages if this instance is a demo one (demo.enabled)."""
    runtime: Runtime = app.extensions["enclave"]
    if runtime.settings.demo.enabled:
        app.register_blueprint(bp)


def socketio_asset_built() -> bool:
    """Whether `make assets` has vendored the Socket.IO client into static/."""
    return asset_built(SOCKETIO_ASSET)


def _page(template: str, **context: str) -> Response:
    html = render_template(
        template,
        socketio_missing=not socketio_asset_built(),
        widget_missing=not asset_built(WIDGET_ASSET),
        **context,
    )
    return strict_page(html)


@bp.get("/")
@requires(Permission.PUBLIC)
def index() -> Response:
    """Links to the two demo pages."""
    return _page("demo/index.html")


@bp.get("/visitor")
@requires(Permission.PUBLIC)
def visitor() -> Response:
    """The visitor widget: start a chat, see queue position and agent, exchange messages."""
    return _page("demo/visitor.html")


@bp.get("/agent")
@requires(Permission.PUBLIC)
def agent() -> Response:
    """The agent page: log in, set status, handle assigned conversations."""
    return _page("demo/agent.html")


@bp.get("/widget")
@requires(Permission.PUBLIC)
def widget() -> Response:
    """A bank's page embedding the visitor widget with one script tag (docs/widget.md).

    `?group=<queue>` embeds it with `data-group`, for a page whose chats go to one queue.
    """
    group = request.args.get("group", "")
    return _page("demo/widget.html", group=group if QUEUE_NAME.fullmatch(group) else "")
