"""Enclave Desk's tamper-evident audit log: a standalone library (docs/audit.md).

An RFC 9162 Merkle tree over RFC 8785 canonical event records, C2SP signed-note
checkpoints dual-signed with SM2 and Ed25519, inclusion and consistency proofs,
export bundles and an offline verifier (`enclave-audit-verify`, `audit.verify`).
It imports the standard library, `crypto` and `rfc8785` only: no web stack, no
ORM, no app code, so an auditor can run the verifier on a laptop.

The most used names are re-exported here; `audit.verify` is deliberately not
(so that `python -m audit.verify` runs it fresh).
"""

from audit.canonical import canonical_bytes
from audit.canonical import event_from_canonical
from audit.checkpoint import Checkpoint
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import sign_checkpoint
from audit.checkpoint import verify_checkpoint
from audit.errors import AuditError
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import Result
from audit.events import Target
from audit.integrity import VerificationReport
from audit.log import MerkleLog
from audit.storage import LogStorage
from audit.storage import MemoryStorage

__all__ = [
    "Actor",
    "AuditError",
    "AuditEvent",
    "Checkpoint",
    "EventType",
    "LogStorage",
    "MemoryStorage",
    "MerkleLog",
    "Result",
    "Target",
    "VerificationReport",
    "canonical_bytes",
    "event_from_canonical",
    "parse_checkpoint",
    "sign_checkpoint",
    "verify_checkpoint",
]
