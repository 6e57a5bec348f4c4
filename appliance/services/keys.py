"""Data-key lifecycle: rotation and crypto-shredding, each audited.

The keystore is a file and the audit event a row, so they cannot share one
transaction. Inside the transaction the keystore is changed first and the event
written second, so the event states what really happened (the key id the
keystore assigned); if the keystore change fails nothing is recorded here and
the caller audits the refusal. Only a crash between the keystore write and the
commit could leave a change without its event; the next `enclave keys list`
against `enclave audit search --action DATA_KEY_ROTATED` shows it.
"""

from __future__ import annotations

from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from audit.events import Actor
from audit.events import EventType
from audit.events import Target
from crypto.aead import Algorithm
from crypto.keyring import KeyRing


@mutation
def do_rotate_data_key(keyring: KeyRing, algorithm: Algorithm, *, actor: Actor) -> int:
    """Make a new current data key; audits DATA_KEY_ROTATED. Returns its id."""
    previous = keyring.current_key_id
    key_id = keyring.rotate(algorithm)
    record_audit(
        EventType.DATA_KEY_ROTATED,
        actor=actor,
        target=Target("data_key", str(key_id)),
        details={"algorithm": algorithm.label, "previous_key_id": previous},
    )
    return key_id


@mutation
def do_destroy_data_key(keyring: KeyRing, key_id: int, *, actor: Actor) -> None:
    """Crypto-shred a retired data key; audits DATA_KEY_DESTROYED."""
    keyring.destroy(key_id)
    record_audit(EventType.DATA_KEY_DESTROYED, actor=actor, target=Target("data_key", str(key_id)))


@mutation
def do_record_refusal(action: EventType, target: Target, reason: str, *, actor: Actor) -> None:
    """Audit a state change that was attempted and refused (result: failure)."""
    record_audit(action, actor=actor, target=target, ok=False, reason=reason)
