"""`audit.storage.LogStorage` over the appliance database (SQLite or PostgreSQL).

Reads may run anywhere. `append` and `add_checkpoint` are called only by the
sequencer inside `sequencer_transaction()`, which serializes sequencers across
processes: SQLite's BEGIN IMMEDIATE write lock, or a PostgreSQL advisory lock.
Business transactions only INSERT audit_event rows, so they never wait on it.

Pending events are found without reading the whole log: on SQLite after the
last sequenced id, on PostgreSQL from a low-water mark of (transaction id, id)
that the sequencer moves forward (migration 0010, docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from peewee import Database
from peewee import PostgresqlDatabase
from peewee import fn

from appliance.models import AuditCheckpoint
from appliance.models import AuditEventRow
from appliance.models import AuditLeaf
from appliance.models import AuditNode
from appliance.queries._raw import execute
from appliance.queries._raw import execute_many
from audit.checkpoint import parse_checkpoint
from audit.errors import StorageError
from audit.storage import Batch
from audit.storage import PendingEvent
from audit.tree import NodeId

# pg_advisory_xact_lock key for "the audit sequencer"; any constant unique to us.
_SEQUENCER_LOCK = 0x656E636C  # "encl"

# PostgreSQL's low-water mark (migration 0010): every event before (low_xid,
# low_id), in (txid, id) order, is sequenced. A mark above the snapshot horizon
# cannot have been set by a sequencer, and one kept by another cluster (restored
# or replicated there) counts other transaction ids: either reads as (0, 0), so
# that round reads every unsequenced event.
_READ_MARK = (
    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, c.system_identifier,"
    " s.low_xid::text, s.low_id, s.system_identifier = c.system_identifier"
    " FROM pg_control_system() c LEFT JOIN audit_sequencer_state s ON s.id = 1"
)
_READ_PENDING = (
    "SELECT e.txid::text, e.id, e.canonical FROM audit_event e"
    " WHERE (e.txid, e.id) >= (?::xid8, ?)"
    " AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.event_id = e.id)"
    " ORDER BY e.txid, e.id LIMIT ?"
)
_WRITE_MARK = (
    "INSERT INTO audit_sequencer_state (id, low_xid, low_id, system_identifier)"
    " VALUES (1, ?::xid8, ?, ?) ON CONFLICT (id) DO UPDATE SET low_xid = excluded.low_xid,"
    " low_id = excluded.low_id, system_identifier = excluded.system_identifier"
)


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


@dataclass(frozen=True)
class _Advance:
    """Where the mark moves once exactly `refs`, the events just read, are appended."""

    refs: tuple[int, ...]
    mark: tuple[int, int]  # (low_xid, low_id)
    system: int


class DatabaseLogStorage:
    """The audit tables as a Merkle log's storage."""

    def __init__(self) -> None:
        self._advance: _Advance | None = None

    def tree_size(self) -> int:
        last = AuditLeaf.select(fn.MAX(AuditLeaf.leaf_index)).scalar()
        return 0 if last is None else int(last) + 1

    def pending_events(self, limit: int) -> Sequence[PendingEvent]:
        if isinstance(_database(), PostgresqlDatabase):
            return self._pending_postgresql(limit)
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

    def _pending_postgresql(self, limit: int) -> Sequence[PendingEvent]:
        # Ids come from a sequence and concurrent transactions commit them out of
        # order, so the last sequenced id proves nothing here. Transaction ids do:
        # every transaction below the snapshot's xmin (the horizon) has ended, so
        # its committed rows are visible to the read below, and any other row
        # commits with a txid at or above the horizon. Hence (txid, id) order,
        # which lets the read start at the mark and stop after `limit` rows.
        self._advance = None
        horizon_text, system, low_xid, low_id, same_system = execute(_READ_MARK).fetchone()
        horizon = int(horizon_text)
        mark = (0, 0)
        if same_system and int(low_xid) <= horizon:
            mark = (int(low_xid), int(low_id))
        rows = execute(_READ_PENDING, (str(mark[0]), mark[1], limit + 1)).fetchall()
        read = rows[:limit]
        if not read:
            return []
        last_txid, last_id = int(read[-1][0]), int(read[-1][1])
        # Not truncated: nothing unsequenced is left below the horizon. Truncated:
        # nor before the last row read, unless it commits later (at the horizon).
        done = (horizon, 0) if len(rows) <= limit else min((last_txid, last_id + 1), (horizon, 0))
        self._advance = _Advance(tuple(row[1] for row in read), max(mark, done), system)
        return [PendingEvent(ref=ref, data=bytes(canonical)) for _, ref, canonical in read]

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
        # Only a batch of exactly the events just read moves the mark.
        advance, self._advance = self._advance, None
        if advance is not None and advance.refs == tuple(e.ref for e in entries):
            low_xid, low_id = advance.mark
            execute(_WRITE_MARK, (str(low_xid), low_id, advance.system))

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
