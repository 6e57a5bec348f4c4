"""Deny by default for Socket.IO: every event of every namespace declares a permission,
and docs/protocol.md documents every event a client may send or receive and every error
code an ack or a refused connect may carry."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import appliance
from appliance import errors
from appliance.extensions import socketio
from appliance.permissions import Permission
from appliance.realtime._dispatch import RESERVED_EVENTS
from appliance.realtime._dispatch import DeclaredNamespace
from appliance.realtime._dispatch import event as declare_event

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "protocol.md"
APPLIANCE = ROOT / "appliance"


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


def test_it_keeps_socketio_reserved_names_out_of_the_events(app):
    for name, namespace in _namespaces(app).items():
        assert not set(namespace.events) & RESERVED_EVENTS, name
    with pytest.raises(ValueError, match="reserved"):
        declare_event("disconnect", permission=Permission.CHAT_HANDLE)


def _section(text: str, start_marker: str, start: int = 0) -> str:
    """From `start_marker` to the next heading of the same or a higher level."""
    begin = text.index(start_marker, start)
    level = start_marker.split(" ")[0]
    ends = [text.find(f"\n{h} ", begin + 1) for h in ("#" * n for n in range(1, len(level) + 1))]
    ends = [e for e in ends if e != -1]
    return text[begin : min(ends) if ends else None]


def _table_names(table: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


def _documented_events(namespace: str, direction: str) -> set[str]:
    part = _section(PROTOCOL.read_text(encoding="utf-8"), f"## Namespace `{namespace}`")
    return _table_names(_section(part, f"### {direction}"))


def test_it_documents_every_event(app):
    for name, namespace in _namespaces(app).items():
        assert _documented_events(name, "Client → server") == set(namespace.events), name


# Server → client: every emit names its event and namespace literally.

_NAMESPACE_CONSTANTS = {"AGENT_NS": "/agent", "VISITOR_NS": "/visitor"}
_EMITTERS = {"emit", "send_event_on_commit"}
_GENERIC_EMITTER = APPLIANCE / "services" / "_events.py"  # forwards what it is given


def _namespace_of_module(path: Path) -> str | None:
    """A namespace handler's own emit (flask_socketio.emit) goes to its namespace."""
    if path.parent.name == "realtime" and path.stem.startswith("agent"):
        return "/agent"
    if path.parent.name == "realtime" and path.stem == "visitor":
        return "/visitor"
    return None


def _emitted_events() -> dict[str, set[str]]:
    emitted: dict[str, set[str]] = {"/agent": set(), "/visitor": set()}
    for path in sorted(APPLIANCE.rglob("*.py")):
        if path == _GENERIC_EMITTER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _EMITTERS or not node.args:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0]
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), where
            namespace = next((k.value for k in node.keywords if k.arg == "namespace"), None)
            if namespace is None:
                target = _namespace_of_module(path)
            else:
                assert isinstance(namespace, ast.Name), where
                target = _NAMESPACE_CONSTANTS.get(namespace.id)
            assert target is not None, f"{where}: emit to which namespace?"
            emitted[target].add(first.value)
    return emitted


def test_it_documents_every_event_the_server_sends(app):
    emitted = _emitted_events()
    assert emitted["/agent"] and emitted["/visitor"]
    for name in _namespaces(app):
        assert _documented_events(name, "Server → client") == emitted[name], name


# Error codes: every code an ack or a connect_error can carry is in the protocol's table.

# Codes of the HTTP API alone (docs/http-api.md): raised by routes and admin services that
# no Socket.IO event calls, so no ack carries them. A new AppError either goes into the
# protocol's table or, when no event can raise it, here.
HTTP_ONLY = {
    "bad_request",
    "invalid_credentials",
    "account_locked",
    "csrf_failed",
    "invalid_queue",
    "queue_not_found",
    "queue_exists",
    "queue_in_use",
    "overflow_cycle",
    "duplicate_shortcut",
    "canned_reply_not_found",
}


def _app_errors() -> dict[str, type[errors.AppError]]:
    """Every AppError the application defines, by code (importing every module that may)."""
    for package in ("http", "queries", "realtime", "services"):
        prefix = f"appliance.{package}."
        for module in pkgutil.walk_packages([str(APPLIANCE / package)], prefix):
            importlib.import_module(module.name)
    found: dict[str, type[errors.AppError]] = {}
    pending: list[type[errors.AppError]] = [errors.AppError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(appliance.__name__ + "."):
            found[cls.code] = cls
    return found


def _literal_codes(folder: Path) -> set[str]:
    """Codes written out in `folder`: code="…" arguments and {"code": "…"} literals."""
    codes = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "code":
                values = [node.value]
            elif isinstance(node, ast.Dict):
                values = [
                    v for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "code"
                ]  # fmt: skip
            else:
                continue
            codes |= {v.value for v in values if isinstance(v, ast.Constant)}
    return codes


def _documented_error_codes() -> set[str]:
    return _table_names(_section(PROTOCOL.read_text(encoding="utf-8"), "### Error codes"))


def test_it_documents_every_error_code(app):
    app_errors = _app_errors()
    assert {"unauthorized", "compliance_prompt", "invalid_token"} <= set(app_errors)
    codes = set(app_errors) | _literal_codes(APPLIANCE / "realtime")
    documented = _documented_error_codes()
    assert sorted(codes - HTTP_ONLY - documented) == [], "missing from docs/protocol.md"
    assert sorted(documented - codes) == [], "documented, yet no such code"
    assert sorted(HTTP_ONLY - set(app_errors)) == [], "HTTP_ONLY names a code that is gone"
    realtime = "\n".join(
        p.read_text(encoding="utf-8") for p in (APPLIANCE / "realtime").rglob("*.py")
    )
    assert sorted(HTTP_ONLY & documented) == [], "documented for Socket.IO, yet HTTP only"
    for code in HTTP_ONLY - {errors.AppError.code}:  # the base class: realtime/ overrides it
        name = app_errors[code].__name__
        assert not re.search(rf"\b{name}\b", realtime), f"realtime/ raises {name}: not HTTP only"
