"""Server start and stop, settings changes, and the heartbeat, as audit events.

Settings changes are detected at start: each SERVER_STARTED event carries a
fingerprint of the effective settings, and a start whose fingerprint differs
from the previous one also records SETTINGS_CHANGED with the differences. This
catches every change, whether made with a command, an editor or an environment
variable. Secrets enter the fingerprint only as a keyed blind digest (HMAC-SM3
under the keystore's blind-index key), so a low-entropy secret cannot be guessed
from the log.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from appliance.models import AuditEventRow
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.settings import SCHEMA
from appliance.settings import SECTIONS
from appliance.settings import Settings
from appliance.settings import redact_url
from appliance.version import __version__
from audit.canonical import event_from_canonical
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target
from crypto.hashing import BlindIndex


def settings_fingerprint(settings: Settings, blind: BlindIndex) -> dict[str, JSONValue]:
    """Every setting's value, with secrets as blind digests and URL passwords removed."""
    values: dict[str, JSONValue] = {}
    for section in SECTIONS:
        for name, value in asdict(getattr(settings, section)).items():
            key = f"{section}.{name}"
            if SCHEMA[key].secret:
                values[key] = "hmac:" + blind.compute(str(value), field=f"setting:{key}").hex()[:32]
            elif key == "database.url":
                values[key] = redact_url(value)
            else:
                values[key] = value
    return values


def _previous_fingerprint() -> dict[str, Any] | None:
    row = (
        AuditEventRow.select(AuditEventRow.canonical)
        .where(AuditEventRow.action == int(EventType.SERVER_STARTED))
        .order_by(AuditEventRow.id.desc())
        .first()
    )
    if row is None:
        return None
    settings = event_from_canonical(bytes(row.canonical)).details.get("settings")
    return settings if isinstance(settings, dict) else None


@mutation
def do_record_server_start(settings: Settings, blind: BlindIndex, *, server: str) -> None:
    """Audit SERVER_STARTED, preceded by SETTINGS_CHANGED if the settings differ
    from those of the previous start."""
    current = settings_fingerprint(settings, blind)
    previous = _previous_fingerprint()
    actor = system_actor(server)
    target = Target("server", f"pid:{os.getpid()}")
    if previous is not None and previous != current:
        changed: dict[str, JSONValue] = {}
        for key in sorted(set(previous) | set(current)):
            if previous.get(key) != current.get(key):
                secret = key in SCHEMA and SCHEMA[key].secret
                changed[key] = (
                    "changed (secret)"
                    if secret
                    else {"old": previous.get(key), "new": current.get(key)}
                )
        record_audit(
            EventType.SETTINGS_CHANGED, actor=actor, target=target, details={"changed": changed}
        )
    record_audit(
        EventType.SERVER_STARTED,
        actor=actor,
        target=target,
        details={"version": __version__, "settings": current},
    )


@mutation
def do_record_server_stop(*, server: str, reason: str) -> None:
    """Audit SERVER_STOPPED (a graceful stop; a killed server leaves a heartbeat gap)."""
    record_audit(
        EventType.SERVER_STOPPED,
        actor=system_actor(server),
        target=Target("server", f"pid:{os.getpid()}"),
        details={"reason": reason},
    )


@mutation
def do_heartbeat(*, server: str, started_ms: int) -> None:
    """Audit HEARTBEAT: proof the server (and its audit capture) was alive now."""
    record_audit(
        EventType.HEARTBEAT,
        actor=system_actor(server),
        target=Target("server", f"pid:{os.getpid()}"),
        details={"started_ms": started_ms},
    )
