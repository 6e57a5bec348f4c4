"""Reading the local directory: accounts as plain values, never password hashes."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.db import db
from appliance.models import Agent


def split_names(stored: str) -> tuple[str, ...]:
    """The names in a comma-separated `roles` or `groups` column, sorted."""
    return tuple(sorted(name for name in stored.split(",") if name))


def join_names(names: frozenset[str] | set[str]) -> str:
    return ",".join(sorted(names))


@dataclass(frozen=True)
class AgentSummary:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    disabled: bool
    locked_until_ms: int | None

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms is not None and now_ms < self.locked_until_ms

    def status(self, now_ms: int) -> str:
        """One of "disabled", "locked", "active"."""
        if self.disabled:
            return "disabled"
        return "locked" if self.locked(now_ms) else "active"


def summary_of(agent: Agent) -> AgentSummary:
    return AgentSummary(
        id=agent.id,
        username=agent.username,
        display_name=agent.display_name,
        roles=split_names(agent.roles),
        groups=split_names(agent.groups),
        disabled=agent.disabled,
        locked_until_ms=agent.locked_until_ms,
    )


def list_users() -> list[AgentSummary]:
    """Every account, disabled ones included, by username."""
    with db.connection_context():
        return [summary_of(agent) for agent in Agent.select().order_by(Agent.username)]
