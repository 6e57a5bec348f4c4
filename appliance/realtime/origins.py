"""Which web pages may open which Socket.IO namespace (docs/protocol.md, "Origins").

A browser names the page's origin in the Origin header of every WebSocket handshake
and cross-origin request, and a page cannot change it. Engine.IO checks it once per
connection, before any namespace: the appliance's own origin and the bank's widget
origins (`visitor.allowed_origins`) pass. One Engine.IO connection may then open
either namespace, so /agent checks again at its connect and admits the appliance's
own pages only: a widget page (a site that may share the agent's cookies, being of
the same site) must not open an agent connection with an agent's session cookie.

No Origin at all (a same-origin GET, or a client that is not a browser) passes:
a browser always names the origin of a cross-origin page.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any


def own_origins(environ: dict[str, Any]) -> set[str]:
    """The appliance's origin as this request reached it: its Host, with its scheme or
    the one X-Forwarded-Proto names (as Engine.IO's own same-origin check believes).
    X-Forwarded-Host is not believed: a page could send it with a polling request and
    so make its own origin pass for ours."""
    host = environ.get("HTTP_HOST")
    if not host:
        return set()
    schemes = {environ.get("wsgi.url_scheme", "http")}
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
    if forwarded:
        schemes.add(forwarded)
    return {f"{scheme}://{host}" for scheme in schemes}


def is_own_origin(environ: dict[str, Any]) -> bool:
    origin = environ.get("HTTP_ORIGIN")
    return not origin or origin in own_origins(environ)


def engineio_origins(widget_origins: Iterable[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's `cors_allowed_origins`: the appliance's own origin or a widget's."""
    allowed = frozenset(widget_origins)

    def accepts(origin: str | None, environ: dict[str, Any]) -> bool:
        return origin is not None and (origin in allowed or origin in own_origins(environ))

    return accepts
