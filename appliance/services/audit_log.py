"""The instance's Merkle log: signing keys, the sequencer step, checkpoints.

`sequence_pending` and `sign_checkpoint_if_grown` are the two steps the
background job repeats (appliance/jobs.py); commands call them directly so a
CLI-only instance's events are integrated too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peewee import Database

from appliance import clock
from appliance.db import db
from appliance.models import AuditMeta
from appliance.services.audit_store import DatabaseLogStorage
from appliance.services.audit_store import sequencer_transaction
from audit.checkpoint import Checkpoint
from audit.log import MerkleLog
from crypto.signing import Signer
from crypto.signing import Verifier
from crypto.signing import generate_signer
from crypto.signing import load_signer_pem

# Checkpoints are signed with both: SM2 for 密评, Ed25519 for everyone else.
SIGNING_KEY_FILES = {"sm2": "audit-sm2.pem", "ed25519": "audit-ed25519.pem"}
BATCH = 1000


class AuditKeyError(Exception):
    """The checkpoint signing keys are missing or unreadable."""


@dataclass(frozen=True)
class LogIdentity:
    """What names and signs this instance's log."""

    origin: str
    hash_name: str
    signers: tuple[Signer, ...]

    @property
    def verifiers(self) -> tuple[Verifier, ...]:
        return tuple(signer.verifier() for signer in self.signers)


def origin_for(instance_id: str) -> str:
    """The checkpoint origin line: unique to this instance, stable for its lifetime."""
    return f"enclave-desk/audit/{instance_id}"


def create_signing_keys(keys_dir: Path) -> tuple[Signer, ...]:
    """Generate the SM2 and Ed25519 checkpoint keys as 0600 PEM files."""
    import os

    signers = []
    for algorithm, name in SIGNING_KEY_FILES.items():
        signer = generate_signer(algorithm)
        fd = os.open(keys_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(signer.private_key_pem())
        signers.append(signer)
    return tuple(signers)


def load_signing_keys(keys_dir: Path) -> tuple[Signer, ...]:
    signers = []
    for name in SIGNING_KEY_FILES.values():
        try:
            signers.append(load_signer_pem((keys_dir / name).read_bytes()))
        except OSError as exc:
            raise AuditKeyError(
                f"cannot read checkpoint key {keys_dir / name}: {exc.strerror}"
            ) from None
    return tuple(signers)


def load_identity(keys_dir: Path) -> LogIdentity:
    """The log identity of the bound database's instance."""
    with db.connection_context():
        meta = AuditMeta.get_or_none(AuditMeta.id == 1)
    if meta is None:
        raise AuditKeyError("the audit log was never initialized (no audit_meta row)")
    return LogIdentity(meta.origin, meta.hash_name, load_signing_keys(keys_dir))


def open_log(identity: LogIdentity) -> MerkleLog:
    return MerkleLog(DatabaseLogStorage(), identity.hash_name)


def sequence_pending(identity: LogIdentity, database: Database | None = None) -> int:
    """Give every pending audit event a leaf index; return how many were sequenced."""
    total = 0
    while True:
        done = sequence_some(identity, BATCH, database)
        total += done
        if done < BATCH:
            return total


def sequence_some(identity: LogIdentity, limit: int, database: Database | None = None) -> int:
    """Sequence at most `limit` pending audit events in one transaction; return how many."""
    database = database or db.obj
    log = open_log(identity)
    with db.connection_context(), sequencer_transaction(database):
        return len(log.sequence(limit))


def sign_checkpoint_if_grown(
    identity: LogIdentity, database: Database | None = None, *, force: bool = False
) -> Checkpoint | None:
    """Sign a checkpoint if the tree grew since the last one (or `force`); else None."""
    database = database or db.obj
    log = open_log(identity)
    with db.connection_context(), sequencer_transaction(database):
        latest = log.latest_checkpoint()
        if not force and latest is not None and latest.size == log.size:
            return None
        return log.sign_checkpoint(identity.signers, identity.origin, clock.now_ms())
