"""audit/ is a standalone library: no web stack, no ORM, no app code (ARCHITECTURE.md)."""

from __future__ import annotations

from pathlib import Path

from tests.support import imported_roots

AUDIT = Path(__file__).resolve().parents[2] / "audit"
FORBIDDEN = {
    "flask",
    "flask_socketio",
    "socketio",
    "peewee",
    "playhouse",
    "gevent",
    "ldap3",
    "appliance",
}
ALLOWED_THIRD_PARTY = {"crypto", "rfc8785", "audit"}


def test_it_finds_the_library() -> None:
    assert len(list(AUDIT.glob("*.py"))) >= 8


def test_it_imports_nothing_forbidden() -> None:
    offenders = {
        f"{path.name}: {root}"
        for path in AUDIT.rglob("*.py")
        for root in imported_roots(path)
        if root in FORBIDDEN or root.startswith("<dynamic")
    }
    assert not offenders


def test_it_needs_only_the_stdlib_crypto_and_rfc8785() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    outside = {
        root
        for path in AUDIT.rglob("*.py")
        for root in imported_roots(path)
        if root not in stdlib | ALLOWED_THIRD_PARTY
    }
    assert not outside
