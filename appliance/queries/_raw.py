"""Precompiled SQL for the per-message hot path.

peewee builds a query's SQL anew on every call, ~100+ µs of Python per statement
on this machine, which made SQL generation the largest cost of posting a message
(measured with py-spy under tests/bench/bench_chat.py). The handful of statements
run for every message are written here once, in portable SQL with `?`
placeholders rewritten to the driver's style, and executed directly.
The audit sequencer's bulk inserts (a leaf and its Merkle nodes per event) use
`execute_many` for the same reason. Everything else keeps using peewee's query
builder.

On PostgreSQL `execute` also spares the server parsing and planning these
statements anew: each is a server-side prepared statement of its connection,
prepared on its first use there (`PREPARE enclave_N AS ...` with `$1`, `$2`, ...;
PostgreSQL infers each parameter's type from where it stands, as it does for a
quoted literal) and then run as `EXECUTE enclave_N (%s, ...)`, which returns the
same rows and row count (`INSERT 0 0` for an `ON CONFLICT DO NOTHING` that
inserted nothing). On the chat bench that took about 30 % off PostgreSQL's CPU
per message (docs/architecture.md, "Measuring the chat path"). Left unprepared:
what PREPARE does not take (EXPLAIN, DDL), and a statement with a LIMIT, planned
for its values at every call as before (see `_preparable`).

Which statements a connection has prepared is kept per psycopg2 connection
object, weakly (gone with it): a new connection, as after a reconnect (db.py),
prepares them again, also when the old one is found dead by an EXECUTE that db.py
then retries on the new one. A PREPARE carries no data, so it cannot fail for a
message's reasons and abort the writer's batch; a rollback does not undo it; and
a name is never reused, so a PREPARE whose answer was lost leaves an unused
statement, never a clash. This assumes a session per connection: not for a
pooler that shares server sessions between transactions (PgBouncer's
transaction mode); the appliance connects to PostgreSQL directly. SQLite's
driver caches its statements itself; its path is unchanged.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Sequence
from typing import Any

import peewee

from appliance.db import db

_compiled: dict[tuple[str, str], str] = {}

# template -> its PREPARE body ("AS ..." with $1..$n) and its number of parameters.
_prepare_bodies: dict[str, tuple[str, int]] = {}
# psycopg2 connection -> {template: "EXECUTE enclave_N (%s, ...)"} for what it has prepared.
_prepared: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_names = itertools.count(1)
_PLACEHOLDER = re.compile(r"\?")
_PREPARABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH")
_NO_SUCH_STATEMENT = "26000"  # invalid_sql_statement_name: "prepared statement ... does not exist"


def _sql(template: str) -> str:
    param = db.param
    sql = _compiled.get((template, param))
    if sql is None:
        sql = template if param == "?" else template.replace("?", param)
        _compiled[(template, param)] = sql
    return sql


def execute(template: str, params: Sequence[Any] = ()) -> Any:
    """Run `template` (with `?` placeholders) on the current connection; return the cursor."""
    if db.param == "?":
        return db.execute_sql(template, tuple(params))
    return _execute_prepared(template, tuple(params))


def _execute_prepared(template: str, params: tuple[Any, ...]) -> Any:
    database = db.obj
    conn = database._state.conn
    statement = _prepared.get(conn) if conn is not None else None
    sql = statement.get(template) if statement is not None else None
    if sql is None:
        if not _preparable(template):
            return database.execute_sql(_sql(template), params)
        sql = _prepare(database, template)
    try:
        return database.execute_sql(sql, params)
    except peewee.DatabaseError as exc:
        # The connection was replaced while this ran: it was found dead outside a
        # transaction and the statement retried on a new one (db.py), which has
        # nothing prepared. Inside a transaction there is no retry; it fails.
        code = getattr(getattr(exc, "orig", None), "pgcode", None)  # peewee keeps psycopg2's
        if code != _NO_SUCH_STATEMENT or database.in_transaction():
            raise
    return database.execute_sql(_prepare(database, template), params)


def _preparable(template: str) -> bool:
    """Whether `template` runs prepared: not an EXPLAIN or DDL (PREPARE takes neither),
    nor a statement with a LIMIT, planned for its values at every call, as before.
    PostgreSQL may switch a prepared statement to a plan made without them, and for
    the audit sequencer's pending read (a range from the mark, LIMIT ?) that plan
    sorts the whole range instead of reading the index up to the limit."""
    text = template.lstrip().upper()
    return text.startswith(_PREPARABLE) and " LIMIT " not in text


def _prepare(database: Any, template: str) -> str:
    """PREPARE `template` on the current connection (opened if need be); return its EXECUTE."""
    body = _prepare_bodies.get(template)
    if body is None:
        numbers = itertools.count(1)
        text = _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", template)
        body = (f"AS {text}", next(numbers) - 1)
        _prepare_bodies[template] = body
    name = f"enclave_{next(_names)}"
    cursor = database.execute_sql(f"PREPARE {name} {body[0]}")
    sql = f"EXECUTE {name}" + (f" ({', '.join(['%s'] * body[1])})" if body[1] else "")
    # cursor.connection: the one it ran on, a new one if the old was found dead.
    _prepared.setdefault(cursor.connection, {})[template] = sql
    return sql


def execute_many(template: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run `template` once per row: bulk inserts without peewee building SQL for
    every value. On SQLite that is the driver's executemany, which stays in C. On
    PostgreSQL, psycopg2's executemany makes a round trip per row (two thirds of the
    sequencer's time for 20k events), so an `INSERT ... VALUES (?, ...)` goes as
    multi-row VALUES pages instead (psycopg2.extras.execute_values)."""
    cursor = db.cursor()
    values = [tuple(row) for row in rows]
    if db.param == "?":
        cursor.executemany(template, values)
        return
    head, separator, _ = template.rpartition(" VALUES ")
    if not separator:
        cursor.executemany(_sql(template), values)
        return
    from psycopg2.extras import execute_values  # only ever imported on PostgreSQL

    execute_values(cursor, f"{head} VALUES %s", values, page_size=500)


def fetch_one(template: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = execute(template, params).fetchone()
    return row
