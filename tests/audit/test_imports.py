"""audit/ is a standalone library: no web stack, no ORM, no app code (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

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


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            names.add("<dynamic __import__>")
    return names


def test_it_finds_the_library() -> None:
    assert len(list(AUDIT.glob("*.py"))) >= 8


def test_it_imports_nothing_forbidden() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in AUDIT.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN or module.startswith("<dynamic")
    }
    assert not offenders


def test_it_needs_only_the_stdlib_crypto_and_rfc8785() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    outside = {
        module
        for path in AUDIT.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] not in stdlib | ALLOWED_THIRD_PARTY
    }
    assert not outside
