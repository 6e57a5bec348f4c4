"""The audit catalogue and the audit event record.

Codes are permanent: a code is never renumbered and never reused, even after
its event is retired (retired codes stay in the enum, documented as such),
because signed checkpoints and exported bundles hold them forever. Codes are
grouped by domain in ranges of 100. Every member must be described in
docs/audit.md (tests/audit/test_docs.py fails otherwise).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import TypeAlias

from audit.errors import EventFormatError


class EventType(enum.IntEnum):
    """What happened. The integer is what is hashed and signed."""

    # 1xx instance and system
    INSTANCE_INITIALIZED = 101
    SERVER_STARTED = 102
    SERVER_STOPPED = 103
    HEARTBEAT = 104
    SETTINGS_CHANGED = 105
    MIGRATION_APPLIED = 106
    SELFTEST_FAILED = 107
    AUDIT_PAUSED = 108
    AUDIT_RESUMED = 109

    # 2xx keys
    DATA_KEY_CREATED = 201
    DATA_KEY_ROTATED = 202
    DATA_KEY_DESTROYED = 203
    DATA_REENCRYPTED = 204
    SIGNING_KEY_CREATED = 205
    SIGNING_KEY_RETIRED = 206

    # 3xx identity and access
    LOGIN_SUCCEEDED = 301
    LOGIN_FAILED = 302
    LOGOUT = 303
    ACCOUNT_LOCKED = 304
    USER_CREATED = 305
    USER_DISABLED = 306
    PASSWORD_RESET = 307
    ROLE_CHANGED = 308
    ACCESS_DENIED = 309
    SESSION_REVOKED = 310

    # 4xx the audit log itself
    AUDIT_SEARCHED = 401
    AUDIT_EXPORTED = 402
    AUDIT_VERIFIED = 403
    CHECKPOINT_SIGNED = 404

    # 5xx conversations
    CONVERSATION_STARTED = 501
    MESSAGE_POSTED = 502
    CONVERSATION_ASSIGNED = 503
    CONVERSATION_TRANSFERRED = 504
    CONVERSATION_CLOSED = 505
    PII_REVEALED = 506
    ATTACHMENT_DOWNLOADED = 507
    TRANSCRIPT_EXPORTED = 508
    MESSAGES_READ = 509
    SURVEY_SUBMITTED = 510
    COMPLIANCE_PROMPT_CONFIRMED = 511  # an agent sent a reply the compliance prompt flagged
    CUSTOMER_HISTORY_VIEWED = 512
    CANNED_REPLY_CHANGED = 513

    # 6xx routing
    ROUTING_RULE_CHANGED = 601
    AGENT_STATUS_CHANGED = 602
    QUEUE_OVERFLOWED = 603
    AGENT_SKILLS_CHANGED = 604
    CONVERSATION_OFFERED = 605
    OFFER_DECLINED = 606
    CONVERSATION_REQUEUED = 607
    MESSAGE_LEFT = 608

    # 7xx tickets
    TICKET_CREATED = 701
    TICKET_UPDATED = 702
    TICKET_ASSIGNED = 703
    TICKET_CLOSED = 704
    # 705-709 reserved for ticket SLA events (breach, escalation).

    # 8xx data lifecycle
    RETENTION_PURGED = 801
    BACKUP_CREATED = 802
    BACKUP_RESTORED = 803
    # 9xx reserved for integrations (LDAP sync, webhooks, syslog forwarding).


# What `details` may hold: JSON without floats, so the canonical bytes of an
# event have exactly one spelling (RFC 8785 number formatting never enters).
JSONValue: TypeAlias = "bool | int | str | list[JSONValue] | dict[str, JSONValue] | None"

# I-JSON / RFC 8785: integers beyond 2**53 - 1 do not survive a double.
MAX_SAFE_INTEGER = 2**53 - 1


def check_json(value: object, where: str = "details") -> JSONValue:
    """Return a plain-dict/list deep copy of `value`, or raise EventFormatError.

    Tuples are refused rather than converted: a tuple would come back as a
    list after a round trip, and the record would no longer compare equal.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise EventFormatError(f"{where}: integer {value} outside ±(2**53 - 1)")
        return value
    if isinstance(value, float):
        raise EventFormatError(f"{where}: floats are not allowed (use an int or a string)")
    if isinstance(value, list):
        return [check_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        copy: dict[str, JSONValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventFormatError(f"{where}: key {key!r} is not a string")
            copy[key] = check_json(item, f"{where}.{key}")
        return copy
    raise EventFormatError(f"{where}: {type(value).__name__} is not a JSON value")


def _check_str(value: object, name: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise EventFormatError(f"{name} must be a string")


@dataclass(frozen=True)
class Actor:
    """Who acted: a user, a visitor or a system component ("system", "sequencer")."""

    id: str
    role: str
    ip: str | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        _check_str(self.id, "actor.id")
        _check_str(self.role, "actor.role")
        _check_str(self.ip, "actor.ip", optional=True)
        _check_str(self.session_id, "actor.session_id", optional=True)


@dataclass(frozen=True)
class Target:
    """What was acted on: a type ("conversation", "user", "key") and its id."""

    type: str
    id: str

    def __post_init__(self) -> None:
        _check_str(self.type, "target.type")
        _check_str(self.id, "target.id")


@dataclass(frozen=True)
class Result:
    """Whether it succeeded, and why not (等保 8.1.4.3 b, PCI DSS 10.2.2)."""

    ok: bool
    reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.ok, bool):
            raise EventFormatError("result.ok must be a bool")
        _check_str(self.reason, "result.reason", optional=True)


# The latest time RFC 3339 with a four-digit year can spell: 9999-12-31T23:59:59.999Z.
MAX_TIME_MS = 253_402_300_799_999


@dataclass(frozen=True)
class AuditEvent:
    """One audit record: who did what to which object, when, from where, with what result."""

    time_ms: int
    actor: Actor
    action: EventType
    target: Target
    result: Result
    request_id: str | None = None
    details: Mapping[str, JSONValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if type(self.time_ms) is not int or not 0 <= self.time_ms <= MAX_TIME_MS:
            raise EventFormatError("time_ms must be an int of UTC epoch milliseconds")
        if not isinstance(self.actor, Actor) or not isinstance(self.target, Target):
            raise EventFormatError("actor and target must be Actor and Target")
        if not isinstance(self.result, Result):
            raise EventFormatError("result must be a Result")
        if not isinstance(self.action, EventType):
            raise EventFormatError(f"action must be an EventType, not {self.action!r}")
        _check_str(self.request_id, "request_id", optional=True)
        if not isinstance(self.details, Mapping):
            raise EventFormatError("details must be a mapping")
        # Frozen: keep a private, validated copy so later changes to the
        # caller's dict cannot change what this record hashes to.
        object.__setattr__(self, "details", check_json(self.details))
