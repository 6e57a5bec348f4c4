"""The group-commit writer: concurrent mutations share transactions, each acked after commit.

Runs the real GroupCommitWriter with gevent greenlets in this process (no
monkey-patching needed: the writer and its events are gevent's own).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import gevent
import peewee
import pytest

from appliance import errors
from appliance.db import db
from appliance.db import open_database
from appliance.extensions import socketio
from appliance.models import AuditEventRow
from appliance.models import Message
from appliance.queries.chat import Sender
from appliance.services._uow import install_runner
from appliance.services._writer import OFF_HUB_MIN_BATCH
from appliance.services._writer import GroupCommitWriter
from appliance.services.conversations import visitor_actor
from appliance.services.messages import post_message
from audit.events import EventType
from tests.appliance.chat_helpers import Chat


@pytest.fixture
def writer(any_app):
    writer = GroupCommitWriter(any_app)
    writer.start()
    install_runner(writer)
    yield writer
    install_runner(None)
    writer.stop()


@pytest.fixture
def desk(any_app):
    """Ann (an agent on the Socket.IO test client) and four visitors' conversations with her."""
    chat = Chat(any_app)
    ann = chat.agent("ann", capacity=50)
    visitors = [chat.visitor() for _ in range(4)]
    started = [v.received("session_started")[0]["visitor"]["id"] for v in visitors]
    return ann, [(vid, v.start()["id"]) for vid, v in zip(started, visitors, strict=True)]


@pytest.fixture
def conversations(desk):
    return desk[1]


def _post(app, visitor_id, conversation_id, client_msg_id, text="hi"):
    with app.app_context():
        return post_message(
            conversation_id,
            sender=Sender(type="visitor", id=visitor_id, name="V"),
            actor=visitor_actor(visitor_id),
            client_msg_id=client_msg_id,
            text=text,
        )


def test_it_commits_concurrent_messages_together_and_acks_each(any_app, conversations, writer):
    jobs = [
        gevent.spawn(_post, any_app, vid, cid, f"{cid[:6]}-{n}")
        for n in range(25)
        for vid, cid in conversations
    ]
    gevent.joinall(jobs, raise_error=True)

    assert writer.jobs == 100
    assert writer.batches < writer.jobs / 4  # many messages per commit
    with db.connection_context():
        assert Message.select().count() == 100
        posted = AuditEventRow.select().where(AuditEventRow.action == int(EventType.MESSAGE_POSTED))
        assert posted.count() == 100
    for _, cid in conversations:
        seqs = sorted(
            j.value.message["seq"] for j in jobs if j.value.message["conversation_id"] == cid
        )
        assert seqs == list(range(1, 26))


def test_it_fails_only_the_failing_job_of_a_batch(any_app, conversations, writer):
    (vid, cid), (other_vid, other_cid) = conversations[:2]
    with any_app.app_context():
        from appliance.services.conversations import do_close_conversation

        do_close_conversation(other_cid, closed_by="visitor", actor=visitor_actor(other_vid))
    good = [gevent.spawn(_post, any_app, vid, cid, f"ok-{n}") for n in range(10)]
    bad = gevent.spawn(_post, any_app, other_vid, other_cid, "refused")
    gevent.joinall([*good, bad])

    assert isinstance(bad.exception, errors.ConversationClosed)
    assert all(job.successful() for job in good)
    with db.connection_context():
        assert Message.select().where(Message.conversation_id == cid).count() == 10
        assert Message.select().where(Message.conversation_id == other_cid).count() == 0


def test_it_stores_a_resend_racing_its_original_once(any_app, conversations, writer):
    vid, cid = conversations[0]
    jobs = [gevent.spawn(_post, any_app, vid, cid, "same") for _ in range(5)]
    gevent.joinall(jobs, raise_error=True)

    assert sorted(job.value.duplicate for job in jobs) == [False, True, True, True, True]
    assert len({job.value.message["seq"] for job in jobs}) == 1
    with db.connection_context():
        assert Message.select().where(Message.conversation_id == cid).count() == 1


# --- the order: commit, then ack and emits --------------------------------------------------


def _recording_sqlite(timeline: list[tuple[str, str]]) -> type[sqlite3.Connection]:
    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            cursor = super().execute(sql, parameters)
            if sql.strip().upper() == "COMMIT":
                timeline.append(("commit", ""))  # COMMIT returned: the batch is durable
            return cursor

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = Cursor) -> Any:
            return super().cursor(factory)

    return Connection


def _recording_postgres(timeline: list[tuple[str, str]]) -> type:
    import psycopg2.extensions

    class Cursor(psycopg2.extensions.cursor):  # type: ignore[misc]
        def execute(self, query: Any, vars: Any = None) -> None:
            super().execute(query, vars)
            if isinstance(query, str) and query.strip().upper() == "COMMIT":
                timeline.append(("commit", ""))

    return Cursor


@pytest.fixture
def timeline(any_app, monkeypatch):
    """What happened, in order, recorded below our code: each COMMIT the database driver
    completed (on connections opened from now on: the writer opens its own at its first
    batch) and each emit Flask-SocketIO was asked for. Tests add their acks."""
    events: list[tuple[str, str]] = []
    database = db.obj
    if isinstance(database, peewee.SqliteDatabase):
        monkeypatch.setitem(database.connect_params, "factory", _recording_sqlite(events))
    else:
        monkeypatch.setitem(database.connect_params, "cursor_factory", _recording_postgres(events))
    emit = socketio.emit

    def recording_emit(event: str, payload: Any, **kwargs: Any) -> Any:
        events.append((f"emit {event} {kwargs.get('namespace')}", payload["client_msg_id"]))
        return emit(event, payload, **kwargs)

    monkeypatch.setattr(socketio, "emit", recording_emit)
    return events


@pytest.fixture
def observer(any_app):
    """A connection of its own, as another process would have: it sees committed rows only."""
    database = open_database(any_app.extensions["enclave"].settings)
    database.connect()
    p = database.param

    def committed(conversation_id: str, client_msg_id: str) -> tuple[int, int]:
        """(the message stored?, MESSAGE_POSTED events of the conversation), as committed."""
        message = database.execute_sql(
            f"SELECT COUNT(*) FROM message WHERE conversation_id = {p} AND client_msg_id = {p}",
            (conversation_id, client_msg_id),
        ).fetchone()[0]
        audited = database.execute_sql(
            f"SELECT COUNT(*) FROM audit_event WHERE action = {p} AND target_id = {p}",
            (int(EventType.MESSAGE_POSTED), conversation_id),
        ).fetchone()[0]
        return int(message), int(audited)

    yield committed
    database.close()


@pytest.mark.parametrize(
    "per_conversation",
    [1, OFF_HUB_MIN_BATCH // 4],  # 4 jobs commit on the hub; 16 on a pool thread
    ids=["commit-on-hub", "commit-off-hub"],
)
def test_it_acks_and_emits_each_message_only_after_its_batch_commits(
    any_app, desk, writer, timeline, observer, per_conversation
):
    ann, conversations = desk
    ann.pull()  # what the fixture's chats sent her
    seen_at_ack: dict[str, tuple[int, int, int]] = {}

    def post_and_ack(visitor_id: str, conversation_id: str, client_msg_id: str) -> None:
        posted = _post(any_app, visitor_id, conversation_id, client_msg_id)
        timeline.append(("ack", client_msg_id))  # post_message returned: the sender's ack
        seq = posted.message["seq"]
        seen_at_ack[client_msg_id] = (*observer(conversation_id, client_msg_id), seq)

    jobs = [
        gevent.spawn(post_and_ack, vid, cid, f"{cid[:6]}-{n}")
        for n in range(per_conversation)
        for vid, cid in conversations
    ]
    gevent.joinall(jobs, raise_error=True)

    count = len(jobs)
    assert (writer.batches, writer.jobs) == (1, count), "the messages shared one batch"
    kinds = [kind for kind, _ in timeline]
    assert kinds.count("commit") == 1, timeline
    commit = kinds.index("commit")
    acks = [i for i, (kind, _) in enumerate(timeline) if kind == "ack"]
    emits = [i for i, (kind, _) in enumerate(timeline) if kind.startswith("emit ")]
    assert len(acks) == count
    assert len(emits) == 2 * count  # to the agent and to the visitor, each message
    assert commit < min(acks + emits), f"acked or emitted before the commit: {timeline}"
    # At its ack, another connection already saw the message and its audit event committed.
    for client_msg_id, (stored, audited, seq) in seen_at_ack.items():
        assert stored == 1, client_msg_id
        assert audited >= seq, client_msg_id
    assert len(ann.received("message_posted")) == count  # the emits reached her
