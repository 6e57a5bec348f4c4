"""Reading, exporting and verifying the audit trail; each access is itself audited
(PCI DSS 10.2.1.3: all access to audit logs)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from appliance import clock
from appliance.db import db
from appliance.queries.audit import AuditFilter
from appliance.queries.audit import FoundEvent
from appliance.queries.audit import leaf_indexes_matching
from appliance.queries.audit import search_events
from appliance.queries.audit import unsequenced_before
from appliance.services._uow import mutation
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import open_log
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_log import sign_checkpoint_if_grown
from appliance.services.audit_trail import record_audit
from audit.bundle import write_bundle
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target
from audit.integrity import Failure
from audit.integrity import VerificationReport


class NothingToExport(Exception):
    """No sequenced event matches the export's filters."""


@mutation
def do_record_audit_access(
    action: EventType,
    *,
    actor: Actor,
    target: Target,
    details: dict[str, JSONValue],
    ok: bool = True,
    reason: str | None = None,
) -> None:
    """Audit one access to the audit trail (search, export, verification, checkpoint)."""
    record_audit(action, actor=actor, target=target, details=details, ok=ok, reason=reason)


def check_search(selection: AuditFilter, *, limit: int, actor: Actor) -> list[FoundEvent]:
    """Search the trail and audit the search (AUDIT_SEARCHED, with the filters and count)."""
    with db.connection_context():
        found = search_events(selection, limit)
    do_record_audit_access(
        EventType.AUDIT_SEARCHED,
        actor=actor,
        target=Target("audit_log", "search"),
        details={"filter": selection.describe(), "limit": limit, "returned": len(found)},
    )
    return found


@dataclass(frozen=True)
class ExportResult:
    path: Path
    events: int
    sha256: str


def check_export(
    identity: LogIdentity, selection: AuditFilter, out: Path, *, actor: Actor
) -> ExportResult:
    """Write a signed, self-proving bundle of the matching events; audit AUDIT_EXPORTED.

    Pending events are sequenced and a checkpoint signed first, so the bundle
    covers everything committed before the export began.
    """
    sequence_pending(identity)
    sign_checkpoint_if_grown(identity)
    with db.connection_context():
        indexes = leaf_indexes_matching(selection)
        if not indexes:
            failure = "no audit events match the filters"
            do_record_audit_access(
                EventType.AUDIT_EXPORTED,
                actor=actor,
                target=Target("audit_log", "export"),
                details={"filter": selection.describe()},
                ok=False,
                reason=failure,
            )
            raise NothingToExport(failure)
        write_bundle(
            open_log(identity),
            indexes,
            out,
            identity.signers,
            identity.origin,
            created_ms=clock.now_ms(),
        )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    do_record_audit_access(
        EventType.AUDIT_EXPORTED,
        actor=actor,
        target=Target("audit_bundle", digest),
        details={
            "filter": selection.describe(),
            "events": len(indexes),
            "file": out.name,
            "first_leaf": indexes[0],
            "last_leaf": indexes[-1],
        },
    )
    sequence_pending(identity)
    return ExportResult(out, len(indexes), digest)


# An event still without a leaf this long after it was recorded, once the sequencer
# has just run, was left out of the tree: no business transaction stays open so long.
UNSEQUENCED_GRACE_MS = 60_000


def check_verify(identity: LogIdentity, *, actor: Actor) -> VerificationReport:
    """Recheck the whole live log, and that no recorded event was left out of it;
    audit AUDIT_VERIFIED with the outcome."""
    started_ms = clock.now_ms()
    sequence_pending(identity)
    with db.connection_context():
        report = open_log(identity).verify_all(identity.verifiers)
        left_out, first = unsequenced_before(started_ms - UNSEQUENCED_GRACE_MS)
    if report.ok and left_out:
        # One that committed late (a long transaction) since the sequencer ran gets its
        # leaf now; what is still in none is kept out of the tree.
        sequence_pending(identity)
        with db.connection_context():
            left_out, first = unsequenced_before(started_ms - UNSEQUENCED_GRACE_MS)
    if report.ok and left_out:
        reason = (
            f"{left_out} event(s) recorded over {UNSEQUENCED_GRACE_MS // 1000} s ago are in"
            f" no leaf (lowest event id {first}): kept out of the tree"
        )
        report = dataclasses.replace(report, failure=Failure("storage", reason))
    do_record_audit_access(
        EventType.AUDIT_VERIFIED,
        actor=actor,
        target=Target("audit_log", identity.origin),
        details={"size": report.size, "checkpoints": report.checkpoints_checked},
        ok=report.ok,
        reason=None if report.failure is None else str(report.failure),
    )
    return report


def check_checkpoint(identity: LogIdentity, *, actor: Actor) -> tuple[int, bool]:
    """Sequence and sign a checkpoint now (if the log grew); audit CHECKPOINT_SIGNED.

    Returns (tree size, whether a new checkpoint was signed).
    """
    sequence_pending(identity)
    checkpoint = sign_checkpoint_if_grown(identity)
    with db.connection_context():
        latest = open_log(identity).latest_checkpoint()
    size = 0 if latest is None else latest.size
    do_record_audit_access(
        EventType.CHECKPOINT_SIGNED,
        actor=actor,
        target=Target("audit_log", identity.origin),
        details={"size": size, "new": checkpoint is not None},
    )
    return size, checkpoint is not None
