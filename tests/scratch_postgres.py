"""A scratch PostgreSQL database, created fresh and dropped at the end, however the run
ended: one per test (tests/conftest.py `postgres_url`) or per benchmark run
(tests/bench/bench_chat.py). The server: 127.0.0.1:5432, user postgres, trust
authentication.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"


def _admin() -> Any:
    import psycopg2  # type: ignore[import-untyped]

    connection = psycopg2.connect(
        host=HOST, port=PORT, user=USER, dbname="postgres", connect_timeout=3
    )
    connection.autocommit = True
    return connection


def _query(sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def unreachable() -> str | None:
    """Why no scratch database can be made, or None."""
    try:
        _query("SELECT 1")
    except ImportError:
        return "psycopg2 is not installed (pip install -e '.[postgres]')"
    except Exception as exc:  # no server, no role, refused: say which, no more
        return f"PostgreSQL is not reachable on {HOST}:{PORT} as {USER} ({type(exc).__name__})"
    return None


def server_version() -> str:
    return str(_query("SHOW server_version")[0][0]).split()[0]


@dataclass(frozen=True)
class ScratchDatabase:
    name: str

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@{HOST}:{PORT}/{self.name}"

    def backend_pids(self) -> list[int]:
        """The server processes serving connections to this database (the product's)."""
        rows = _query("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,))
        return sorted(pid for (pid,) in rows)

    def pin_backends(self, cpu: int) -> list[int]:
        """Confine this database's backends to `cpu` (when it may); returns their pids.

        A backend lives as long as its connection, so this reaches no other database's.
        """
        pids = self.backend_pids()
        for pid in pids:
            with suppress(PermissionError, ProcessLookupError):  # not ours / gone
                os.sched_setaffinity(pid, {cpu})
        return pids


@contextmanager
def scratch_database(prefix: str = "enclave_bench") -> Iterator[ScratchDatabase]:
    """A fresh, empty database; dropped on the way out, however the run ended."""
    database = ScratchDatabase(f"{prefix}_{secrets.token_hex(6)}")
    _query(f'CREATE DATABASE "{database.name}"')
    try:
        yield database
    finally:
        # FORCE: a server the run failed to stop must not keep the database alive.
        _query(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def terminate_connections(url: str) -> int:
    """End every connection to `url`'s database but this one: what a PostgreSQL
    restart does to a process's connections. Returns how many were ended."""
    rows = _query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (urlsplit(url).path.lstrip("/"),),
    )
    return int(rows[0][0])
