"""An agent is disconnected only when no node holds a connection of theirs
(services/agent_connections.py), on SQLite and PostgreSQL.

Two nodes are named here explicitly ("node-a", "node-b"); what a node's own routing
sweep does for it (refresh its rows) is called by hand, at the times chosen."""

from __future__ import annotations

import pytest

from appliance import clock
from appliance.db import db
from appliance.models import AgentPresence
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.models.connections import AgentConnection
from appliance.services.agent_connections import agent_connection_closed
from appliance.services.agent_connections import connection_ttl_ms
from appliance.services.agent_connections import do_agent_connected
from appliance.services.agent_connections import refresh_node
from appliance.services.conversations import choose_queue
from appliance.services.conversations import do_set_status
from appliance.services.conversations import start_or_resume
from appliance.services.presence import sweep
from appliance.services.visitors import new_anonymous
from audit.canonical import event_from_canonical
from audit.events import Actor
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.directory_helpers import make_agent

SETUP = Actor(id="test:setup", role="operator")


@pytest.fixture
def ctx(any_app):
    with any_app.app_context(), db.connection_context():
        yield any_app


@pytest.fixture
def ann(ctx) -> int:
    """An online agent holding one chat."""
    principal = make_agent("ann")
    do_set_status(
        agent_id=principal.id, groups=principal.groups, status="online", capacity=2, actor=SETUP
    )
    identity, _ = new_anonymous()
    conversation = start_or_resume(identity, choice=choose_queue(None))
    assert conversation.agent_id == principal.id
    return principal.id


def _presence(agent_id: int) -> AgentPresence:
    return AgentPresence.get_by_id(agent_id)


def _chat_status() -> str:
    [conversation] = Conversation.select()
    return str(conversation.status)


def _connection_audits(agent_id: int) -> list[dict]:
    rows = AuditEventRow.select().where(
        (AuditEventRow.action == int(EventType.AGENT_STATUS_CHANGED))
        & (AuditEventRow.target_id == str(agent_id))
    )
    events = [event_from_canonical(bytes(row.canonical)) for row in rows]
    return [dict(e.details) for e in events if "connection" in e.details]


def _grace_ms(app) -> int:
    return int(app.extensions["enclave"].settings.routing.disconnect_grace_seconds * 1000)


def test_it_keeps_an_agent_connected_while_another_node_holds_a_connection(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    do_agent_connected(ann, connection_id="sid-b", node="node-b")

    agent_connection_closed("sid-a")  # node A's connection drops

    assert _presence(ann).disconnected_ms is None
    later = clock.now_ms() + _grace_ms(ctx) + 5_000
    refresh_node("node-b", later)  # node B is alive and says so
    done = sweep(later)
    assert (done["agents_gone"], done["connections_expired"]) == (0, 0)
    assert _chat_status() == "assigned"
    assert [a["connection"] for a in _connection_audits(ann)] == ["opened", "opened", "closed"]


def test_it_starts_the_grace_when_the_last_connection_on_any_node_closes(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    do_agent_connected(ann, connection_id="sid-b", node="node-b")
    agent_connection_closed("sid-a")
    agent_connection_closed("sid-b")

    dropped = _presence(ann).disconnected_ms
    assert dropped is not None
    assert sweep(dropped + _grace_ms(ctx) - 1_000)["agents_gone"] == 0
    assert _chat_status() == "assigned"
    assert sweep(dropped + _grace_ms(ctx) + 1_000)["agents_gone"] == 1
    assert _chat_status() == "queued"
    assert _connection_audits(ann)[-2:] == [{"connection": "closed"}, {"connection": "lost"}]


def test_it_ends_the_grace_when_the_agent_connects_on_another_node(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    agent_connection_closed("sid-a")
    assert _presence(ann).disconnected_ms is not None

    do_agent_connected(ann, connection_id="sid-b", node="node-b")

    assert _presence(ann).disconnected_ms is None
    assert _connection_audits(ann)[-1] == {"connection": "restored"}


def test_it_expires_the_connections_of_a_node_that_stopped_refreshing_them(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    opened = AgentConnection.get_by_id("sid-a").seen_ms
    ttl = connection_ttl_ms()

    assert sweep(opened + ttl - 1)["connections_expired"] == 0  # not silent for long enough
    assert _presence(ann).disconnected_ms is None

    # node A died: nobody refreshes sid-a; any node's sweep expires it
    done = sweep(opened + ttl + _grace_ms(ctx) + 1)

    assert done["connections_expired"] == 1
    assert AgentConnection.select().count() == 0
    assert _presence(ann).disconnected_ms == opened  # the grace ran from when last seen
    assert done["agents_gone"] == 1
    assert _chat_status() == "queued"
    assert _connection_audits(ann)[-1] == {"connection": "lost", "expired": 1}


def test_it_keeps_the_agent_when_only_a_dead_nodes_connection_expires(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    do_agent_connected(ann, connection_id="sid-b", node="node-b")
    later = clock.now_ms() + connection_ttl_ms() + _grace_ms(ctx) + 1
    refresh_node("node-b", later)

    done = sweep(later)

    assert done["connections_expired"] == 1
    assert [c.id for c in AgentConnection.select()] == ["sid-b"]
    assert _presence(ann).disconnected_ms is None
    assert (done["agents_gone"], _chat_status()) == (0, "assigned")
    assert _connection_audits(ann)[-1] == {"connection": "closed", "expired": 1}


def test_a_second_sweep_finds_nothing_left_to_expire(ctx, ann):
    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    later = clock.now_ms() + connection_ttl_ms() + 1
    assert sweep(later)["connections_expired"] == 1
    assert sweep(later)["connections_expired"] == 0


def test_it_ignores_the_close_of_a_connection_it_never_recorded(ctx, ann):
    before = AuditEventRow.select().count()
    agent_connection_closed("never-seen")
    assert AuditEventRow.select().count() == before


# through the /agent namespace (one process, two tabs)


def test_a_tab_closing_keeps_the_agent_connected_while_another_is_open(any_app):
    chat = Chat(any_app)
    first = chat.agent("ann")
    second = chat.connect_agent("ann", online=False)
    first.client.disconnect(namespace="/agent")
    with any_app.app_context(), db.connection_context():
        [presence] = AgentPresence.select()
        assert presence.disconnected_ms is None
        assert AgentConnection.select().count() == 1
    second.client.disconnect(namespace="/agent")
    with any_app.app_context(), db.connection_context():
        [presence] = AgentPresence.select()
        assert presence.disconnected_ms is not None
        assert AgentConnection.select().count() == 0


def test_a_second_nodes_sweep_does_not_set_an_agent_gone_twice(ctx, ann):
    from appliance import errors
    from appliance.services.presence import do_agent_gone

    do_agent_connected(ann, connection_id="sid-a", node="node-a")
    agent_connection_closed("sid-a")
    assert do_agent_gone(ann) == [Conversation.get().id]  # the first node's sweep

    with pytest.raises(errors.Conflict):
        do_agent_gone(ann)  # the other node's, which saw her before the first committed
    rows = AuditEventRow.select().where(AuditEventRow.action == int(EventType.AGENT_STATUS_CHANGED))
    details = [event_from_canonical(bytes(row.canonical)).details for row in rows]
    assert [d for d in details if d.get("status") == "offline"] == [
        {"status": "offline", "reason": "disconnected"}
    ]
