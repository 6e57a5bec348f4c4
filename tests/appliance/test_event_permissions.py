"""Deny by default for Socket.IO: every event of every namespace declares a permission,
and docs/protocol.md documents every event a client may send."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.extensions import socketio
from appliance.permissions import Permission
from appliance.realtime._dispatch import DeclaredNamespace

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _namespaces(app):
    handlers = socketio.server.namespace_handlers
    assert set(handlers) == {"/visitor", "/agent"}, "an undeclared namespace is served"
    assert not socketio.server.handlers, "function handlers bypass the declared dispatcher"
    return handlers


def test_it_declares_a_permission_for_every_event(app):
    for name, namespace in _namespaces(app).items():
        assert isinstance(namespace, DeclaredNamespace), name
        assert namespace.events, name
        for event, spec in namespace.events.items():
            assert isinstance(spec.permission, Permission), (name, event)
            if name == "/agent":
                assert spec.permission is not Permission.PUBLIC, (name, event)


def test_it_routes_no_event_around_the_dispatcher(app):
    for name, namespace in _namespaces(app).items():
        handlers = {m for m in dir(namespace) if m.startswith("on_")}
        assert handlers <= {"on_connect", "on_disconnect"}, (name, handlers)


def _documented_client_events(section: str) -> set[str]:
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index(f"## Namespace `{section}`")
    end = text.find("\n## ", start + 1)
    part = text[start : end if end != -1 else None]
    table = part[part.index("### Client → server") : part.index("### Server → client")]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


def test_it_documents_every_event(app):
    for name, namespace in _namespaces(app).items():
        assert _documented_client_events(name) == set(namespace.events), name
