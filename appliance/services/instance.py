"""Recording the birth of an instance: its row, its log identity, and the audit events."""

from __future__ import annotations

from collections.abc import Sequence

from appliance import clock
from appliance.models import AuditMeta
from appliance.models import Instance
from appliance.services._uow import mutation
from appliance.services.audit_trail import operator_actor
from appliance.services.audit_trail import record_audit
from appliance.version import __version__
from audit.events import EventType
from audit.events import Target
from crypto.signing import Signer


@mutation
def do_record_instance(
    *,
    instance_id: str,
    origin: str,
    hash_name: str,
    cipher: str,
    kek_source: str,
    data_key_id: int,
    signers: Sequence[Signer],
    migrations: Sequence[str],
) -> None:
    """Write the instance and audit_meta rows and the events of `enclave init`.

    Audits INSTANCE_INITIALIZED, MIGRATION_APPLIED per migration, DATA_KEY_CREATED
    and SIGNING_KEY_CREATED per checkpoint key.
    """
    now = clock.utcnow().isoformat(timespec="milliseconds")
    Instance.create(id=1, instance_id=instance_id, created_at=now, created_by_version=__version__)
    AuditMeta.create(id=1, origin=origin, hash_name=hash_name, created_at=now)
    actor = operator_actor()
    record_audit(
        EventType.INSTANCE_INITIALIZED,
        actor=actor,
        target=Target("instance", instance_id),
        details={
            "version": __version__,
            "cipher": cipher,
            "kek_source": kek_source,
            "audit_hash": hash_name,
            "origin": origin,
        },
    )
    for name in migrations:
        record_audit(EventType.MIGRATION_APPLIED, actor=actor, target=Target("migration", name))
    record_audit(
        EventType.DATA_KEY_CREATED,
        actor=actor,
        target=Target("data_key", str(data_key_id)),
        details={"algorithm": cipher},
    )
    for signer in signers:
        verifier = signer.verifier()
        record_audit(
            EventType.SIGNING_KEY_CREATED,
            actor=actor,
            target=Target("signing_key", verifier.key_id()),
            details={"algorithm": signer.algorithm, "purpose": "audit checkpoints"},
        )


@mutation
def do_record_migrations(names: Sequence[str]) -> None:
    """Audit MIGRATION_APPLIED for each migration `enclave migrate` applied."""
    actor = operator_actor()
    for name in names:
        record_audit(EventType.MIGRATION_APPLIED, actor=actor, target=Target("migration", name))
