"""The database handle: one peewee DatabaseProxy bound at start-up.

SQLite (the embedded default) runs in WAL mode with the durability chosen by
database.sqlite_synchronous; PostgreSQL is selected by a postgresql:// URL.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import peewee
from peewee import Database
from peewee import DatabaseProxy
from peewee import PostgresqlDatabase
from peewee import SqliteDatabase

from appliance.settings import Settings

db = DatabaseProxy()


def _os_thread_local() -> type:
    """threading.local as it was before gevent's monkey-patching, if it patched it."""
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency
        import threading

        return threading.local
    local: type = get_original("_thread", "_local")
    return local


class _PerThreadState(peewee._ConnectionState, _os_thread_local()):  # type: ignore[misc]
    """peewee's connection state, keyed by OS thread rather than by greenlet.

    Under gevent, peewee's default state is greenlet-local, so every Socket.IO
    event (a new greenlet) would open its own connection: hundreds of open files
    and half the throughput (research/performance-anchors.md, trap 1). Keyed by
    OS thread, all greenlets share one connection for reads. It is safe because
    in a serving process every transaction runs in the group-commit writer
    (services/_writer.py) on a connection of its own (`writer_connection`).
    """


class WriterState(peewee._ConnectionState):
    """The group-commit writer's own connection state (services/_writer.py)."""


def _commit(connection: Any) -> None:
    # peewee runs transactions with explicit BEGIN/COMMIT statements (autocommit
    # connections), on SQLite and PostgreSQL alike.
    connection.cursor().execute("COMMIT")


@contextmanager
def writer_connection(state: WriterState) -> Iterator[Callable[[Any], None]]:
    """Give the database the writer's connection while the writer runs a batch.

    The writer greenlet never yields inside, except in the commit function this
    hands out when given a pool: it puts the shared state back, so the greenlets
    that run while a pool thread commits read on the shared connection (and see
    committed rows only), then takes the writer's state again for the end of the
    transaction. Given None, it commits right here, on the hub.
    """
    database = db.obj
    shared = database._state

    def commit_elsewhere(pool: Any | None) -> None:
        connection = state.conn
        if pool is None:
            _commit(connection)
            return
        database._state = shared
        try:
            pool.apply(_commit, (connection,))
        finally:
            database._state = state

    database._state = state
    try:
        if database.is_closed():
            database.connect()
        if not state.ctx:
            # Held for the writer's life: a connection_context() inside a job
            # (queries open one) must never close it mid-transaction.
            state.ctx.append(None)
        yield commit_elsewhere
    finally:
        database._state = shared


def _share_per_thread(database: Database) -> Database:
    database._state = _PerThreadState()  # type: ignore[attr-defined]
    return database


def open_database(settings: Settings) -> Database:
    """A peewee database for `settings` (not yet connected)."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        return _share_per_thread(
            SqliteDatabase(
                url.removeprefix("sqlite:///"),
                pragmas={
                    "journal_mode": "wal",
                    "synchronous": settings.database.sqlite_synchronous,
                    "foreign_keys": 1,
                    # Wait for another process's write lock instead of failing at once.
                    "busy_timeout": 5000,
                },
                # The hub's shared connection is used by many greenlets of one thread,
                # and the writer's by one thread only; see _PerThreadState.
                check_same_thread=False,
            )
        )
    parts = urlsplit(url)
    return _share_per_thread(
        PostgresqlDatabase(
            parts.path.lstrip("/"),
            user=parts.username,
            password=parts.password,
            host=parts.hostname,
            port=parts.port or 5432,
        )
    )


def bind_database(settings: Settings) -> Database:
    """Open the instance database and bind the process-wide proxy to it."""
    database = open_database(settings)
    db.initialize(database)
    return database
