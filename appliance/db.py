"""The database handle: one peewee DatabaseProxy bound at start-up.

SQLite (the embedded default) runs in WAL mode with the durability chosen by
database.sqlite_synchronous; PostgreSQL is selected by a postgresql:// URL.

Connection state under gevent (services/_writer.py is the other half): reads
share one connection per OS thread (`_PerThreadState`); the group-commit writer
greenlet runs every transaction on a connection of its own (`WriterState`).
Which of the two a statement uses is decided per greenlet (`_GreenletRouting`),
so the writer may yield in the middle of its transaction: on PostgreSQL its
statements wait for the server cooperatively (`_wait`), and the hub serves
sockets meanwhile, while every other greenlet still reads on the shared
connection and sees committed rows only.
"""

from __future__ import annotations

import logging
import select
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import peewee
from gevent import getcurrent
from gevent.socket import wait_read
from gevent.socket import wait_write
from peewee import Database
from peewee import DatabaseProxy
from peewee import PostgresqlDatabase
from peewee import SqliteDatabase

from appliance.settings import Settings

db = DatabaseProxy()
log = logging.getLogger(__name__)


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
    (services/_writer.py) on a connection of its own (`writer_connection`), and
    a statement on this connection never lets another greenlet run before it
    has its result (`_wait` blocks for it), so no two greenlets ever use it at once.
    """


class WriterState(peewee._ConnectionState):
    """The group-commit writer's own connection state (services/_writer.py)."""


class _GreenletRouting:
    """The connection state peewee sees (`database._state`), resolved per greenlet.

    While the writer runs a batch (`writer_connection`), its greenlet gets its
    own state and every other greenlet the shared per-thread one, whatever the
    order in which they run: so the writer may yield mid-transaction (a
    statement waiting on PostgreSQL, a commit on a pool thread) and the
    greenlets that run meanwhile never see or use its connection. peewee only
    reads and mutates these five attributes and calls the two methods below.
    """

    __slots__ = ("greenlet", "shared", "writer")

    def __init__(self, shared: peewee._ConnectionState) -> None:
        self.shared = shared
        self.writer: WriterState | None = None
        self.greenlet: Any = None  # the writer's greenlet while it runs a batch

    def _state(self) -> Any:
        if getcurrent() is self.greenlet:
            return self.writer
        return self.shared

    @property
    def conn(self) -> Any:
        return self._state().conn

    @property
    def closed(self) -> bool:
        closed: bool = self._state().closed
        return closed

    @property
    def ctx(self) -> list[Any]:
        ctx: list[Any] = self._state().ctx
        return ctx

    @property
    def transactions(self) -> list[Any]:
        transactions: list[Any] = self._state().transactions
        return transactions

    @property
    def commit_callbacks(self) -> list[Any]:
        callbacks: list[Any] = self._state().commit_callbacks
        return callbacks

    def reset(self) -> None:
        self._state().reset()

    def set_connection(self, conn: Any) -> None:
        self._state().set_connection(conn)


def _commit(connection: Any) -> None:
    # peewee runs transactions with explicit BEGIN/COMMIT statements (autocommit
    # connections), on SQLite and PostgreSQL alike.
    connection.cursor().execute("COMMIT")


# --- waiting on PostgreSQL ---------------------------------------------------------------
#
# psycopg2 is C: gevent cannot make its sockets cooperative. With a wait callback
# installed (psycopg2.extensions.set_wait_callback) it sends each statement and
# calls back to wait for the answer. The callback is process-wide, so it decides
# per call: the writer's connection, in the writer's greenlet, waits on the hub
# (other greenlets run meanwhile); any other connection blocks the thread as it
# did without a callback, so the shared read connection is never left mid-
# statement for another greenlet to use. Blocking with the original poll():
# gevent's monkey-patching makes select.select cooperative.

_cooperative: _GreenletRouting | None = None  # the PostgreSQL writer's, while it runs a batch


def _wait(conn: Any) -> None:
    routing = _cooperative
    if routing is not None and getcurrent() is routing.greenlet and conn is routing.writer.conn:  # type: ignore[union-attr]
        _wait_until_ok(conn, wait_read, wait_write)
    else:
        _wait_until_ok(conn, _block_until_readable, _block_until_writable)


# psycopg2.extensions.POLL_OK, POLL_READ, POLL_WRITE (psycopg2 imported only on PostgreSQL).
_POLL_OK, _POLL_READ, _POLL_WRITE = 0, 1, 2


def _wait_until_ok(
    conn: Any, until_readable: Callable[[int], Any], until_writable: Callable[[int], Any]
) -> None:
    """psycopg2's wait loop: poll the connection, wait on its socket as it asks."""
    while True:
        state = conn.poll()
        if state == _POLL_OK:
            return
        if state == _POLL_READ:
            until_readable(conn.fileno())
        elif state == _POLL_WRITE:
            until_writable(conn.fileno())
        else:  # pragma: no cover - psycopg2 returns one of the three
            raise conn.OperationalError(f"bad state from poll: {state}")


def _block_until_readable(fd: int) -> None:
    _block_until(fd, select.POLLIN)


def _block_until_writable(fd: int) -> None:
    _block_until(fd, select.POLLOUT)


def _block_until(fd: int, events: int) -> None:
    """Wait for `fd` holding the whole thread, no other greenlet running meanwhile."""
    poller = _blocking_poll()
    poller.register(fd, events)
    poller.poll()


def _original_poll() -> Callable[[], Any]:
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency
        return select.poll
    poll: Callable[[], Any] = get_original("select", "poll")
    return poll


_blocking_poll = _original_poll()


def _wait_cooperatively(routing: _GreenletRouting) -> None:
    global _cooperative
    from psycopg2 import extensions

    if extensions.get_wait_callback() is not _wait:
        # Once set, for the life of the process; connections opened before work
        # the same (the callback is consulted per statement).
        extensions.set_wait_callback(_wait)
    _cooperative = routing


@contextmanager
def writer_connection(state: WriterState) -> Iterator[Callable[[Any], None]]:
    """Give the calling greenlet (the writer) its own connection for a batch.

    Other greenlets keep the shared connection meanwhile, even when the writer
    yields: on PostgreSQL each of its statements waits for the server on the
    hub, and the commit function this hands out does too. On SQLite, where a
    statement never yields, the commit function commits on the given pool
    thread (the hub serves sockets during the fsync), or right here given None.
    """
    database = db.obj
    routing: _GreenletRouting = database._state
    routing.writer, routing.greenlet = state, getcurrent()
    cooperative = isinstance(database, PostgresqlDatabase)

    def commit(pool: Any | None) -> None:
        connection = state.conn
        if pool is None or cooperative:
            _commit(connection)
        else:
            pool.apply(_commit, (connection,))

    try:
        if database.is_closed():
            database.connect()  # blocks: the new connection is not yet state.conn
        if not state.ctx:
            # Held for the writer's life: a connection_context() inside a job
            # (queries open one) must never close it mid-transaction.
            state.ctx.append(None)
        if cooperative:
            _wait_cooperatively(routing)
        yield commit
    finally:
        routing.writer = routing.greenlet = None


class _ReconnectingPostgresqlDatabase(PostgresqlDatabase):
    """Replaces a connection the server dropped (a PostgreSQL restart, a failover, an
    administrator's pg_terminate_backend) at the next statement outside a transaction.

    The shared connection lives as long as the process (the audit jobs hold it open)
    and so does the writer's, so without this a restart of PostgreSQL would fail every
    later statement until the appliance restarts. A statement inside a transaction is
    never retried: its transaction is gone with the connection, so it fails (the
    writer fails that batch and acknowledges none of it), and the next transaction's
    BEGIN reconnects. peewee's own ReconnectMixin does the same but drops the open
    connection_context()s it closes with, which here are held for a process's life.
    """

    # (exception class, fragment of its message) meaning "this connection is dead".
    _DEAD = (
        (peewee.InterfaceError, "connection already closed"),
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "connection has been closed"),
        (peewee.OperationalError, "ssl connection has been closed"),
    )

    def execute_sql(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        return self._reviving(super().execute_sql, sql, params, *args, **kwargs)

    def begin(self, *args: Any, **kwargs: Any) -> Any:
        return self._reviving(super().begin, *args, **kwargs)

    def _reviving(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (peewee.InterfaceError, peewee.OperationalError) as exc:
            text = str(exc).lower()
            dead = any(isinstance(exc, kind) and part in text for kind, part in self._DEAD)
            if not dead or self.in_transaction():
                raise
        log.warning("database connection lost; reconnecting")
        held = list(self._state.ctx)  # type: ignore[attr-defined]  # open connection_context()s
        self.close()
        self.connect()
        self._state.ctx.extend(held)  # type: ignore[attr-defined]
        return func(*args, **kwargs)


def _share_per_thread(database: Database) -> Database:
    database._state = _GreenletRouting(_PerThreadState())  # type: ignore[attr-defined]
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
        _ReconnectingPostgresqlDatabase(
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
