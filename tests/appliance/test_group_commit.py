"""The group-commit writer: concurrent mutations share transactions, each acked after commit.

Runs the real GroupCommitWriter with gevent greenlets in this process (no
monkey-patching needed: the writer and its events are gevent's own).
"""

from __future__ import annotations

import gevent
import pytest

from appliance import errors
from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Message
from appliance.queries.chat import Sender
from appliance.services._uow import install_runner
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
def conversations(any_app):
    chat = Chat(any_app)
    chat.agent("ann", capacity=50)
    visitors = [chat.visitor() for _ in range(4)]
    started = [v.received("session_started")[0]["visitor"]["id"] for v in visitors]
    return [(vid, v.start()["id"]) for vid, v in zip(started, visitors, strict=True)]


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
