"""What the log needs from storage, and an in-memory implementation.

The appliance implements `LogStorage` over SQLite/PostgreSQL; `MemoryStorage`
serves the tests, the benchmark and anything that verifies a log offline.

How the appliance is meant to use it (docs/audit.md, "Storage contract"):

1. A business transaction INSERTs its audit event row (the canonical bytes,
   no leaf index) in the same transaction as the change it records. Writers
   never touch the tree, so they never wait on a tree lock.
2. One sequencer at a time (the appliance holds a DB advisory lock) calls
   `MerkleLog.sequence()`, which reads `pending_events()` in insertion order,
   gives them contiguous leaf indexes from `tree_size()`, computes their leaf
   hashes and every subtree they complete, and hands all of it to `append()`
   in ONE call, which the storage writes in ONE transaction.
3. The log signs checkpoints over what is sequenced (`add_checkpoint`).

All audit tables are INSERT-only: the database refuses UPDATE and DELETE. A
node or leaf, once written, is never rewritten, which is also why a crashed
sequencer leaves nothing to repair: its transaction simply did not commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from audit.errors import StorageError
from audit.tree import NodeId


@dataclass(frozen=True)
class PendingEvent:
    """An event row written by a business transaction and not yet in the tree."""

    ref: int  # the storage's own row id; opaque to the log
    data: bytes  # canonical event bytes


@dataclass(frozen=True)
class SequencedEntry:
    """One leaf of a batch: its position, hash and event bytes.

    `ref` is the row id of the pending event that already holds `data`, or
    None when the event came straight through `MerkleLog.integrate()` and the
    storage must store `data` itself.
    """

    index: int
    leaf_hash: bytes
    data: bytes
    ref: int | None = None


@dataclass(frozen=True)
class Batch:
    """Everything one sequencer step writes, in one transaction."""

    entries: Sequence[SequencedEntry]  # contiguous indexes starting at the old tree size
    nodes: Sequence[tuple[NodeId, bytes]]  # every subtree these leaves complete, level >= 1


class LogStorage(Protocol):
    """Persistence for one Merkle log. Implementations need not be thread-safe:
    reads may run anywhere, but only the single sequencer calls `append` and
    `add_checkpoint`."""

    def tree_size(self) -> int:
        """Number of sequenced leaves."""
        ...

    def pending_events(self, limit: int) -> Sequence[PendingEvent]:
        """Up to `limit` unsequenced events, oldest first: insertion order, or an order
        close to it that the storage keeps stable (the appliance on PostgreSQL reads in
        inserting-transaction order, then id)."""
        ...

    def append(self, batch: Batch) -> None:
        """Atomically store a batch's leaves (hash, bytes, and the pending ref it
        consumes) and nodes. Must raise StorageError, writing nothing, unless the
        first entry's index equals `tree_size()`."""
        ...

    def get_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        """Hashes of the given nodes, in order; level 0 is the leaf hash. Raises
        StorageError if any is missing."""
        ...

    def get_events(self, start: int, end: int) -> Sequence[bytes]:
        """Canonical bytes of the leaves [start, end). Raises StorageError if any is missing."""
        ...

    def add_checkpoint(self, note: bytes) -> None:
        """Store a signed checkpoint note (the full text, signatures included)."""
        ...

    def checkpoints(self) -> Sequence[bytes]:
        """Every stored checkpoint note, in the order they were signed."""
        ...

    def latest_checkpoint(self) -> bytes | None:
        """The last stored checkpoint note, or None before the first."""
        ...


class MemoryStorage:
    """`LogStorage` in lists and dicts. Attributes are public so tests can tamper."""

    def __init__(self) -> None:
        self.pending: list[PendingEvent] = []
        self.events: list[bytes] = []
        self.levels: list[list[bytes]] = [[]]  # levels[level][position]
        self.notes: list[bytes] = []
        self._next_ref = 1

    def add_pending(self, data: bytes) -> int:
        """What a business transaction does: store an unsequenced event; return its ref."""
        ref = self._next_ref
        self._next_ref += 1
        self.pending.append(PendingEvent(ref, bytes(data)))
        return ref

    def tree_size(self) -> int:
        """Number of sequenced leaves."""
        return len(self.events)

    def pending_events(self, limit: int) -> Sequence[PendingEvent]:
        """Up to `limit` unsequenced events, oldest first."""
        return self.pending[:limit]

    def append(self, batch: Batch) -> None:
        """Store a batch, checking it continues the tree and consumes pending rows in order."""
        entries = batch.entries
        if not entries:
            return
        size = len(self.events)
        if [e.index for e in entries] != list(range(size, size + len(entries))):
            raise StorageError(f"batch does not start at tree size {size} or has gaps")
        refs = [e.ref for e in entries if e.ref is not None]
        if refs != [p.ref for p in self.pending[: len(refs)]]:
            raise StorageError("batch consumes pending events out of order")
        del self.pending[: len(refs)]
        self.events.extend(e.data for e in entries)
        self.levels[0].extend(e.leaf_hash for e in entries)
        for node, value in batch.nodes:
            while len(self.levels) <= node.level:
                self.levels.append([])
            row = self.levels[node.level]
            if node.position != len(row):
                raise StorageError(f"node {node} written out of order")
            row.append(value)

    def get_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        """Hashes of the given nodes, in order (level 0: leaf hashes)."""
        if any(position < 0 for _, position in ids):
            raise StorageError("negative node position")
        try:
            return [self.levels[level][position] for level, position in ids]
        except IndexError:
            raise StorageError("node missing") from None

    def get_events(self, start: int, end: int) -> Sequence[bytes]:
        """Canonical bytes of leaves [start, end)."""
        if not 0 <= start <= end <= len(self.events):
            raise StorageError(f"events [{start}, {end}) missing")
        return self.events[start:end]

    def add_checkpoint(self, note: bytes) -> None:
        """Store a signed checkpoint note."""
        self.notes.append(bytes(note))

    def checkpoints(self) -> Sequence[bytes]:
        """Every stored note, in signing order."""
        return list(self.notes)

    def latest_checkpoint(self) -> bytes | None:
        """The last stored note, or None."""
        return self.notes[-1] if self.notes else None
