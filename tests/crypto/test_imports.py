"""crypto/ is a standalone library: it must not import the web stack, the ORM or the app.

The offline audit verifier runs with only audit/ + crypto/ and their wheels,
so an import of flask or peewee here would break an auditor's laptop.
"""

from pathlib import Path

import pytest

from tests.support import imported_roots

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
FORBIDDEN = {
    "<dynamic __import__>",
    "flask",
    "flask_socketio",
    "socketio",
    "peewee",
    "playhouse",
    "gevent",
    "ldap3",
    "audit",
    "appliance",
}
ALLOWED_THIRD_PARTY = {"cryptography", "gmssl_pyx", "gmssl"}


SOURCES = sorted(CRYPTO.rglob("*.py"))


def test_it_finds_the_sources() -> None:
    assert len(SOURCES) >= 5


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_it_imports_nothing_forbidden(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_it_imports_only_stdlib_cryptography_and_gmssl(path: Path) -> None:
    import sys

    third_party = imported_roots(path) - set(sys.stdlib_module_names) - {"crypto", "__future__"}
    assert third_party <= ALLOWED_THIRD_PARTY
