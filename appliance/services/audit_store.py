"""`audit.storage.LogStorage` over the appliance database (SQLite or PostgreSQL).

Reads may run anywhere. `append` and `add_checkpoint` are called only by the
sequencer inside `sequencer_transaction()`, which serializes sequencers across
processes: SQLite's BEGIN IMMEDIATE write lock, or a PostgreSQL advisory lock.
Business transactions only INSERT audit_event rows, so they never wait on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import cast

from peewee import JOIN
from peewee import Database
from peewee import PostgresqlDatabase
from peewee import fn

from appliance.models import AuditCheckpoint
from appliance.models import AuditEventRow
from appliance.models import AuditLeaf
from appliance.models import AuditNode
from appliance.queries._raw import execute_many
from audit.checkpoint import parse_checkpoint
from audit.errors import StorageError
from audit.storage import Batch
from audit.storage import PendingEvent
from audit.tree import NodeId

# pg_advisory_xact_lock key for "the audit sequencer"; any constant unique to us.
_SEQUENCER_LOCK = 0x656E636C  # "encl"


@contextmanager
def sequencer_transaction(database: Database) -> Iterator[None]:
    """A write transaction that only one sequencer, in any process, holds at a time."""
    if isinstance(database, PostgresqlDatabase):
        with database.atomic():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SEQUENCER_LOCK,))
            yield
    else:
        # IMMEDIATE takes SQLite's write lock at BEGIN, so what we read (tree size,
        # pending events) cannot change before we write.
        with database.atomic("IMMEDIATE"):
            yield


class DatabaseLogStorage:
    """The audit tables as a Merkle log's storage."""

    def tree_size(self) -> int:
        last = AuditLeaf.select(fn.MAX(AuditLeaf.leaf_index)).scalar()
        return 0 if last is None else int(last) + 1

    def pending_events(self, limit: int) -> Sequence[PendingEvent]:
        if not isinstance(_database(), PostgresqlDatabase):
            # SQLite has one writer at a time, so audit_event ids are committed in id
            # order: nothing below the last sequenced id can still appear. An index
            # range instead of an anti-join over every event ever sequenced, which
            # grew with the log and cost a message 150-220 µs in the chat bench.
            last = AuditLeaf.select(fn.MAX(AuditLeaf.event)).scalar() or 0
            rows = (
                AuditEventRow.select(AuditEventRow.id, AuditEventRow.canonical)
                .where(AuditEventRow.id > last)
                .order_by(AuditEventRow.id)
                .limit(limit)
            )
            return [PendingEvent(ref=row.id, data=bytes(row.canonical)) for row in rows]
        # PostgreSQL: ids come from a sequence and concurrent transactions may commit
        # them out of order, so an id below the last sequenced one can still arrive;
        # only the anti-join is exact there (see docs/architecture.md).
        query = (
            AuditEventRow.select(AuditEventRow.id, AuditEventRow.canonical)
            .join(AuditLeaf, JOIN.LEFT_OUTER, on=(AuditLeaf.event == AuditEventRow.id))
            .where(AuditLeaf.leaf_index.is_null())
            .order_by(AuditEventRow.id)
            .limit(limit)
        )
        return [PendingEvent(ref=row.id, data=bytes(row.canonical)) for row in query]

    def append(self, batch: Batch) -> None:
        entries = batch.entries
        if not entries:
            return
        size = self.tree_size()
        if entries[0].index != size:
            raise StorageError(f"batch starts at {entries[0].index}, tree size is {size}")
        if any(entry.ref is None for entry in entries):
            raise StorageError("the appliance sequences stored events only (ref required)")
        # executemany: peewee's insert_many built SQL for every value, which made
        # sequencing (in the writer greenlet) a visible share of a message's CPU.
        execute_many(
            "INSERT INTO audit_leaf (leaf_index, event_id, leaf_hash) VALUES (?, ?, ?)",
            [(e.index, e.ref, bytes(e.leaf_hash)) for e in entries],
        )
        if batch.nodes:
            execute_many(
                "INSERT INTO audit_node (level, position, hash) VALUES (?, ?, ?)",
                [(node.level, node.position, bytes(value)) for node, value in batch.nodes],
            )

    def get_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        found: dict[NodeId, bytes] = {}
        leaves = sorted({node.position for node in ids if node.level == 0})
        if leaves:
            query = AuditLeaf.select(AuditLeaf.leaf_index, AuditLeaf.leaf_hash).where(
                AuditLeaf.leaf_index.in_(leaves)
            )
            found.update({NodeId(0, row.leaf_index): bytes(row.leaf_hash) for row in query})
        by_level: dict[int, list[int]] = {}
        for node in ids:
            if node.level > 0:
                by_level.setdefault(node.level, []).append(node.position)
        for level, positions in by_level.items():
            nodes = AuditNode.select(AuditNode.position, AuditNode.hash).where(
                (AuditNode.level == level) & AuditNode.position.in_(sorted(set(positions)))
            )
            found.update({NodeId(level, row.position): bytes(row.hash) for row in nodes})
        try:
            return [found[node] for node in ids]
        except KeyError as missing:
            raise StorageError(f"node {missing.args[0]} missing from audit_node") from None

    def get_events(self, start: int, end: int) -> Sequence[bytes]:
        query = (
            AuditLeaf.select(AuditLeaf.leaf_index, AuditEventRow.canonical)
            .join(AuditEventRow, on=(AuditLeaf.event == AuditEventRow.id))
            .where((AuditLeaf.leaf_index >= start) & (AuditLeaf.leaf_index < end))
            .order_by(AuditLeaf.leaf_index)
            .tuples()
        )
        rows = cast(list[tuple[int, bytes]], list(query))
        found = [index for index, _ in rows]
        if found != list(range(start, end)):
            missing = next(
                i for i, got in zip(range(start, end), [*found, None], strict=False) if i != got
            )
            raise StorageError(f"leaf {missing} missing from the audit tables")
        return [bytes(canonical) for _, canonical in rows]

    def add_checkpoint(self, note: bytes) -> None:
        checkpoint = parse_checkpoint(note)
        AuditCheckpoint.insert(
            tree_size=checkpoint.size, time_ms=checkpoint.time_ms, note=note.decode("utf-8")
        ).execute()

    def checkpoints(self) -> Sequence[bytes]:
        query = AuditCheckpoint.select(AuditCheckpoint.note).order_by(AuditCheckpoint.id)
        return [row.note.encode("utf-8") for row in query]

    def latest_checkpoint(self) -> bytes | None:
        row = (
            AuditCheckpoint.select(AuditCheckpoint.note).order_by(AuditCheckpoint.id.desc()).first()
        )
        return None if row is None else row.note.encode("utf-8")


def _database() -> Database:
    database = AuditEventRow._meta.database
    return cast(Database, getattr(database, "obj", None) or database)
