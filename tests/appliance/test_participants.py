"""Who took part in a conversation (conversation_participant), on SQLite and PostgreSQL.

Every change of who holds a conversation writes its participant rows in the same
transaction: start, assignment, accepted offer, pickup, transfer, re-queue, close.
Migration 0011 backfills the conversations that existed before it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from peewee import IntegrityError
from peewee import PostgresqlDatabase
from peewee import SqliteDatabase

from appliance import clock
from appliance.db import db
from appliance.migrations import available
from appliance.models import Conversation
from appliance.models import ConversationParticipant
from appliance.queries.participants import Stay
from appliance.queries.participants import agents_of
from appliance.queries.participants import participants_of
from appliance.services.participants import agent_joined
from appliance.services.presence import sweep
from tests.appliance.chat_helpers import Chat
from tests.appliance.routing_helpers import make_queue


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


def _stays(app, conversation_id):
    with app.app_context(), db.connection_context():
        return participants_of(conversation_id)


def _row(app, conversation_id):
    with app.app_context(), db.connection_context():
        return Conversation.get_by_id(conversation_id)


def _agent_id(party):
    return party.received("agent_state")[0]["agent"]["id"]


def _who(stays):
    """(kind, principal, left_reason) of each stay, in order; None while present."""
    return [(s.kind, s.principal_id, s.left_reason) for s in stays]


def test_it_records_the_visitor_when_a_conversation_starts(chat):
    visitor = chat.visitor()
    conversation = visitor.start()  # nobody online: it waits
    assert conversation["status"] == "queued"
    row = _row(chat.app, conversation["id"])

    [stay] = _stays(chat.app, conversation["id"])

    assert stay == Stay("visitor", row.visitor_id, "visitor", row.opened_ms, None, None)


def test_it_records_the_agent_an_assignment_gives_the_conversation(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    row = _row(chat.app, conversation["id"])

    visitor, agent = _stays(chat.app, conversation["id"])

    assert visitor.kind == "visitor"
    assert agent == Stay("agent", str(_agent_id(ann)), "assignee", row.assigned_ms, None, None)


def test_it_records_an_offered_agent_only_once_they_accept(chat):
    make_queue(chat.app, "loans", offer_timeout_seconds=10)
    ann = chat.agent("ann", groups=("loans",))
    conversation = chat.visitor().start(group="loans")
    assert conversation["status"] == "offered"
    assert _who(_stays(chat.app, conversation["id"])) == [
        ("visitor", _row(chat.app, conversation["id"]).visitor_id, None)
    ]

    ann.ok("accept_offer", {"conversation_id": conversation["id"]})

    [_, agent] = _stays(chat.app, conversation["id"])
    assert (agent.principal_id, agent.role, agent.left_ms) == (
        str(_agent_id(ann)),
        "assignee",
        None,
    )
    assert agent.joined_ms == _row(chat.app, conversation["id"]).assigned_ms


def test_it_records_nobody_for_a_declined_offer(chat):
    make_queue(chat.app, "loans", offer_timeout_seconds=10)
    ann = chat.agent("ann", groups=("loans",))
    conversation = chat.visitor().start(group="loans")
    ann.ok("decline_offer", {"conversation_id": conversation["id"]})

    assert [s.kind for s in _stays(chat.app, conversation["id"])] == ["visitor"]


def test_it_records_an_agent_who_picks_up_from_a_manual_queue(chat):
    make_queue(chat.app, "wealth", strategy="manual")
    ann = chat.agent("ann", groups=("wealth",))
    conversation = chat.visitor().start(group="wealth")
    ann.ok("pick_up", {"conversation_id": conversation["id"]})

    [_, agent] = _stays(chat.app, conversation["id"])
    assert (agent.principal_id, agent.left_ms) == (str(_agent_id(ann)), None)


def test_it_records_both_sides_of_a_transfer_to_an_agent(chat):
    ann = chat.agent("ann", capacity=1)
    conversation = chat.visitor().start()
    bob = chat.agent("bob")
    ann.ok(
        "transfer_conversation",
        {"conversation_id": conversation["id"], "to_agent_id": _agent_id(bob), "note": "refund"},
    )

    visitor, before, after = _stays(chat.app, conversation["id"])

    assert (visitor.kind, visitor.left_ms) == ("visitor", None)
    assert (before.principal_id, before.left_reason) == (str(_agent_id(ann)), "transferred")
    assert (after.principal_id, after.left_ms) == (str(_agent_id(bob)), None)
    assert before.left_ms == after.joined_ms == _row(chat.app, conversation["id"]).assigned_ms


def test_it_records_a_transfer_to_a_queue_and_whoever_takes_it_there(chat):
    make_queue(chat.app, "fraud")
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    ann.ok("transfer_conversation", {"conversation_id": conversation["id"], "to_queue": "fraud"})
    [visitor, before] = _stays(chat.app, conversation["id"])
    assert before.left_reason == "transferred"
    cat = chat.agent("cat", groups=("fraud",))

    stays = _stays(chat.app, conversation["id"])

    assert _who(stays) == [
        ("visitor", visitor.principal_id, None),
        ("agent", str(_agent_id(ann)), "transferred"),
        ("agent", str(_agent_id(cat)), None),
    ]


def test_it_leaves_the_stays_alone_when_a_transfer_is_refused(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    bob = chat.agent("bob", online=False)
    before = _stays(chat.app, conversation["id"])
    refused = ann.emit(
        "transfer_conversation",
        {"conversation_id": conversation["id"], "to_agent_id": _agent_id(bob)},
    )
    assert refused["code"] == "agent_unavailable"

    assert _stays(chat.app, conversation["id"]) == before


def test_it_records_the_agent_leaving_when_they_go_offline(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    ann.ok("set_status", {"status": "offline"})
    bob = chat.agent("bob")

    _, gone, taken = _stays(chat.app, conversation["id"])

    assert (gone.principal_id, gone.left_reason) == (str(_agent_id(ann)), "agent_offline")
    assert (taken.principal_id, taken.left_ms) == (str(_agent_id(bob)), None)


def test_it_records_the_agent_leaving_after_the_disconnect_grace(chat):
    ann = chat.agent("ann")
    ann_id = _agent_id(ann)
    conversation = chat.visitor().start()
    ann.client.disconnect(namespace="/agent")
    grace_ms = chat.app.extensions["enclave"].settings.routing.disconnect_grace_seconds * 1000
    with chat.app.app_context(), db.connection_context():
        assert sweep(clock.now_ms() + grace_ms + 1_000)["agents_gone"] == 1

    [_, gone] = _stays(chat.app, conversation["id"])

    assert (gone.principal_id, gone.left_reason) == (str(ann_id), "agent_disconnected")
    assert gone.left_ms is not None


def test_it_records_everyone_leaving_when_the_conversation_closes(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    ann.ok("close_conversation", {"conversation_id": conversation["id"]})
    closed_ms = _row(chat.app, conversation["id"]).closed_ms

    stays = _stays(chat.app, conversation["id"])

    assert [(s.kind, s.left_ms, s.left_reason) for s in stays] == [
        ("visitor", closed_ms, "closed"),
        ("agent", closed_ms, "closed"),
    ]


def test_it_allows_one_open_stay_per_agent_and_conversation(chat):
    ann = chat.agent("ann")
    conversation = chat.visitor().start()
    app, connected = chat.app.app_context(), db.connection_context()
    with app, connected, pytest.raises(IntegrityError), db.atomic():
        agent_joined(conversation["id"], _agent_id(ann), clock.now_ms())
    assert len(_stays(chat.app, conversation["id"])) == 2


def test_it_lists_every_agent_who_held_a_chat_in_the_customer_panel(chat):
    ann = chat.agent("ann", capacity=1)
    visitor = chat.visitor()
    token = visitor.received("session_started")[0]["visitor_token"]
    first = visitor.start()
    bob = chat.agent("bob")
    ann.ok("transfer_conversation", {"conversation_id": first["id"], "to_agent_id": _agent_id(bob)})
    bob.ok("close_conversation", {"conversation_id": first["id"]})
    second = chat.visitor({"visitor_token": token}).start()
    holder = ann if _row(chat.app, second["id"]).agent_id == _agent_id(ann) else bob

    [past] = holder.ok("customer_history", {"conversation_id": second["id"]})["conversations"]

    assert past["agent"]["name"] == "Bob"
    assert past["agents"] == [
        {"id": _agent_id(ann), "name": "Ann"},
        {"id": _agent_id(bob), "name": "Bob"},
    ]
    with chat.app.app_context(), db.connection_context():
        assert agents_of([first["id"], "nobody"]) == {
            first["id"]: [_agent_id(ann), _agent_id(bob)],
            "nobody": [],
        }


# migration 0011


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """An empty database of either kind, not bound to the app."""
    if request.param == "sqlite":
        database = SqliteDatabase(str(tmp_path / "old.db"))
    else:
        url = request.getfixturevalue("postgres_url")
        database = PostgresqlDatabase(
            urlsplit(url).path.lstrip("/"), host="127.0.0.1", user="postgres"
        )
    yield database
    database.close()


_CONVERSATION = (
    'INSERT INTO conversation (id, visitor_id, "group", status, agent_id, last_seq,'
    " visitor_read_seq, agent_read_seq, opened_ms, queued_ms, assigned_ms, closed_ms,"
    " closed_by, vip, min_level, declined_by)"
    " VALUES (?, ?, 'general', ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, 0, 1, '')"
)


def test_the_migration_backfills_the_conversations_before_it(old_database):
    *before, participants = available()[:11]  # as an instance of the previous release
    assert participants.name == "participants"
    for migration in before:
        with old_database.atomic():
            migration.module.up(old_database)
    rows = [
        # id, visitor, status, agent, opened, queued, assigned, closed, closed_by
        ("c-waiting", "v1", "queued", None, 100, 100, None, None, None),
        ("c-offered", "v2", "offered", 8, 200, 200, None, None, None),
        ("c-held", "v3", "assigned", 7, 300, 300, 310, None, None),
        ("c-done", "v4", "closed", 7, 400, 400, 410, 490, "agent"),
        ("c-gave-up", "v4", "closed", None, 500, 500, None, 520, "visitor"),
    ]
    sql = (
        _CONVERSATION.replace("?", "%s")
        if isinstance(old_database, PostgresqlDatabase)
        else _CONVERSATION
    )
    for row in rows:
        old_database.execute_sql(sql, row)

    with old_database.atomic():
        participants.module.up(old_database)

    with ConversationParticipant.bind_ctx(old_database):
        found = {cid: participants_of(cid) for cid, *_ in rows}
    assert found == {
        "c-waiting": [Stay("visitor", "v1", "visitor", 100, None, None)],
        "c-offered": [Stay("visitor", "v2", "visitor", 200, None, None)],  # an offer is no stay
        "c-held": [
            Stay("visitor", "v3", "visitor", 300, None, None),
            Stay("agent", "7", "assignee", 310, None, None),
        ],
        "c-done": [
            Stay("visitor", "v4", "visitor", 400, 490, "closed"),
            Stay("agent", "7", "assignee", 410, 490, "closed"),
        ],
        "c-gave-up": [Stay("visitor", "v4", "visitor", 500, 520, "closed")],
    }
    # The one-open-stay index exists on the migrated table.
    with pytest.raises(IntegrityError), old_database.atomic():
        old_database.execute_sql(
            "INSERT INTO conversation_participant (conversation_id, kind, principal_id, role,"
            " joined_ms) VALUES ('c-held', 'agent', '7', 'assignee', 999)"
        )
