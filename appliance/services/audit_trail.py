"""Writing audit events: inside the caller's transaction, never on their own.

The event row holds the RFC 8785 canonical bytes that the Merkle log hashes,
plus copies of the searchable fields. The sequencer (services/audit_log.py)
later gives it a leaf index; writers never wait on the tree.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping

from appliance import clock
from appliance.queries._raw import execute
from appliance.services._uow import in_mutation
from appliance.services._uow import mark_audited
from audit.canonical import canonical_bytes
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Result
from audit.events import Target

_INSERT_EVENT = (
    "INSERT INTO audit_event (time_ms, actor_id, actor_role, action, target_type, target_id,"
    " result_ok, request_id, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def operator_actor() -> Actor:
    """The person running an `enclave` command: OS user on this host."""
    return Actor(id=f"os:{getpass.getuser()}@{socket.gethostname()}", role="operator")


def system_actor(name: str) -> Actor:
    """The appliance itself acting (server start, heartbeat, sequencer)."""
    return Actor(id=f"system:{name}", role="system")


def record_audit(
    action: EventType,
    *,
    actor: Actor,
    target: Target,
    ok: bool = True,
    reason: str | None = None,
    details: Mapping[str, JSONValue] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Write one audit event in the current @mutation's transaction; return it."""
    if not in_mutation():
        raise RuntimeError("record_audit() must run inside a @mutation")
    event = AuditEvent(
        time_ms=clock.now_ms(),
        actor=actor,
        action=action,
        target=target,
        result=Result(ok=ok, reason=reason),
        request_id=request_id,
        details=dict(details or {}),
    )
    # Precompiled (queries/_raw.py): one of these is written with every message.
    execute(
        _INSERT_EVENT,
        (
            event.time_ms,
            actor.id,
            actor.role,
            int(action),
            target.type,
            target.id,
            ok,
            request_id,
            canonical_bytes(event),
        ),
    )
    mark_audited()
    return event
