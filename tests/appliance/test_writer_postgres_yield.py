"""On PostgreSQL the group-commit writer waits for the server on the hub, not blocking it.

While a statement of the writer's transaction waits (here on an advisory lock
this test holds from a connection of its own), other greenlets run and read on
the shared connection, and see none of the batch until it commits. A statement
on the shared connection still blocks: no other greenlet runs in the middle of it.

Runs the real GroupCommitWriter with gevent greenlets in this process, as
test_group_commit.py does. The writer's statement carries a lock_timeout, so
without cooperative waits this fails (the job times out) instead of hanging.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import psycopg2
import pytest
from flask import Flask

from appliance import create_app
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import Message
from appliance.queries.chat import Sender
from appliance.services._uow import install_runner
from appliance.services._uow import mutation
from appliance.services._writer import GroupCommitWriter
from appliance.services.conversations import visitor_actor
from appliance.services.messages import post_message
from appliance.settings import load_settings
from tests.appliance.chat_helpers import Chat
from tests.scratch_postgres import terminate_connections

LOCK_KEY = 7_357_001  # an advisory lock key no product code uses
DEADLINE_S = 10.0


@pytest.fixture
def pg_app(tmp_path: Path, postgres_url: str) -> Flask:
    data_dir = init_instance(tmp_path / "instance", database_url=postgres_url).data_dir
    settings = dataclasses.replace(load_settings(data_dir, environ={}), testing=True)
    return create_app(settings)


@pytest.fixture
def writer(pg_app: Flask) -> Iterator[GroupCommitWriter]:
    writer = GroupCommitWriter(pg_app)
    writer.start()
    install_runner(writer)
    yield writer
    writer.stop()
    install_runner(None)


@pytest.fixture
def conversation(pg_app: Flask) -> tuple[str, str]:
    """(visitor id, conversation id) of a visitor's chat, agent Ann online."""
    chat = Chat(pg_app)
    chat.agent("ann", capacity=5)
    visitor = chat.visitor()
    visitor_id = visitor.received("session_started")[0]["visitor"]["id"]
    conversation_id: str = visitor.start()["id"]
    return str(visitor_id), conversation_id


@pytest.fixture
def lock_holder(postgres_url: str) -> Iterator[Any]:
    """Another session, as another process would be; holds LOCK_KEY until released."""
    connection = psycopg2.connect(postgres_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    yield connection
    connection.close()


@mutation
def _post_then_wait_for_lock(visitor_id: str, conversation_id: str) -> Any:
    posted = post_message(
        conversation_id,
        sender=Sender(type="visitor", id=visitor_id, name="V"),
        actor=visitor_actor(visitor_id),
        client_msg_id="waits-for-the-lock",
        text="stored only once the lock is free",
    )
    db.execute_sql("SET LOCAL lock_timeout = '5s'")
    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    return posted


def _messages_seen_by_others(app: Any, conversation_id: str) -> int:
    with app.app_context(), db.connection_context():
        return int(Message.select().where(Message.conversation_id == conversation_id).count())


def _poll(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        gevent.sleep(0.01)  # lets the other greenlets run between checks


def _writer_waits_on_lock(holder: Any) -> bool:
    with holder.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks"
            " WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
            (LOCK_KEY,),
        )
        return bool(cursor.fetchone()[0])


class _Ticker:
    """A greenlet that counts for as long as it is let run."""

    def __init__(self) -> None:
        self.ticks = 0
        self.greenlet = gevent.spawn(self._count)

    def _count(self) -> None:
        while True:
            self.ticks += 1
            gevent.sleep(0)

    def stop(self) -> None:
        self.greenlet.kill()


def _post_in_background(app: Flask, visitor_id: str, conversation_id: str) -> gevent.Greenlet:
    def post() -> Any:
        with app.app_context():
            return _post_then_wait_for_lock(visitor_id, conversation_id)

    return gevent.spawn(post)


def test_other_greenlets_run_and_read_committed_rows_while_the_writer_waits(
    pg_app: Flask, writer: GroupCommitWriter, conversation: tuple[str, str], lock_holder: Any
) -> None:
    visitor_id, conversation_id = conversation
    ticker = _Ticker()
    poster = _post_in_background(pg_app, visitor_id, conversation_id)
    try:
        # The writer's statement waits on the lock this test holds, and meanwhile
        # this greenlet runs and queries another session.
        _poll(lambda: _writer_waits_on_lock(lock_holder), "the writer to wait on the lock")
        before = ticker.ticks
        _poll(lambda: ticker.ticks > before, "the counter greenlet to run")

        # A read on the shared connection completes, and sees nothing of the batch.
        reader = gevent.spawn(_messages_seen_by_others, pg_app, conversation_id)
        reader.join(DEADLINE_S)
        assert reader.successful(), reader.exception
        assert reader.value == 0
        assert not poster.ready(), "the mutation returned before its batch committed"

        with lock_holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        poster.join(DEADLINE_S)
        assert poster.successful(), poster.exception
        assert poster.value.message["seq"] == 1
        assert _messages_seen_by_others(pg_app, conversation_id) == 1
    finally:
        ticker.stop()
        poster.kill()


def test_a_statement_on_the_shared_connection_still_blocks_the_hub(
    pg_app: Flask, writer: GroupCommitWriter, conversation: tuple[str, str]
) -> None:
    # The wait callback is process-wide once a writer has run a batch on PostgreSQL.
    visitor_id, conversation_id = conversation
    with pg_app.app_context():
        post_message(
            conversation_id,
            sender=Sender(type="visitor", id=visitor_id, name="V"),
            actor=visitor_actor(visitor_id),
            client_msg_id="first",
            text="hello",
        )
    assert psycopg2.extensions.get_wait_callback() is not None
    ticker = _Ticker()
    gevent.sleep(0)
    try:
        with pg_app.app_context(), db.connection_context():
            before = ticker.ticks
            db.execute_sql("SELECT pg_sleep(0.05)")
            assert ticker.ticks == before, "another greenlet ran while the shared one waited"
    finally:
        ticker.stop()


def test_stop_lets_the_batch_under_way_commit(
    pg_app: Flask, writer: GroupCommitWriter, conversation: tuple[str, str], lock_holder: Any
) -> None:
    visitor_id, conversation_id = conversation
    poster = _post_in_background(pg_app, visitor_id, conversation_id)
    _poll(lambda: _writer_waits_on_lock(lock_holder), "the writer to wait on the lock")
    releaser = gevent.spawn(
        lambda: lock_holder.cursor().execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    )
    writer.stop()  # returns once the batch committed, not by killing it mid-statement
    install_runner(None)

    poster.join(DEADLINE_S)
    assert releaser.successful(), releaser.exception
    assert poster.successful(), poster.exception
    assert _messages_seen_by_others(pg_app, conversation_id) == 1
    assert not writer.accepts()


def test_it_reconnects_after_the_server_drops_its_connections(
    pg_app: Flask, writer: GroupCommitWriter, conversation: tuple[str, str], postgres_url: str
) -> None:
    visitor_id, conversation_id = conversation

    def post(client_msg_id: str) -> Any:
        with pg_app.app_context():
            return post_message(
                conversation_id,
                sender=Sender(type="visitor", id=visitor_id, name="V"),
                actor=visitor_actor(visitor_id),
                client_msg_id=client_msg_id,
                text="hello",
            )

    assert post("before").message["seq"] == 1  # the writer's connection is open
    with pg_app.app_context():
        shared = db.connection_context()
        shared.__enter__()  # held open, as the audit jobs hold it in a server
        try:
            assert _messages_seen_by_others(pg_app, conversation_id) == 1
            assert terminate_connections(postgres_url) >= 2

            # The next read and the next message each get a fresh connection.
            assert _messages_seen_by_others(pg_app, conversation_id) == 1
            assert post("after").message["seq"] == 2
            assert _messages_seen_by_others(pg_app, conversation_id) == 2
        finally:
            shared.__exit__(None, None, None)
