"""The errors this library raises: one small, typed hierarchy.

Every error carries a stable `code` (for logs, CLI output and HTTP answers)
and a fixed message; the only free text is a short `detail` naming what
failed (a leaf index, a checkpoint size, a file in a bundle). The appliance
maps these onto its own error shape without parsing messages.
"""

from __future__ import annotations

from typing import ClassVar


class AuditError(Exception):
    """Base class of every error raised by `audit`."""

    code: ClassVar[str] = "audit_error"
    message: ClassVar[str] = "audit log operation failed"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        text = self.message if detail is None else f"{self.message}: {detail}"
        super().__init__(text)


class EventFormatError(AuditError, ValueError):
    """An event is not representable, or bytes are not a canonical event."""

    code = "audit_event_format"
    message = "malformed audit event"


class ProofError(AuditError):
    """A Merkle inclusion or consistency proof did not verify, or was malformed."""

    code = "audit_proof_invalid"
    message = "Merkle proof verification failed"


class TreeError(AuditError, ValueError):
    """A tree size, leaf index or range is out of bounds for the log."""

    code = "audit_tree_range"
    message = "tree position out of range"


class StorageError(AuditError):
    """The storage broke its contract: a missing node, a gap, a wrong batch start."""

    code = "audit_storage"
    message = "audit storage inconsistent"


class CheckpointFormatError(AuditError, ValueError):
    """A checkpoint is not a well-formed signed note with our body layout."""

    code = "audit_checkpoint_format"
    message = "malformed checkpoint"


class CheckpointSignatureError(AuditError):
    """A checkpoint lacks a valid signature from a trusted key, or one fails to verify."""

    code = "audit_checkpoint_signature"
    message = "checkpoint signature invalid"


class InconsistentCheckpointError(AuditError):
    """Signing would contradict a checkpoint the log already signed (C2SP tlog-checkpoint)."""

    code = "audit_checkpoint_inconsistent"
    message = "refusing to sign a checkpoint inconsistent with the latest one"


class BundleFormatError(AuditError, ValueError):
    """A file is not an export bundle, or a member of it is unreadable."""

    code = "audit_bundle_format"
    message = "not a readable audit export bundle"
