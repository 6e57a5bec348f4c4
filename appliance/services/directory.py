"""The local directory: accounts, their roles and groups, and who a session belongs to.

Every change (create, disable, password reset, role change) is one @mutation
with its audit event. Passwords are hashed before the transaction opens
(Argon2id is slow on purpose) and never reach an audit event or a log line.

A signed-in session (Flask's signed cookie, or the Socket.IO handshake that
shares it) holds {"uid", "epoch", "last_seen_ms", "sid"}; the HTTP layer adds
"csrf". It is valid while the account exists, is enabled, still has that
`session_epoch`, and was active within security.session_idle_minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import MutableMapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import Agent
from appliance.permissions import Permission
from appliance.permissions import permissions_for
from appliance.queries.directory import AgentSummary
from appliance.queries.directory import join_names
from appliance.queries.directory import list_users
from appliance.queries.directory import split_names
from appliance.services._directory_rules import check_display_name
from appliance.services._directory_rules import check_groups
from appliance.services._directory_rules import check_password
from appliance.services._directory_rules import check_roles
from appliance.services._directory_rules import check_username
from appliance.services._passwords import hash_password
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.settings import SecuritySettings
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target

__all__ = [
    "AgentSummary",
    "Principal",
    "do_change_roles",
    "do_create_user",
    "do_disable_user",
    "do_record_access_denied",
    "do_reset_password",
    "get_principal",
    "list_users",
    "principal_from_session",
]

# The session keys this module owns; the HTTP layer's "csrf" outlives them.
SESSION_KEYS = ("uid", "epoch", "last_seen_ms", "sid")


@dataclass(frozen=True)
class Principal:
    """An authenticated account as transports see it: who, and what they may do."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    groups: frozenset[str]
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission is Permission.PUBLIC or permission in self.permissions

    def actor(self, *, ip: str | None = None, session_id: str | None = None) -> Actor:
        """This account as the actor of an audit event."""
        return Actor(
            id=f"agent:{self.id}", role=",".join(sorted(self.roles)), ip=ip, session_id=session_id
        )


def principal_of(agent: Agent) -> Principal:
    roles = frozenset(split_names(agent.roles))
    return Principal(
        id=agent.id,
        username=agent.username,
        display_name=agent.display_name,
        roles=roles,
        groups=frozenset(split_names(agent.groups)),
        permissions=permissions_for(roles),
    )


def user_target(agent: Agent) -> Target:
    return Target("user", f"agent:{agent.id}")


# --- changes ---------------------------------------------------------------------------


def do_create_user(
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Sequence[str],
    groups: Sequence[str] = ("general",),
    actor: Actor,
) -> Principal:
    """Create an enabled account; audits USER_CREATED. Conflict if the username is taken."""
    name = check_username(username)
    shown = check_display_name(display_name)
    check_password(password)
    return _insert_agent(
        username=name,
        display_name=shown,
        password_hash=hash_password(password),
        roles=check_roles(roles),
        groups=check_groups(groups),
        actor=actor,
    )


@mutation
def _insert_agent(
    *,
    username: str,
    display_name: str,
    password_hash: str,
    roles: frozenset[str],
    groups: frozenset[str],
    actor: Actor,
) -> Principal:
    taken = errors.Conflict(f"username {username!r} is already taken")
    if Agent.select().where(Agent.username == username).exists():
        raise taken
    try:
        with db.atomic():  # a savepoint: a concurrent insert loses cleanly
            agent = Agent.create(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                roles=join_names(roles),
                groups=join_names(groups),
                created_ms=clock.now_ms(),
            )
    except IntegrityError:
        raise taken from None
    record_audit(
        EventType.USER_CREATED,
        actor=actor,
        target=user_target(agent),
        details={"username": username, "roles": _json_names(roles), "groups": _json_names(groups)},
    )
    return principal_of(agent)


@mutation
def do_disable_user(*, username: str, actor: Actor) -> None:
    """Disable an account and end its sessions; audits USER_DISABLED."""
    agent = _agent_for_update(username)
    if agent.disabled:
        raise errors.Conflict(f"user {agent.username!r} is already disabled")
    _bump_epoch(agent, disabled=True)
    record_audit(
        EventType.USER_DISABLED,
        actor=actor,
        target=user_target(agent),
        details={"username": agent.username, "sessions_revoked": True},
    )


def do_reset_password(*, username: str, password: str, actor: Actor) -> None:
    """Set a new password, end every session and lift any lockout; audits PASSWORD_RESET."""
    check_password(password)
    _store_password(
        username=check_username(username), password_hash=hash_password(password), actor=actor
    )


@mutation
def _store_password(*, username: str, password_hash: str, actor: Actor) -> None:
    agent = _agent_for_update(username)
    was_locked = agent.locked_until_ms is not None and clock.now_ms() < agent.locked_until_ms
    _bump_epoch(agent, password_hash=password_hash, failed_logins=0, locked_until_ms=None)
    record_audit(
        EventType.PASSWORD_RESET,
        actor=actor,
        target=user_target(agent),
        details={"username": agent.username, "sessions_revoked": True, "unlocked": was_locked},
    )


@mutation
def do_change_roles(
    *,
    username: str,
    roles: Sequence[str],
    groups: Sequence[str] | None = None,
    actor: Actor,
) -> Principal:
    """Replace an account's roles (and groups, if given); audits ROLE_CHANGED.

    Sessions stay open: every request reads the account afresh, so the new
    permissions apply from the next one.
    """
    new_roles = check_roles(roles)
    new_groups = None if groups is None else check_groups(groups)
    agent = _agent_for_update(username)
    old_roles, old_groups = split_names(agent.roles), split_names(agent.groups)
    changes: dict[Any, Any] = {Agent.roles: join_names(new_roles)}
    if new_groups is not None:
        changes[Agent.groups] = join_names(new_groups)
    Agent.update(changes).where(Agent.id == agent.id).execute()
    agent = Agent.get_by_id(agent.id)
    record_audit(
        EventType.ROLE_CHANGED,
        actor=actor,
        target=user_target(agent),
        details={
            "username": agent.username,
            "roles": {"from": _json_names(old_roles), "to": _json_names(split_names(agent.roles))},
            "groups": {
                "from": _json_names(old_groups),
                "to": _json_names(split_names(agent.groups)),
            },
        },
    )
    return principal_of(agent)


@mutation
def do_record_access_denied(actor: Actor, *, resource: str, permission: Permission) -> None:
    """Audit ACCESS_DENIED: an authenticated caller lacked `permission` for `resource`."""
    record_audit(
        EventType.ACCESS_DENIED,
        actor=actor,
        target=Target("resource", resource),
        ok=False,
        reason=f"requires {permission.value}",
    )


def _json_names(names: Iterable[str]) -> list[JSONValue]:
    return list(sorted(names))


def _agent_for_update(username: str) -> Agent:
    agent = Agent.get_or_none(Agent.username == check_username(username))
    if agent is None:
        raise errors.NotFound(f"no user named {username!r}")
    return agent


def _bump_epoch(agent: Agent, **changes: Any) -> None:
    """Apply `changes` and end every session of `agent` in one UPDATE."""
    fields = {getattr(Agent, name): value for name, value in changes.items()}
    fields[Agent.session_epoch] = Agent.session_epoch + 1
    Agent.update(fields).where(Agent.id == agent.id).execute()


# --- sessions --------------------------------------------------------------------------


def get_principal(user_id: int) -> Principal | None:
    """The account `user_id`, or None if there is none or it is disabled."""
    with db.connection_context():
        agent = Agent.get_or_none(Agent.id == user_id)
    if agent is None or agent.disabled:
        return None
    return principal_of(agent)


def open_session(
    session: MutableMapping[str, Any], principal: Principal, *, epoch: int, sid: str
) -> None:
    """Mark `session` as signed in to `principal` (after a successful login)."""
    session.update(
        {"uid": principal.id, "epoch": epoch, "last_seen_ms": clock.now_ms(), "sid": sid}
    )


def end_session(session: MutableMapping[str, Any]) -> None:
    """Forget who `session` belonged to."""
    for key in SESSION_KEYS:
        session.pop(key, None)


def principal_from_session(
    session: MutableMapping[str, Any], *, policy: SecuritySettings | None = None
) -> Principal:
    """The account signed in to `session`; refreshes its last_seen_ms.

    Raises errors.Unauthorized when nobody is signed in, errors.SessionExpired
    (and forgets the sign-in) when the session idled too long, the account was
    disabled, or its sessions were revoked. `policy` defaults to the running
    app's security settings.
    """
    uid = session.get("uid")
    if not isinstance(uid, int):
        raise errors.Unauthorized("Sign in first")
    idle_ms = (policy or _current_policy()).session_idle_minutes * 60_000
    now = clock.now_ms()
    last_seen = session.get("last_seen_ms")
    if not isinstance(last_seen, int) or now - last_seen > idle_ms:
        end_session(session)
        raise errors.SessionExpired("The session timed out; sign in again")
    with db.connection_context():
        agent = Agent.get_or_none(Agent.id == uid)
    if agent is None or agent.disabled or agent.session_epoch != session.get("epoch"):
        end_session(session)
        raise errors.SessionExpired("The session has ended; sign in again")
    session["last_seen_ms"] = now
    return principal_of(agent)


def _current_policy() -> SecuritySettings:
    from appliance.runtime import current_runtime

    return current_runtime().settings.security
