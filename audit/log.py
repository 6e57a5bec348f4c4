"""The Merkle log: sequencing, roots, proofs and checkpoint signing over a `LogStorage`.

Only the sequencer (one process at a time, holding the appliance's lock)
calls `sequence`, `integrate` and `sign_checkpoint`; everything else is a
read and may run anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.checkpoint import Checkpoint
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import sign_checkpoint
from audit.errors import InconsistentCheckpointError
from audit.errors import ProofError
from audit.errors import StorageError
from audit.errors import TreeError
from audit.integrity import DEFAULT_MAX_SKEW_MS
from audit.integrity import VerificationReport
from audit.integrity import verify_log
from audit.merkle import empty_root
from audit.merkle import leaf_hash
from audit.merkle import verify_consistency
from audit.storage import Batch
from audit.storage import LogStorage
from audit.storage import SequencedEntry
from audit.tree import CompactRange
from audit.tree import build_proof
from audit.tree import consistency_plan
from audit.tree import fold
from audit.tree import inclusion_plan
from audit.tree import plan_nodes
from audit.tree import range_nodes
from crypto.hashing import hash_function
from crypto.signing import Signer
from crypto.signing import Verifier

DEFAULT_HASH = "sm3"
DEFAULT_BATCH = 10_000


class MerkleLog:
    """An RFC 9162 Merkle tree of canonical event bytes, kept in `storage`."""

    def __init__(self, storage: LogStorage, hash_name: str = DEFAULT_HASH) -> None:
        self.storage = storage
        self.hash_name = hash_name
        self.h = hash_function(hash_name)

    @property
    def size(self) -> int:
        """Number of sequenced events (leaves)."""
        return self.storage.tree_size()

    def leaf_hash(self, data: bytes) -> bytes:
        """Return the leaf hash of canonical event bytes under this log's hash."""
        return leaf_hash(self.h, data)

    def sequence(self, limit: int = DEFAULT_BATCH) -> range:
        """Move up to `limit` pending events into the tree; return their leaf indexes.

        The sequencer step: pending events are taken in insertion order and
        written in one `append` call, so the storage commits them atomically.
        """
        pending = self.storage.pending_events(limit)
        return self._append([(p.data, p.ref) for p in pending])

    def integrate(self, events: Sequence[bytes]) -> range:
        """Append canonical event bytes directly (no pending rows); return their indexes."""
        return self._append([(bytes(data), None) for data in events])

    def _append(self, items: Sequence[tuple[bytes, int | None]]) -> range:
        start = self.size
        if not items:
            return range(start, start)
        frontier = self._frontier(start)
        entries: list[SequencedEntry] = []
        nodes = []
        for offset, (data, ref) in enumerate(items):
            value = leaf_hash(self.h, data)
            entries.append(SequencedEntry(start + offset, value, data, ref))
            nodes.extend(frontier.append(value))
        self.storage.append(Batch(entries, nodes))
        return range(start, start + len(items))

    def _frontier(self, size: int) -> CompactRange:
        ids = range_nodes(0, size)
        return CompactRange(self.h, size, list(self.storage.get_nodes(ids)))

    def _check_size(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if not 0 <= size <= current:
            raise TreeError(f"tree size {size} outside [0, {current}]")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash at `size` (default: now), from O(log n) stored nodes."""
        size = self._check_size(size)
        if size == 0:
            return empty_root(self.h)
        return fold(self.h, list(self.storage.get_nodes(range_nodes(0, size))))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf `index` in the tree of `size`."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise TreeError(f"leaf index {index} outside tree of size {size}")
        plan = inclusion_plan(index, size)
        ids = plan_nodes(plan)
        return build_proof(self.h, plan, dict(zip(ids, self.storage.get_nodes(ids), strict=True)))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the RFC 9162 consistency proof from `size1` to `size2`; 0 < size1 <= size2."""
        size2 = self._check_size(size2)
        if not 0 < size1 <= size2:
            raise TreeError(f"consistency needs 0 < size1 <= size2, got {size1}, {size2}")
        plan = consistency_plan(size1, size2)
        ids = plan_nodes(plan)
        return build_proof(self.h, plan, dict(zip(ids, self.storage.get_nodes(ids), strict=True)))

    def event(self, index: int) -> bytes:
        """Return the canonical bytes of the event at leaf `index`."""
        if not 0 <= index < self.size:
            raise TreeError(f"leaf index {index} outside tree of size {self.size}")
        return bytes(self.storage.get_events(index, index + 1)[0])

    def checkpoints(self) -> list[Checkpoint]:
        """Return every stored checkpoint, parsed (signatures not checked), oldest first."""
        return [parse_checkpoint(note) for note in self.storage.checkpoints()]

    def latest_checkpoint(self) -> Checkpoint | None:
        """Return the last stored checkpoint, parsed, or None."""
        note = self.storage.latest_checkpoint()
        return None if note is None else parse_checkpoint(note)

    def sign_checkpoint(self, signers: Sequence[Signer], origin: str, time_ms: int) -> Checkpoint:
        """Sign and store a checkpoint of the tree as it is now.

        C2SP tlog-checkpoint: "a log MUST not sign any checkpoint which is
        inconsistent with any checkpoint it previously signed". Consistency is
        transitive, so checking against the latest one suffices: same origin,
        size and time not going backwards, and a consistency proof from it to
        the current tree that verifies. Otherwise InconsistentCheckpointError,
        and nothing is signed.
        """
        size = self.size
        root = self.root(size)
        latest = self.latest_checkpoint()
        if latest is not None:
            self._check_extends(latest, origin, size, root, time_ms)
        checkpoint = sign_checkpoint(signers, origin, size, root, time_ms)
        self.storage.add_checkpoint(checkpoint.note())
        return checkpoint

    def _check_extends(
        self, latest: Checkpoint, origin: str, size: int, root: bytes, time_ms: int
    ) -> None:
        if latest.origin != origin:
            raise InconsistentCheckpointError(f"origin {origin!r} != {latest.origin!r}")
        if latest.size > size:
            raise InconsistentCheckpointError(f"tree size {size} < last signed {latest.size}")
        if time_ms < latest.time_ms:
            raise InconsistentCheckpointError(f"time {time_ms} < last signed {latest.time_ms}")
        try:
            if latest.size == 0:
                if latest.root != empty_root(self.h):
                    raise ProofError("last signed empty tree has a non-empty root")
            else:
                proof = self.consistency_proof(latest.size, size)
                verify_consistency(self.h, latest.size, size, proof, latest.root, root)
        except (ProofError, StorageError) as exc:
            raise InconsistentCheckpointError(
                f"tree does not extend checkpoint {latest.size}: {exc}"
            ) from None

    def verify_all(
        self, verifiers: Sequence[Verifier], *, max_skew_ms: int | None = None
    ) -> VerificationReport:
        """Recheck the whole log from its event bytes; see `audit.integrity.verify_log`."""
        skew = DEFAULT_MAX_SKEW_MS if max_skew_ms is None else max_skew_ms
        return verify_log(self, verifiers, max_skew_ms=skew)
