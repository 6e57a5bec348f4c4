"""Benchmark the appliance's audit write path through its database (a script, not a test).

    .venv/bin/python tests/bench/bench_audit_db.py [--events N] [--postgres URL]
    .venv/bin/python tests/bench/bench_audit_db.py --postgres URL --pending-tail 10000,100000

In one run, on a fresh instance (SQLite, WAL, synchronous=FULL unless --postgres):
- audited writes: N @mutation transactions, each writing one audit event with
  record_audit() and committing (what every state change pays);
- the sequencer: sequence_pending() over those N events (leaf and node hashes,
  INSERTs into audit_leaf/audit_node), events/s;
- live verification: check_verify() over the whole log, events/s;
beside two baselines measured in the same run: plain hashing (hashlib SM3) of
the same canonical bytes, and raw sqlite3 inserting the same bytes one row per
committed transaction under the same pragmas (the floor for a durable write).

With --pending-tail SIZES (PostgreSQL only), instead: how a sequencer round's
read of pending events grows with the log. For each size the log is grown to
that many sequenced events (bulk INSERT, then the real sequencer), a tail of
100 audited writes is added, and the read is timed both ways in the same run:
the anti-join over the whole log that PostgreSQL used before migration 0010,
and the read at or above the low-water mark (what `pending_events` runs now);
then one real sequencer round over the tail. URL names an empty database, left
holding the log.

Exit status is always 0: shared CI machines are too noisy to gate on timing.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance.db import bind_database
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import AuditEventRow
from appliance.services._uow import mutation
from appliance.services.audit_access import check_verify
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import load_identity
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_log import sequence_some
from appliance.services.audit_store import DatabaseLogStorage
from appliance.services.audit_trail import record_audit
from appliance.settings import load_settings
from audit.canonical import canonical_bytes
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import Result
from audit.events import Target
from crypto.hashing import hash_function

ACTOR = Actor(id="agent:alice", role="agent", ip="10.1.2.3", session_id="sess-42")


@mutation
def do_audited_write(n: int) -> None:
    record_audit(
        EventType.MESSAGE_POSTED,
        actor=ACTOR,
        target=Target("conversation", str(n % 97)),
        details={"seq": n, "chars": 200},
    )


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


TAIL = 100  # audited writes pending when a round's read is timed
# The read PostgreSQL ran before migration 0010 (peewee's SQL for it, verbatim).
OLD_PENDING = (
    'SELECT "t1"."id", "t1"."canonical" FROM "audit_event" AS "t1"'
    ' LEFT OUTER JOIN "audit_leaf" AS "t2" ON ("t2"."event_id" = "t1"."id")'
    ' WHERE ("t2"."leaf_index" IS NULL) ORDER BY "t1"."id" LIMIT %s'
)


def _median_ms(read: Callable[[], object], repeat: int = 21) -> float:
    times = []
    for _ in range(repeat):
        with db.atomic():
            start = time.perf_counter()
            read()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _grow_log(identity: LogIdentity, size: int) -> float:
    """Bulk-insert events until `size` exist, sequence them all; return sequencing seconds."""
    event = AuditEvent(
        time_ms=0,
        actor=ACTOR,
        action=EventType.MESSAGE_POSTED,
        target=Target("conversation", "1"),
        result=Result(ok=True),
        details={"seq": 1, "chars": 200},
    )
    with db.connection_context(), db.atomic():
        (have,) = db.execute_sql("SELECT count(*) FROM audit_event").fetchone()
        db.execute_sql(
            "INSERT INTO audit_event (time_ms, actor_id, actor_role, action, target_type,"
            " target_id, result_ok, canonical) SELECT 0, 'agent:alice', 'agent', %s,"
            " 'conversation', '1', true, %s FROM generate_series(1, %s)",
            (int(EventType.MESSAGE_POSTED), canonical_bytes(event), max(0, size - have)),
        )
    start = time.perf_counter()
    sequence_pending(identity)
    seconds = time.perf_counter() - start
    with db.connection_context():
        db.execute_sql("ANALYZE audit_event")
        db.execute_sql("ANALYZE audit_leaf")
    return seconds


def pending_tail(url: str, sizes: list[int]) -> None:
    if not url:
        raise SystemExit("--pending-tail needs --postgres URL")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = init_instance(Path(tmp) / "inst", database_url=url).data_dir
        settings = load_settings(data_dir, environ={})
        bind_database(settings)
        identity = load_identity(settings.keys_dir)
        print(f"pending read of one sequencer round ({TAIL} pending), postgresql, median of 21")
        print(
            f"  {'log size':>9}  {'anti-join':>10}  {'from mark':>10}  {'ratio':>6}  "
            f"{'range':>9}  {'round':>8}  {'backlog':>9}"
        )
        for size in sorted(sizes):
            backlog_s = _grow_log(identity, size)
            with db.connection_context():
                for i in range(TAIL):
                    do_audited_write(i)
                storage = DatabaseLogStorage()
                old_ms = _median_ms(lambda: db.execute_sql(OLD_PENDING, (TAIL,)).fetchall())
                new_ms = _median_ms(partial(storage.pending_events, TAIL))
                old_refs = [r[0] for r in db.execute_sql(OLD_PENDING, (TAIL,)).fetchall()]
                assert sorted(p.ref for p in storage.pending_events(TAIL)) == sorted(old_refs)
                (in_range,) = db.execute_sql(
                    "SELECT count(*) FROM audit_event e, audit_sequencer_state s"
                    " WHERE (e.txid, e.id) >= (s.low_xid, s.low_id)"
                ).fetchone()
                log_size = db.execute_sql("SELECT count(*) FROM audit_leaf").fetchone()[0]
            start = time.perf_counter()
            assert sequence_some(identity, TAIL) == TAIL
            round_ms = (time.perf_counter() - start) * 1000
            print(
                f"  {log_size:>9,}  {old_ms:>8.2f}ms  {new_ms:>8.2f}ms  {old_ms / new_ms:>5.1f}x"
                f"  {in_range:>9,}  {round_ms:>6.1f}ms  {backlog_s:>7.1f}s"
            )
        db.close()
    print("  range: rows from the mark on, all that the new read's index scan may visit")
    print("  round: one real sequencer round over the tail; backlog: sequencing the bulk insert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--postgres", default="", help="postgresql://... to measure PostgreSQL")
    parser.add_argument(
        "--pending-tail",
        default="",
        metavar="SIZES",
        help="comma-separated log sizes: time a round's pending read at each (PostgreSQL)",
    )
    args = parser.parse_args()
    if args.pending_tail:
        pending_tail(args.postgres, [int(size) for size in args.pending_tail.split(",")])
        return
    n = args.events

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = init_instance(Path(tmp) / "inst", database_url=args.postgres).data_dir
        settings = load_settings(data_dir, environ={})
        bind_database(settings)
        identity = load_identity(settings.keys_dir)
        backend = "postgresql" if args.postgres else "sqlite (WAL, synchronous=FULL)"
        print(f"appliance audit path, {n} events, {backend}, hash {identity.hash_name}")

        # Measured as the server runs them: inside a connection held open (the
        # audit job's, a request's); a mutation opening its own costs ~7x more.
        with db.connection_context():
            start = time.perf_counter()
            for i in range(n):
                do_audited_write(i)
            write_s = time.perf_counter() - start

        start = time.perf_counter()
        sequenced = sequence_pending(identity)
        sequence_s = time.perf_counter() - start

        start = time.perf_counter()
        report = check_verify(identity, actor=ACTOR)
        verify_s = time.perf_counter() - start
        assert report.ok, report.summary()

        with db.connection_context():
            payloads = [bytes(r.canonical) for r in AuditEventRow.select(AuditEventRow.canonical)]
        db.close()

    sm3 = hash_function("sm3")
    start = time.perf_counter()
    for payload in payloads:
        sm3(b"\x00" + payload)
    hash_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=wal")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, canonical BLOB)")
        start = time.perf_counter()
        for payload in payloads[:n]:
            raw.execute("BEGIN")
            raw.execute("INSERT INTO t (canonical) VALUES (?)", (payload,))
            raw.execute("COMMIT")
        raw_s = time.perf_counter() - start
        raw.close()

    hashed = hashlib.sha256(b"".join(payloads)).hexdigest()[:8]  # keeps the loop honest
    print(f"  audited writes (1 txn each) {rate(n, write_s)}  {write_s / n * 1e6:8.0f} µs/write")
    print(f"  raw sqlite3 insert+commit   {rate(n, raw_s)}  (durable-write floor, same pragmas)")
    print(f"  sequencer                   {rate(sequenced, sequence_s)}")
    print(
        f"  live verification           {rate(len(payloads), verify_s)}  ({len(payloads)} events)"
    )
    print(f"  baseline: hashlib-class SM3 {rate(len(payloads), hash_s)}  (digest {hashed})")
    print(f"  ratio audited writes / raw durable insert: {raw_s / write_s:.2f}")
    sequencer_ratio = (sequenced / sequence_s) / (len(payloads) / hash_s)
    print(f"  ratio sequencer / plain SM3 hashing:       {sequencer_ratio:.3f}")
    print(f"  ratio verification / plain SM3 hashing:    {hash_s / verify_s:.3f}")


if __name__ == "__main__":
    main()
