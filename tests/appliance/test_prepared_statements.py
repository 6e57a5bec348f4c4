"""On PostgreSQL the precompiled statements (queries/_raw.py) are server-side prepared.

Each connection prepares a statement on its first use and then EXECUTEs it: the
same rows, row counts, NULLs and bytes as the plain statement. A new connection
(after the server dropped the old one) prepares them again, including when the
drop is found by an EXECUTE, which db.py then retries on the new connection. On
SQLite nothing changes. Whole-path coverage (resends through the prepared
INSERT, a failing unit in a batch) is in test_chat_resend.py and
test_group_commit.py, which run on both databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.db import db
from appliance.instance import init_instance
from appliance.queries._raw import execute
from appliance.queries._raw import fetch_one
from appliance.queries.chat import _CONVERSATION_BY_ID
from appliance.queries.chat import _MESSAGE_BY_CLIENT_ID
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_store import _READ_PENDING
from tests.appliance.audit_helpers import bind
from tests.scratch_postgres import terminate_connections

_CREATE = "CREATE TEMP TABLE probe (k TEXT PRIMARY KEY, n BIGINT, ok BOOLEAN, data BYTEA)"
_INSERT = "INSERT INTO probe (k, n, ok, data) VALUES (?, ?, ?, ?) ON CONFLICT (k) DO NOTHING"
_SELECT = "SELECT k, n, ok, data FROM probe WHERE k = ?"
_BUMP = "UPDATE probe SET n = n + 1 WHERE k = ? RETURNING n"


@pytest.fixture
def pg(tmp_path: Path, postgres_url: str) -> LogIdentity:
    return bind(init_instance(tmp_path / "inst", database_url=postgres_url).data_dir)


def _prepared_here() -> list[str]:
    rows = db.execute_sql("SELECT statement FROM pg_prepared_statements ORDER BY name").fetchall()
    return [row[0] for row in rows]


def _roundtrip() -> list[Any]:
    execute(_CREATE)
    counts = [
        execute(_INSERT, ("a", 2**40, True, b"\x00\\x'")).rowcount,
        execute(_INSERT, ("a", 1, False, b"")).rowcount,  # ON CONFLICT DO NOTHING
        execute(_INSERT, ("b", None, None, None)).rowcount,
    ]
    bumped = [fetch_one(_BUMP, (key,)) for key in ("a", "b", "missing")]
    rows = [fetch_one(_SELECT, (key,)) for key in ("a", "b", "missing")]
    return [counts, bumped, [row and (*row[:3], bytes(row[3] or b"")) for row in rows]]


_EXPECTED = [
    [1, 0, 1],
    [(2**40 + 1,), (None,), None],
    [("a", 2**40 + 1, True, b"\x00\\x'"), ("b", None, None, b""), None],
]


def test_it_gives_the_plain_statements_results_on_sqlite(tmp_path: Path) -> None:
    bind(init_instance(tmp_path / "inst").data_dir)
    with db.connection_context():
        assert _roundtrip() == _EXPECTED


def test_it_prepares_each_statement_once_per_connection(pg: LogIdentity) -> None:
    with db.connection_context():
        with db.atomic():
            assert _roundtrip() == _EXPECTED
        prepared = _prepared_here()
        assert len(prepared) == 3, prepared  # the CREATE is not preparable; run plainly
        assert all(text.startswith("PREPARE enclave_") for text in prepared), prepared
        assert any("VALUES ($1, $2, $3, $4)" in text for text in prepared), prepared
        assert fetch_one(_SELECT, ("a",)) is not None  # a prepared one, run again
        assert len(_prepared_here()) == 3


def test_a_statement_prepared_in_a_rolled_back_transaction_still_runs(pg: LogIdentity) -> None:
    with db.connection_context():
        with pytest.raises(ZeroDivisionError), db.atomic():
            assert fetch_one(_CONVERSATION_BY_ID, ("nope",)) is None
            raise ZeroDivisionError
        assert len(_prepared_here()) == 1  # PREPARE is not undone by a rollback
        assert fetch_one(_CONVERSATION_BY_ID, ("nope",)) is None
        assert len(_prepared_here()) == 1


def test_a_new_connection_prepares_its_statements_again(pg: LogIdentity, postgres_url: str) -> None:
    with db.connection_context():  # held open, as the audit jobs hold it in a server
        assert fetch_one(_CONVERSATION_BY_ID, ("nope",)) is None
        first = db.connection()
        assert terminate_connections(postgres_url) >= 1

        # Found dead by an EXECUTE: db.py retries it on a new connection, which has
        # nothing prepared; the statement is prepared there and run.
        assert fetch_one(_CONVERSATION_BY_ID, ("nope",)) is None
        assert db.connection() is not first
        assert len(_prepared_here()) == 1

        # Found dead by a first use's PREPARE: prepared on the new connection.
        second = db.connection()
        assert terminate_connections(postgres_url) >= 1
        assert fetch_one(_MESSAGE_BY_CLIENT_ID, ("c", "visitor", "v", "m")) is None
        assert db.connection() is not second
        assert fetch_one(_CONVERSATION_BY_ID, ("nope",)) is None
        assert len(_prepared_here()) == 2


def test_a_statement_with_a_limit_runs_unprepared(pg: LogIdentity) -> None:
    # Planned for its values at every call: a plan made without them (which
    # PostgreSQL may switch a prepared statement to) sorts the sequencer's whole
    # pending range instead of reading the index from the mark up to the limit.
    with db.connection_context():
        execute(_READ_PENDING, ("0", 0, 10)).fetchall()
        assert execute("EXPLAIN SELECT id FROM audit_event WHERE id = ?", (1,)).fetchall()
        assert _prepared_here() == []
    sequence_pending(pg)  # the sequencer's other statements are prepared
    with db.connection_context():
        assert not [text for text in _prepared_here() if "LIMIT" in text]
