"""The audit tables at the database: append-only, complete, and tamper-evident."""

import threading

import peewee
import pytest

from appliance.db import db
from appliance.services._uow import UnauditedMutation
from appliance.services._uow import mutation
from appliance.services._uow import on_commit
from appliance.services.audit_access import check_verify
from appliance.services.audit_log import open_log
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_log import sign_checkpoint_if_grown
from tests.appliance.audit_helpers import AUDITOR
from tests.appliance.audit_helpers import actions
from tests.appliance.audit_helpers import bind
from tests.appliance.audit_helpers import write_event

TABLES = {
    "audit_event": "actor_id",
    "audit_leaf": "leaf_hash",
    "audit_node": "hash",
    "audit_checkpoint": "note",
    "audit_meta": "origin",
}


def count(table):
    with db.connection_context():
        return db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_it_refuses_update_and_delete_on_audit_rows(any_instance_dir, table):
    bind(any_instance_dir)
    column = TABLES[table]
    before = count(table)
    assert before > 0, f"init should have written {table} rows"

    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        refused = pytest.raises(peewee.DatabaseError, match=r"append-only|permission denied")
        with db.connection_context(), refused, db.atomic():
            db.execute_sql(statement)

    assert count(table) == before


def test_it_refuses_truncate_on_postgresql(tmp_path, postgres_url):
    from appliance.instance import init_instance

    bind(init_instance(tmp_path / "i", database_url=postgres_url).data_dir)

    with db.connection_context(), pytest.raises(peewee.DatabaseError), db.atomic():
        db.execute_sql("TRUNCATE audit_event CASCADE")
    assert count("audit_event") > 0


def _drop_guards():
    """What an attacker with full database access does first."""
    with db.connection_context():
        if isinstance(db.obj, peewee.PostgresqlDatabase):
            for table in TABLES:
                db.execute_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        else:
            for (name,) in db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall():
                db.execute_sql(f"DROP TRIGGER {name}")


def test_it_detects_a_rewritten_event_in_the_live_log(any_instance_dir):
    identity = bind(any_instance_dir)
    for n in range(10):
        write_event(n)
    sequence_pending(identity)
    assert check_verify(identity, actor=AUDITOR).ok
    _drop_guards()

    with db.connection_context():
        # The 8th of our 10 events, wherever init's own events left it in the log.
        leaf_index, event_id = db.execute_sql(
            "SELECT leaf_index, event_id FROM audit_leaf ORDER BY leaf_index DESC LIMIT 1 OFFSET 2"
        ).fetchone()
        row = db.execute_sql(f"SELECT canonical FROM audit_event WHERE id = {int(event_id)}")
        canonical = bytes(row.fetchone()[0])
        forged = canonical.replace(b'"n":', b'"m":')
        assert forged != canonical
        db.execute_sql(
            f"UPDATE audit_event SET canonical = {db.param} WHERE id = {event_id}", (forged,)
        )

    report = check_verify(identity, actor=AUDITOR)

    assert not report.ok
    assert report.failure.leaf_index == leaf_index


def test_it_detects_a_deleted_leaf_in_the_live_log(any_instance_dir):
    identity = bind(any_instance_dir)
    for n in range(5):
        write_event(n)
    sequence_pending(identity)
    _drop_guards()

    with db.connection_context():
        db.execute_sql("DELETE FROM audit_leaf WHERE leaf_index = 3")

    report = check_verify(identity, actor=AUDITOR)

    assert not report.ok
    assert "leaf 3 missing" in str(report.failure)


def test_it_rolls_back_a_mutation_that_wrote_no_audit_event(instance_dir):
    bind(instance_dir)
    ran = []

    @mutation
    def do_unaudited_change():
        db.execute_sql(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (999, 'sneaky', 'now')"
        )
        on_commit(lambda: ran.append("emitted"))

    with pytest.raises(UnauditedMutation):
        do_unaudited_change()

    assert count("schema_migration WHERE version = 999") == 0
    assert ran == []


def test_it_runs_after_commit_callbacks_only_after_commit(instance_dir):
    bind(instance_dir)
    seen = []

    @mutation
    def do_change():
        write_event(1)
        on_commit(lambda: seen.append(count("audit_event WHERE target_type = 'probe'")))

    do_change()

    assert seen == [1]  # the callback saw the committed row


def test_it_keeps_the_tree_whole_under_concurrent_writers(any_instance_dir):
    identity = bind(any_instance_dir)
    before = len(actions())
    writers, per_writer = 8, 20
    done = threading.Event()
    errors = []

    def write(worker):
        try:
            for n in range(per_writer):
                write_event(worker * 1000 + n)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    def sequence():
        try:
            while not done.is_set():
                sequence_pending(identity)
                sign_checkpoint_if_grown(identity)
        except Exception as exc:
            errors.append(exc)

    sequencer = threading.Thread(target=sequence)
    sequencer.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    sequencer.join()
    sequence_pending(identity)

    assert errors == []
    assert len(actions()) == before + writers * per_writer
    with db.connection_context():
        assert open_log(identity).size == before + writers * per_writer
    assert check_verify(identity, actor=AUDITOR).ok


def _plant_decoy() -> None:
    """A copy of the newest event 100 ids above it: on SQLite, once it is sequenced,
    the free ids below it are below the last sequenced id, where the sequencer never
    reads again."""
    with db.connection_context():
        newest = db.execute_sql("SELECT MAX(id) FROM audit_event").fetchone()[0]
        columns = (
            "time_ms, actor_id, actor_role, action, target_type, target_id, result_ok, canonical"
        )
        db.execute_sql(
            f"INSERT INTO audit_event (id, {columns}) SELECT {newest + 100}, {columns}"
            f" FROM audit_event WHERE id = {newest}"
        )


def test_verification_finds_an_event_kept_out_of_the_tree(any_instance_dir):
    """An attacker who can write to the database inserts an event where the sequencer
    never reads (or moves the PostgreSQL mark over one): the tree still verifies,
    but the event is in no leaf, and `enclave audit verify` says so."""
    identity = bind(any_instance_dir)
    for n in range(3):
        write_event(n)
    sequence_pending(identity)
    _plant_decoy()
    sequence_pending(identity)
    assert check_verify(identity, actor=AUDITOR).ok

    with db.connection_context():
        newest = db.execute_sql("SELECT MAX(id) FROM audit_event").fetchone()[0]
        hidden_id = newest - 50
        postgres = isinstance(db.obj, peewee.PostgresqlDatabase)
        extra = (", txid", ", '1'::xid8") if postgres else ("", "")
        db.execute_sql(
            f"INSERT INTO audit_event (id, time_ms, actor_id, actor_role, action, target_type,"
            f" target_id, result_ok, canonical{extra[0]}) SELECT {hidden_id}, time_ms - 120000,"
            f" actor_id, actor_role, action, target_type, target_id, result_ok, canonical"
            f"{extra[1]} FROM audit_event WHERE id = {newest}"
        )
    sequence_pending(identity)
    with db.connection_context():
        assert db.execute_sql(
            f"SELECT COUNT(*) FROM audit_leaf WHERE event_id = {hidden_id}"
        ).fetchone() == (0,), "the sequencer was meant not to see the planted event"

    report = check_verify(identity, actor=AUDITOR)

    assert not report.ok
    assert report.failure.kind == "storage"
    assert f"lowest event id {hidden_id}" in str(report.failure)
    assert report.summary().startswith("TAMPERED")
