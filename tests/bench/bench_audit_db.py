"""Benchmark the appliance's audit write path through its database (a script, not a test).

    .venv/bin/python tests/bench/bench_audit_db.py [--events N] [--postgres URL]

In one run, on a fresh instance (SQLite, WAL, synchronous=FULL unless --postgres):
- audited writes: N @mutation transactions, each writing one audit event with
  record_audit() and committing (what every state change pays);
- the sequencer: sequence_pending() over those N events (leaf and node hashes,
  INSERTs into audit_leaf/audit_node), events/s;
- live verification: check_verify() over the whole log, events/s;
beside two baselines measured in the same run: plain hashing (hashlib SM3) of
the same canonical bytes, and raw sqlite3 inserting the same bytes one row per
committed transaction under the same pragmas (the floor for a durable write).
Exit status is always 0: shared CI machines are too noisy to gate on timing.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance.db import bind_database
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import AuditEventRow
from appliance.services._uow import mutation
from appliance.services.audit_access import check_verify
from appliance.services.audit_log import load_identity
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_trail import record_audit
from appliance.settings import load_settings
from audit.events import Actor
from audit.events import EventType
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--postgres", default="", help="postgresql://... to measure PostgreSQL")
    args = parser.parse_args()
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
