"""Signing in and out, with lockout after repeated failures.

A failed attempt must be audited *and committed* while the caller is refused,
so `do_login` never raises for a refusal: it returns a LoginResult and the
transport turns it into its error. Every path runs exactly one @mutation.

The password is verified before that transaction opens (Argon2id takes tens of
milliseconds; holding a SQLite write lock or a PostgreSQL row lock that long
would serialise every sign-in). The transaction then settles the attempt with
conditional UPDATEs, so parallel guesses cannot slip past the failure counter,
and a password reset or a lock that lands in between wins over the stale check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from peewee import Expression

from appliance import clock
from appliance.db import db
from appliance.models import Agent
from appliance.services._directory_rules import NAME
from appliance.services._passwords import burn_verification
from appliance.services._passwords import hash_password
from appliance.services._passwords import needs_rehash
from appliance.services._passwords import verify_password
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.directory import Principal
from appliance.services.directory import principal_of
from appliance.services.directory import user_target
from appliance.settings import SecuritySettings
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target


class LoginOutcome(enum.Enum):
    SIGNED_IN = "signed_in"
    INVALID = "invalid_credentials"  # unknown user, wrong password or disabled: one answer
    LOCKED = "account_locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    principal: Principal | None = None
    session_epoch: int = 0
    locked_until_ms: int | None = None


def anonymous_actor(ip: str | None) -> Actor:
    """Whoever is trying to sign in: not authenticated yet."""
    return Actor(id="anonymous", role="anonymous", ip=ip)


def do_login(
    *,
    username: str,
    password: str,
    policy: SecuritySettings,
    ip: str | None = None,
    session_id: str | None = None,
) -> LoginResult:
    """Check a sign-in attempt; audit LOGIN_SUCCEEDED or LOGIN_FAILED (and ACCOUNT_LOCKED)."""
    name = username.strip().lower()
    with db.connection_context():
        agent = Agent.get_or_none(Agent.username == name) if NAME.fullmatch(name) else None
    if agent is None:
        burn_verification(password)
        # The attempted name is audited only if it could be a username: a
        # password typed into the wrong field must not land in the trail.
        known_shape = NAME.fullmatch(name) is not None
        target = Target("user", f"username:{name}" if known_shape else "username:(invalid)")
        return _refuse(
            target, "unknown user", ip, LoginOutcome.INVALID, username=name if known_shape else None
        )
    if agent.disabled:
        burn_verification(password)
        return _refuse(
            user_target(agent),
            "account disabled",
            ip,
            LoginOutcome.INVALID,
            username=agent.username,
        )
    if _locked(agent, clock.now_ms()):
        return _refuse(
            user_target(agent),
            "account locked",
            ip,
            LoginOutcome.LOCKED,
            username=agent.username,
            locked_until_ms=agent.locked_until_ms,
        )
    if not verify_password(agent.password_hash, password):
        return _settle_failure(agent.id, policy=policy, ip=ip)
    rehashed = hash_password(password) if needs_rehash(agent.password_hash) else None
    return _settle_success(
        agent.id, agent.password_hash, rehashed=rehashed, ip=ip, session_id=session_id
    )


@mutation
def do_logout(
    principal: Principal,
    *,
    everywhere: bool = False,
    ip: str | None = None,
    session_id: str | None = None,
) -> None:
    """Audit LOGOUT; with `everywhere`, also end every other session (SESSION_REVOKED)."""
    actor = principal.actor(ip=ip, session_id=session_id)
    target = Target("user", f"agent:{principal.id}")
    details: dict[str, JSONValue] = {"username": principal.username, "everywhere": everywhere}
    record_audit(EventType.LOGOUT, actor=actor, target=target, details=details)
    if everywhere:
        Agent.update({Agent.session_epoch: Agent.session_epoch + 1}).where(
            Agent.id == principal.id
        ).execute()
        record_audit(EventType.SESSION_REVOKED, actor=actor, target=target, details=details)


def _locked(agent: Agent, now_ms: int) -> bool:
    return agent.locked_until_ms is not None and now_ms < agent.locked_until_ms


@mutation
def _refuse(
    target: Target,
    reason: str,
    ip: str | None,
    outcome: LoginOutcome,
    *,
    username: str | None,
    locked_until_ms: int | None = None,
) -> LoginResult:
    record_audit(
        EventType.LOGIN_FAILED,
        actor=anonymous_actor(ip),
        target=target,
        ok=False,
        reason=reason,
        details={} if username is None else {"username": username},
    )
    return LoginResult(outcome, locked_until_ms=locked_until_ms)


@mutation
def _settle_failure(agent_id: int, *, policy: SecuritySettings, ip: str | None) -> LoginResult:
    now = clock.now_ms()
    # The UPDATE comes first: it takes the write lock (SQLite) or row lock
    # (PostgreSQL), so concurrent failures count one after another.
    counted = (
        Agent.update({Agent.failed_logins: Agent.failed_logins + 1})
        .where((Agent.id == agent_id) & _not_locked(now))
        .execute()
    )
    agent = Agent.get_by_id(agent_id)
    target, actor = user_target(agent), anonymous_actor(ip)
    details = {"username": agent.username}
    if not counted:  # locked by a parallel attempt since we looked
        record_audit(
            EventType.LOGIN_FAILED,
            actor=actor,
            target=target,
            ok=False,
            reason="account locked",
            details=details,
        )
        return LoginResult(LoginOutcome.LOCKED, locked_until_ms=agent.locked_until_ms)
    record_audit(
        EventType.LOGIN_FAILED,
        actor=actor,
        target=target,
        ok=False,
        reason="wrong password",
        details={**details, "consecutive_failures": agent.failed_logins},
    )
    if agent.failed_logins < policy.lockout_threshold:
        return LoginResult(LoginOutcome.INVALID)
    until = now + policy.lockout_minutes * 60_000
    # The counter restarts, so an account whose lock ran out gets a full set of attempts.
    Agent.update({Agent.failed_logins: 0, Agent.locked_until_ms: until}).where(
        Agent.id == agent_id
    ).execute()
    record_audit(
        EventType.ACCOUNT_LOCKED,
        actor=actor,
        target=target,
        reason=f"{agent.failed_logins} consecutive failed sign-ins",
        details={**details, "locked_until_ms": until, "minutes": policy.lockout_minutes},
    )
    return LoginResult(LoginOutcome.LOCKED, locked_until_ms=until)


@mutation
def _settle_success(
    agent_id: int,
    verified_hash: str,
    *,
    rehashed: str | None,
    ip: str | None,
    session_id: str | None,
) -> LoginResult:
    now = clock.now_ms()
    changes: dict[Any, Any] = {Agent.failed_logins: 0, Agent.locked_until_ms: None}
    if rehashed is not None:
        changes[Agent.password_hash] = rehashed
    settled = (
        Agent.update(changes)
        .where(
            (Agent.id == agent_id)
            & (Agent.password_hash == verified_hash)  # not reset since we checked
            & (Agent.disabled == False)  # noqa: E712 - a SQL expression
            & _not_locked(now)
        )
        .execute()
    )
    agent = Agent.get_by_id(agent_id)
    if not settled:
        locked = _locked(agent, now)
        reason = "account locked" if locked else "account changed during sign-in"
        record_audit(
            EventType.LOGIN_FAILED,
            actor=anonymous_actor(ip),
            target=user_target(agent),
            ok=False,
            reason=reason,
            details={"username": agent.username},
        )
        if locked:
            return LoginResult(LoginOutcome.LOCKED, locked_until_ms=agent.locked_until_ms)
        return LoginResult(LoginOutcome.INVALID)
    principal = principal_of(agent)
    record_audit(
        EventType.LOGIN_SUCCEEDED,
        actor=principal.actor(ip=ip, session_id=session_id),
        target=user_target(agent),
        details={"username": agent.username, "rehashed": rehashed is not None},
    )
    return LoginResult(
        LoginOutcome.SIGNED_IN, principal=principal, session_epoch=agent.session_epoch
    )


def _not_locked(now_ms: int) -> Expression:
    return Agent.locked_until_ms.is_null() | (Agent.locked_until_ms <= now_ms)
