"""The database handle: one peewee DatabaseProxy bound at start-up.

SQLite (the embedded default) runs in WAL mode with the durability chosen by
database.sqlite_synchronous; PostgreSQL is selected by a postgresql:// URL.
"""

from __future__ import annotations

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
    OS thread, all greenlets share one connection. It is safe because in a
    serving process every transaction runs in the group-commit writer
    (services/_writer.py), which never yields while one is open.
    """


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
