"""The database handle: one peewee DatabaseProxy bound at start-up.

SQLite (the embedded default) runs in WAL mode with the durability chosen by
database.sqlite_synchronous; PostgreSQL is selected by a postgresql:// URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from peewee import Database
from peewee import DatabaseProxy
from peewee import PostgresqlDatabase
from peewee import SqliteDatabase

from appliance.settings import Settings

db = DatabaseProxy()


def open_database(settings: Settings) -> Database:
    """A peewee database for `settings` (not yet connected)."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        return SqliteDatabase(
            url.removeprefix("sqlite:///"),
            pragmas={
                "journal_mode": "wal",
                "synchronous": settings.database.sqlite_synchronous,
                "foreign_keys": 1,
                # Wait for another process's write lock instead of failing at once.
                "busy_timeout": 5000,
            },
        )
    parts = urlsplit(url)
    return PostgresqlDatabase(
        parts.path.lstrip("/"),
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )


def bind_database(settings: Settings) -> Database:
    """Open the instance database and bind the process-wide proxy to it."""
    database = open_database(settings)
    db.initialize(database)
    return database
