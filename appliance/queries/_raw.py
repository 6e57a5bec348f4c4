"""Precompiled SQL for the per-message hot path.

peewee builds a query's SQL anew on every call, ~100+ µs of Python per statement
on this machine, which made SQL generation the largest cost of posting a message
(measured with py-spy under tests/bench/bench_chat.py). The handful of statements
run for every message are written here once, in portable SQL with `?`
placeholders rewritten to the driver's style, and executed directly.
The audit sequencer's bulk inserts (a leaf and its Merkle nodes per event) use
`execute_many` for the same reason. Everything else keeps using peewee's query
builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from appliance.db import db

_compiled: dict[tuple[str, str], str] = {}


def _sql(template: str) -> str:
    param = db.param
    sql = _compiled.get((template, param))
    if sql is None:
        sql = template if param == "?" else template.replace("?", param)
        _compiled[(template, param)] = sql
    return sql


def execute(template: str, params: Sequence[Any] = ()) -> Any:
    """Run `template` (with `?` placeholders) on the current connection; return the cursor."""
    return db.execute_sql(_sql(template), tuple(params))


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
