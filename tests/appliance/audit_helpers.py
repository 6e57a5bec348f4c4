"""Shared by the appliance audit tests: bind an instance, write and read events."""

from __future__ import annotations

from pathlib import Path

from appliance.db import bind_database
from appliance.db import db
from appliance.models import AuditEventRow
from appliance.services.audit_access import do_record_audit_access
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import load_identity
from appliance.settings import load_settings
from audit.canonical import event_from_canonical
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import Target

AUDITOR = Actor(id="auditor:ann", role="audit_admin", ip="10.0.0.9", session_id="s-1")


def bind(instance_dir: Path) -> LogIdentity:
    settings = load_settings(instance_dir, environ={})
    bind_database(settings)
    return load_identity(settings.keys_dir)


def write_event(n: int) -> None:
    """One audited state change through a real service."""
    do_record_audit_access(
        EventType.AUDIT_SEARCHED, actor=AUDITOR, target=Target("probe", str(n)), details={"n": n}
    )


def all_events() -> list[AuditEvent]:
    with db.connection_context():
        rows = AuditEventRow.select(AuditEventRow.canonical).order_by(AuditEventRow.id)
        return [event_from_canonical(bytes(row.canonical)) for row in rows]


def actions() -> list[EventType]:
    return [event.action for event in all_events()]
