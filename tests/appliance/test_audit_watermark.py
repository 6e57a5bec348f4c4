"""The audit sequencer's low-water mark on PostgreSQL (migration 0010).

Events before the mark, in (inserting transaction id, id) order, are all
sequenced, so a sequencer round reads only the events from it on. The mark
follows a snapshot's xmin, not event ids alone: ids are committed out of order,
and a rolled-back transaction leaves a gap in them for ever.

The server is shared (other suites, other processes): any transaction there
holds every snapshot's xmin back, so assertions that the mark moved past a
transaction poll, sequencing a fresh event each time, until it has.
"""

import json
import threading

import pytest
from peewee import PostgresqlDatabase

from appliance.db import db
from appliance.instance import init_instance
from appliance.migrations import available
from appliance.queries._raw import execute
from appliance.services._uow import mutation
from appliance.services.audit_access import check_verify
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import open_log
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_log import sequence_some
from appliance.services.audit_store import _READ_PENDING
from appliance.services.audit_store import DatabaseLogStorage
from appliance.services.audit_store import sequencer_transaction
from appliance.services.audit_trail import record_audit
from audit.events import EventType
from audit.events import Target
from tests.appliance.audit_helpers import AUDITOR
from tests.appliance.audit_helpers import bind
from tests.appliance.audit_helpers import write_event
from tests.support import poll


@pytest.fixture
def identity(tmp_path, postgres_url) -> LogIdentity:
    identity = bind(init_instance(tmp_path / "inst", database_url=postgres_url).data_dir)
    sequence_pending(identity)  # init's own events
    return identity


def mark() -> tuple[int, int]:
    """(low_xid, low_id)."""
    with db.connection_context():
        low_xid, low_id = db.execute_sql(
            "SELECT low_xid::text, low_id FROM audit_sequencer_state"
        ).fetchone()
    return int(low_xid), int(low_id)


def sequenced_probes() -> list[str]:
    """Target ids of the probe events, in leaf order."""
    with db.connection_context():
        rows = db.execute_sql(
            "SELECT e.target_id FROM audit_leaf l JOIN audit_event e ON e.id = l.event_id"
            " WHERE e.target_type = 'probe' ORDER BY l.leaf_index"
        ).fetchall()
    return [target for (target,) in rows]


def txid_of(probe: str) -> int:
    return txid_and_id(probe)[0]


def txid_and_id(probe: str) -> tuple[int, int]:
    with db.connection_context():
        txid, event_id = db.execute_sql(
            "SELECT txid::text, id FROM audit_event WHERE target_type = 'probe' AND target_id = %s",
            (probe,),
        ).fetchone()
    return int(txid), int(event_id)


def unsequenced_below_mark() -> int:
    """Events the mark claims are sequenced and are not: must always be 0."""
    with db.connection_context():
        return int(
            db.execute_sql(
                "SELECT count(*) FROM audit_event e, audit_sequencer_state s"
                " WHERE (e.txid, e.id) < (s.low_xid, s.low_id)"
                " AND NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.event_id = e.id)"
            ).fetchone()[0]
        )


@mutation
def do_audited(n: int, *, target_type: str = "probe", then=None) -> None:
    record_audit(
        EventType.AUDIT_SEARCHED,
        actor=AUDITOR,
        target=Target(target_type, str(n)),
        details={"n": n},
    )
    if then is not None:
        then()  # inside the transaction


def current_txid() -> int:
    return int(db.execute_sql("SELECT pg_current_xact_id()::text").fetchone()[0])


def horizon_passes(txid: int) -> None:
    """Wait until every transaction up to `txid` has ended, in the whole cluster."""

    def passed() -> bool:
        with db.connection_context():
            (xmin,) = db.execute_sql(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
            ).fetchone()
        return int(xmin) > txid

    poll(passed, timeout=60, what=f"transaction {txid} to leave the snapshot horizon")


def mark_passes(txid: int, identity: LogIdentity) -> int:
    """Sequence fresh events until the mark's low_xid is above `txid`; return it."""
    ticks = iter(range(1_000_000))

    def passed() -> int | None:
        do_audited(next(ticks), target_type="tick")
        sequence_pending(identity)
        return mark()[0] if mark()[0] > txid else None

    value: int = poll(passed, timeout=60, what=f"the mark to pass transaction {txid}")
    return value


def test_it_sequences_events_committed_out_of_id_order_exactly_once(identity):
    inserted, release, slow_txid, errors = threading.Event(), threading.Event(), [], []

    def hold_open() -> None:
        slow_txid.append(current_txid())
        inserted.set()
        assert release.wait(timeout=60)

    def slow_writer() -> None:
        try:
            do_audited(1, then=hold_open)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    slow = threading.Thread(target=slow_writer)
    slow.start()
    try:
        assert inserted.wait(timeout=60)
        write_event(2)  # a higher id than 1's, committed first
        sequence_pending(identity)

        assert sequenced_probes() == ["2"]
        assert mark()[0] <= slow_txid[0]
    finally:
        release.set()
        slow.join()
    assert errors == []

    sequence_pending(identity)

    assert sequenced_probes() == ["2", "1"]
    assert unsequenced_below_mark() == 0
    assert check_verify(identity, actor=AUDITOR).ok


def test_a_rolled_back_event_does_not_hold_the_mark_back(identity):
    rolled_back = []

    def remember_and_fail() -> None:
        rolled_back.append(current_txid())
        raise RuntimeError("rolled back on purpose")

    with pytest.raises(RuntimeError):
        do_audited(1, then=remember_and_fail)
    write_event(2)
    write_event(3)

    mark_passes(rolled_back[0], identity)

    assert sequenced_probes() == ["2", "3"]
    assert unsequenced_below_mark() == 0
    assert check_verify(identity, actor=AUDITOR).ok


def test_a_round_reads_only_the_events_at_or_above_the_mark(identity):
    for n in range(20):
        write_event(n)
    low = mark_passes(txid_of("19"), identity)
    # An unsequenced event below the mark (which a correct writer cannot leave):
    # the round does not read it, so the read is a range, not the whole log.
    with db.connection_context():
        db.execute_sql(
            "INSERT INTO audit_event (time_ms, actor_id, actor_role, action, target_type,"
            " target_id, result_ok, canonical, txid)"
            " VALUES (0, 'x', 'x', 0, 'probe', 'planted', true, 'x', %s::xid8)",
            (str(low - 1),),
        )
    write_event(100)

    with db.connection_context(), sequencer_transaction(db.obj):
        pending = DatabaseLogStorage().pending_events(10)

    assert len(pending) == 1
    assert b'"n":100' in pending[0].data


def test_the_round_reads_the_index_from_the_mark_on_a_large_log(identity):
    with db.connection_context():
        bulk = bulk_insert(10_000)
    sequence_pending(identity)
    low_xid = mark_passes(bulk, identity)
    with db.connection_context():
        db.execute_sql("ANALYZE audit_event")
        db.execute_sql("ANALYZE audit_leaf")
        (plan,) = execute(
            "EXPLAIN (FORMAT JSON) " + _READ_PENDING, (str(low_xid), 0, 101)
        ).fetchone()

    nodes = _plan_nodes(plan if isinstance(plan, list) else json.loads(plan))
    scans = [n for n in nodes if n.get("Index Name") == "audit_event_txid"]
    assert scans, nodes
    assert "txid" in scans[0].get("Index Cond", ""), scans[0]
    assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes  # stops after the limit


def _plan_nodes(node) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        if "Node Type" in node:
            found.append({k: v for k, v in node.items() if k != "Plans"})
        for value in node.values():
            found += _plan_nodes(value)
    elif isinstance(node, list):
        for value in node:
            found += _plan_nodes(value)
    return found


def test_a_truncated_round_moves_the_mark_just_past_what_it_appended(identity):
    for n in range(5):
        write_event(n)  # five transactions
    horizon_passes(txid_of("4"))  # so that any round below could move the mark past all five
    before = mark()

    with db.connection_context(), sequencer_transaction(db.obj):
        DatabaseLogStorage().pending_events(100)  # read, never appended
    assert mark() == before
    with db.connection_context(), sequencer_transaction(db.obj):
        log = open_log(identity)
        pending = log.storage.pending_events(100)
        log._append([(p.data, p.ref) for p in pending[:1]])  # appended in part
    assert mark() == before

    assert sequence_some(identity, 2) == 2  # "1" and "2"; more remain
    txid, event_id = txid_and_id("2")
    assert mark() == (txid, event_id + 1)

    sequence_pending(identity)
    assert mark()[0] > txid_of("4")
    assert sequenced_probes() == ["0", "1", "2", "3", "4"]
    assert unsequenced_below_mark() == 0


def test_a_backlog_in_one_transaction_is_read_from_where_the_last_round_stopped(identity):
    with db.connection_context():
        horizon_passes(bulk_insert(300))
    assert sequence_some(identity, 100) == 100

    low_xid, low_id = mark()
    with db.connection_context():
        rows = db.execute_sql(
            "SELECT txid::text, id FROM audit_event WHERE target_type = 'bulk' ORDER BY id"
        ).fetchall()
    assert (low_xid, low_id) == (int(rows[99][0]), rows[99][1] + 1)  # within the transaction
    sequence_pending(identity)
    assert unsequenced_below_mark() == 0


def bulk_insert(count: int) -> int:
    """`count` events in one statement (their bytes are not events); return its txid."""
    db.execute_sql(
        "INSERT INTO audit_event (time_ms, actor_id, actor_role, action, target_type,"
        " target_id, result_ok, canonical)"
        " SELECT 0, 'x', 'x', 0, 'bulk', g::text, true, 'x' FROM generate_series(1, %s) g",
        (count,),
    )
    (txid,) = db.execute_sql(
        "SELECT txid::text FROM audit_event WHERE target_type = 'bulk' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return int(txid)


def test_a_mark_from_another_cluster_is_ignored(identity):
    # What a logical restore into another cluster brings along: a mark counting
    # that cluster's transaction ids, here above an event this cluster committed.
    write_event(1)
    horizon_passes(txid_of("1"))
    with db.connection_context():
        db.execute_sql(
            "UPDATE audit_sequencer_state SET low_xid = %s::xid8, low_id = 0,"
            " system_identifier = 1",
            (str(txid_of("1") + 1),),
        )

    sequence_pending(identity)

    assert sequenced_probes() == ["1"]
    with db.connection_context():
        (mine,) = db.execute_sql(
            "SELECT c.system_identifier = s.system_identifier"
            " FROM audit_sequencer_state s, pg_control_system() c"
        ).fetchone()
    assert mine
    assert unsequenced_below_mark() == 0


def test_a_mark_above_the_snapshot_horizon_is_ignored(identity):
    # No sequencer can have set it: the transactions it claims ended have not begun.
    with db.connection_context():
        db.execute_sql("UPDATE audit_sequencer_state SET low_xid = '900000000000'")
    write_event(1)

    sequence_pending(identity)

    assert sequenced_probes() == ["1"]
    assert mark()[0] < 900000000000
    assert unsequenced_below_mark() == 0


def test_events_from_before_the_migration_are_read_by_the_first_round(postgres_url):
    from urllib.parse import urlsplit

    database = PostgresqlDatabase(
        urlsplit(postgres_url).path.lstrip("/"), host="127.0.0.1", user="postgres"
    )
    *before, watermark = available()[:10]  # as an instance of the previous release
    assert watermark.name == "audit_watermark"
    for migration in before:
        with database.atomic():
            migration.module.up(database)
    database.execute_sql(
        "INSERT INTO audit_event (time_ms, actor_id, actor_role, action, target_type,"
        " target_id, result_ok, canonical) VALUES (0, 'x', 'x', 0, 'probe', 'old', true, 'old')"
    )
    with database.atomic():
        watermark.module.up(database)
    db.initialize(database)

    with db.connection_context(), sequencer_transaction(database):
        pending = DatabaseLogStorage().pending_events(10)

    assert [p.data for p in pending] == [b"old"]
    (txid,) = database.execute_sql("SELECT txid::text FROM audit_event").fetchone()
    assert txid == "0"
    database.close()


def test_the_migration_changes_nothing_on_sqlite(instance_dir):
    bind(instance_dir)
    with db.connection_context():
        assert not db.table_exists("audit_sequencer_state")
        assert "txid" not in {c.name for c in db.get_columns("audit_event")}
