"""Pages the appliance serves itself (the demo pages, the workbench shell): one strict
Content-Security-Policy and the headers that go with it, and whether a built asset exists.

Nothing is loaded from another origin and nothing runs inline on these pages; chat text
reaches them only as text.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response
from flask import current_app

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'"
)


def asset_built(asset: str) -> bool:
    """Whether `make assets` has put `asset` (a path under static/) in place."""
    static = current_app.static_folder
    return static is not None and (Path(static) / asset).is_file()


def strict_page(html: str) -> Response:
    """`html` as a response under the strict CSP, never cached, never framed."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
