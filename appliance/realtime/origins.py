"""Which web pages may open which Socket.IO namespace (docs/protocol.md, "Origins").

A browser names the page's origin in the Origin header of every WebSocket handshake
and cross-origin request, and a page cannot change it. Engine.IO checks it once per
connection, before any namespace: the appliance's own origin and the bank's widget
origins (`visitor.allowed_origins`) pass. One Engine.IO connection may then open
either namespace, so /agent checks again at its connect and admits the appliance's
own pages only: a widget page (a site that may share the agent's cookies, being of
the same site) must not open an agent connection with an agent's session cookie.

No Origin at all passes (a same-origin GET, or a client that is not a browser), unless
the browser says the request came from another site or origin (Sec-Fetch-Site, sent by
every current browser): a page of the widget's site can make a no-cors GET, a script
tag, which names no origin but carries the agent's cookies. Such a request cannot
read its answer, except as JSONP, which Engine.IO would offer and nothing of ours
uses: `refuse_jsonp` turns it away before Engine.IO sees it.
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


# Sec-Fetch-Site values that say the request was not made by another site's page.
_SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})


def is_own_origin(environ: dict[str, Any]) -> bool:
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        return origin in own_origins(environ)
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    return fetch_site is None or fetch_site in _SAME_ORIGIN_FETCH


def refuse_jsonp(wsgi_app: Callable[..., Any], path: str = "/socket.io") -> Callable[..., Any]:
    """WSGI middleware answering 400 to Engine.IO's JSONP polling (`j=` in the query):
    a script tag of any page could read a JSONP answer with the agent's cookies."""
    prefix = path.rstrip("/") + "/"

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(prefix):
            keys = {part.split("=", 1)[0] for part in environ.get("QUERY_STRING", "").split("&")}
            if "j" in keys:
                body = b'{"ok": false, "code": "bad_request", "error": "JSONP is not served"}'
                start_response(
                    "400 BAD REQUEST",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
                )
                return [body]
        return wsgi_app(environ, start_response)

    return app


def engineio_origins(widget_origins: Iterable[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's `cors_allowed_origins`: the appliance's own origin or a widget's."""
    allowed = frozenset(widget_origins)

    def accepts(origin: str | None, environ: dict[str, Any]) -> bool:
        return origin is not None and (origin in allowed or origin in own_origins(environ))

    return accepts
