"""Shared by tests that need signed-in agents: a factory and the sign-in dance.

`make_agent` writes through the real service, so the database must be bound
first: depend on the `app` fixture (create_app binds it) or call
`tests.appliance.audit_helpers.bind(instance_dir)`. No app context is needed.

    def test_it_lets_an_agent_in(app, client):
        make_agent("ann", roles=("agent",))
        csrf = login(client, "ann", PASSWORD)
        client.post("/api/v1/...", headers={"X-CSRF-Token": csrf})
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from typing import Any

from appliance.services.directory import Principal
from appliance.services.directory import do_create_user
from audit.events import Actor

PASSWORD = "correct horse battery"
ADMIN = Actor(id="test:setup", role="operator")


def make_agent(
    username: str = "agent1",
    *,
    roles: Sequence[str] = ("agent",),
    groups: Sequence[str] = ("general",),
    password: str = PASSWORD,
    display_name: str | None = None,
) -> Principal:
    """Create an account through do_create_user (audited, as a test operator)."""
    return do_create_user(
        username=username,
        display_name=display_name or username.title(),
        password=password,
        roles=roles,
        groups=groups,
        actor=ADMIN,
    )


def csrf_token(client: Any) -> str:
    """The CSRF token of `client`'s session (creating the session if needed)."""
    response = client.get("/api/v1/auth/session")
    assert response.status_code == 200, response.json
    token: str = response.json["csrf_token"]
    return token


def login(client: Any, username: str = "agent1", password: str = PASSWORD) -> str:
    """Sign `client` in; return the CSRF token to send as X-CSRF-Token from now on."""
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": csrf_token(client)},
    )
    assert response.status_code == 200, response.json
    token: str = response.json["csrf_token"]
    return token


class FrozenClock:
    """appliance.clock held still; `advance` moves it. Install with `frozen_clock(monkeypatch)`."""

    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC)

    def advance(self, *, minutes: int = 0, ms: int = 0) -> None:
        self.ms += minutes * 60_000 + ms


def frozen_clock(monkeypatch: Any) -> FrozenClock:
    from appliance import clock

    frozen = FrozenClock(clock.now_ms())
    monkeypatch.setattr(clock, "now_ms", frozen.now_ms)
    monkeypatch.setattr(clock, "utcnow", frozen.utcnow)
    return frozen
