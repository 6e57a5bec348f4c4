"""Several nodes for real: two gunicorn servers on one PostgreSQL database, Socket.IO
fanned out over Redis (server.message_queue), as docs/operations.md "Several nodes" says.

The second node's data directory is a copy of the first's (its keys, its secret key,
its settings): that is what lets each node decrypt what the other stored and accept
the session cookies the other signed. Needs PostgreSQL and Redis on 127.0.0.1; without
them the tests skip (under CI=true they fail)."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from appliance import create_app
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import AgentPresence
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.models.connections import AgentConnection
from appliance.settings import load_settings
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.live_chat import Gunicorn
from tests.appliance.live_chat import LiveParty
from tests.appliance.live_chat import LiveVisitor
from tests.appliance.live_chat import add_agent
from tests.support import poll
from tests.support import require

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
GRACE_SECONDS = 3
NODE_SETTINGS = {
    "ENCLAVE_SERVER_MESSAGE_QUEUE": REDIS_URL,
    "ENCLAVE_ROUTING_DISCONNECT_GRACE_SECONDS": str(GRACE_SECONDS),
    "ENCLAVE_ROUTING_SWEEP_SECONDS": "1",
}


def _require_redis() -> None:
    try:
        import redis
    except ImportError:
        require(False, "the redis package is not installed (pip install '.[redis]')")
    try:
        reachable = bool(redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except redis.RedisError as exc:
        reachable, why = False, type(exc).__name__
    else:
        why = "no PONG"
    require(reachable, f"Redis is not reachable on 127.0.0.1:6379 ({why})")


class Cluster:
    """Two nodes of one installation, and a way to look into their shared database."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        first = init_instance(tmp_path / "a" / "instance", database_url=database_url).data_dir
        # The second node: the same keys/ (KEK, keystore, audit signing keys), the same
        # secret_key and enclave.toml (the database URL). Copied, not re-initialized.
        second = tmp_path / "b" / "instance"
        shutil.copytree(first, second)
        self.dirs = (first, second)
        self.nodes = [Gunicorn(first, **NODE_SETTINGS), Gunicorn(second, **NODE_SETTINGS)]
        self.app = create_app(load_settings(first, environ={}))

    def start(self) -> Cluster:
        for node in self.nodes:
            node.start()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    @property
    def a(self) -> str:
        return self.nodes[0].base

    @property
    def b(self) -> str:
        return self.nodes[1].base

    def read(self, query: Any) -> Any:
        with self.app.app_context(), db.connection_context():
            return query()


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str):
    _require_redis()
    cluster = Cluster(tmp_path, postgres_url)
    for username in ("ann", "bob", "cat", "dan"):
        add_agent(cluster.dirs[0], username, PASSWORD)
    cluster.start()
    yield cluster
    cluster.stop()


def sign_in(base: str, username: str) -> str:
    """The session cookie of a sign-in over HTTP at `base`."""
    http = requests.Session()
    csrf = http.get(base + "/api/v1/auth/session", timeout=10).json()["csrf_token"]
    response = http.post(
        base + "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRF-Token": csrf},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


class Agent(LiveParty):
    """An /agent connection to one node with a session cookie (from this node or another)."""

    namespace = "/agent"

    def __init__(self, base: str, cookie: str) -> None:
        super().__init__()
        self.client.connect(
            base, namespaces=[self.namespace], headers={"Cookie": cookie}, transports=["websocket"]
        )
        poll(lambda: self.received("agent_state"), timeout=10, what="agent_state")
        self.id = int(self.received("agent_state")[0]["agent"]["id"])

    def online(self, capacity: int) -> Agent:
        ack = self.call("set_status", {"status": "online", "capacity": capacity})
        assert ack["ok"], ack
        return self


def _send(party: LiveParty, conversation_id: str, client_msg_id: str, text: str) -> None:
    payload = {"conversation_id": conversation_id, "client_msg_id": client_msg_id, "text": text}
    ack = party.call("send_message", payload)
    assert ack["ok"], ack


def _texts(party: LiveParty) -> list[str]:
    return [m["text"] for m in party.received("message_posted")]


def _assigned_audits() -> list[Any]:
    rows = AuditEventRow.select().where(
        AuditEventRow.action == int(EventType.CONVERSATION_ASSIGNED)
    )
    return [event_from_canonical(bytes(row.canonical)) for row in rows]


def test_a_visitor_on_one_node_and_an_agent_on_the_other_chat_both_ways(cluster):
    ann = Agent(cluster.b, sign_in(cluster.b, "ann")).online(capacity=2)
    visitor = LiveVisitor(cluster.a)
    try:
        conversation = visitor.call("start_conversation", {})["conversation"]
        assert conversation["status"] == "assigned"  # routed by node A to ann on node B
        poll(lambda: ann.received("conversation_assigned"), timeout=10, what="assignment via B")

        _send(visitor, conversation["id"], "v1", "hello from A")
        poll(lambda: _texts(ann), timeout=10, what="the visitor's message on node B")
        _send(ann, conversation["id"], "a1", "hello from B")
        poll(lambda: _texts(visitor), timeout=10, what="the agent's message on node A")
        # A last round trip: anything delivered twice would have arrived before it.
        _send(visitor, conversation["id"], "v2", "still there?")
        poll(lambda: len(_texts(ann)) >= 2, timeout=10, what="the second visitor message")
        _send(ann, conversation["id"], "a2", "yes")
        poll(lambda: len(_texts(visitor)) >= 2, timeout=10, what="the second agent message")

        assert _texts(ann) == ["hello from A", "still there?"]
        assert _texts(visitor) == ["hello from B", "yes"]
        assert [c["id"] for c in ann.received("conversation_assigned")] == [conversation["id"]]
    finally:
        visitor.close()
        ann.close()


def test_concurrent_chats_on_both_nodes_never_double_assign_or_overfill(cluster):
    capacity = 2
    agents = [
        Agent(base, sign_in(base, name)).online(capacity=capacity)
        for base, name in (
            (cluster.a, "ann"),
            (cluster.b, "bob"),
            (cluster.a, "cat"),
            (cluster.b, "dan"),
        )
    ]
    visitors = [LiveVisitor(cluster.a if n % 2 else cluster.b) for n in range(20)]
    gate = threading.Barrier(len(visitors))
    acks: list[dict[str, Any]] = []

    def start(visitor: LiveVisitor) -> None:
        gate.wait(timeout=30)
        acks.append(visitor.call("start_conversation", {}, timeout=60))

    threads = [threading.Thread(target=start, args=(v,)) for v in visitors]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(acks) == len(visitors) and all(a["ok"] for a in acks), acks

        def facts() -> tuple[list[Any], list[Any], list[Any]]:
            return (
                list(Conversation.select()),
                list(AgentPresence.select()),
                _assigned_audits(),
            )

        conversations, presences, audits = cluster.read(facts)
        assigned = Counter(c.agent_id for c in conversations if c.status == "assigned")
        per_conversation = Counter(e.target.id for e in audits)
        per_agent = Counter(e.details["agent_id"] for e in audits)

        assert len(conversations) == 20
        assert [cid for cid, n in per_conversation.items() if n > 1] == []
        assert sum(assigned.values()) == 4 * capacity  # every slot filled, on both nodes
        for presence in presences:
            assert presence.load == assigned[presence.agent_id] <= presence.capacity
            # Nothing closed or moved during the race, so an agent's assignments only
            # grew: their audited total is the most they ever held.
            assert per_agent[presence.agent_id] == presence.load
        # Each agent heard of exactly their assignments, whichever node made them.
        for agent in agents:
            wanted = sorted(c.id for c in conversations if c.agent_id == agent.id)
            poll(
                lambda agent=agent, wanted=wanted: (
                    sorted(c["id"] for c in agent.received("conversation_assigned")) == wanted
                ),
                timeout=10,
                what=f"agent {agent.id}'s assignments",
            )
    finally:
        for party in [*visitors, *agents]:
            party.close()


def test_an_agent_stays_connected_while_any_node_holds_a_connection(cluster):
    cookie = sign_in(cluster.a, "ann")  # one sign-in, used on both nodes
    ann_a = Agent(cluster.a, cookie).online(capacity=1)
    ann_b = Agent(cluster.b, cookie)
    cat = Agent(cluster.a, sign_in(cluster.a, "cat"))
    visitors = [LiveVisitor(cluster.a), LiveVisitor(cluster.b)]
    try:
        ann_chat = visitors[0].call("start_conversation", {})["conversation"]
        cat.online(capacity=1)  # ann is full: the next chat is cat's
        cat_chat = visitors[1].call("start_conversation", {})["conversation"]

        def agent_of(conversation_id: str) -> tuple[str, int | None]:
            row = Conversation.get_by_id(conversation_id)
            return row.status, row.agent_id

        assert cluster.read(lambda: agent_of(ann_chat["id"])) == ("assigned", ann_a.id)
        assert cluster.read(lambda: agent_of(cat_chat["id"])) == ("assigned", cat.id)
        assert cluster.read(lambda: AgentConnection.select().count()) == 3

        ann_a.close()  # ann's connection to node A drops; node B still holds one
        cat.close()  # cat's only connection drops: the control

        poll(
            lambda: cluster.read(lambda: agent_of(cat_chat["id"]))[0] == "queued",
            timeout=60,
            what="cat's chat re-queued after the grace",
        )
        # The same grace has passed for ann, and a sweep has run since: she kept her chat.
        assert cluster.read(lambda: agent_of(ann_chat["id"])) == ("assigned", ann_a.id)
        presence = cluster.read(lambda: AgentPresence.get_by_id(ann_a.id))
        assert (presence.status, presence.disconnected_ms) == ("online", None)
        poll(
            lambda: ann_b.call("list_conversations", {})["conversations"],
            timeout=10,
            what="ann's chat listed on node B",
        )

        ann_b.close()  # now no node holds a connection of hers
        poll(
            lambda: cluster.read(lambda: agent_of(ann_chat["id"])) == ("queued", None),
            timeout=60,
            what="ann's chat re-queued after the grace",
        )
        presence = cluster.read(lambda: AgentPresence.get_by_id(ann_a.id))
        assert presence.status == "offline"
        assert cluster.read(lambda: AgentConnection.select().count()) == 0
        # That sweep told both waiting visitors their places (ann's chat first: it queued
        # first). The visitors are on different nodes, so whichever node swept, one of
        # them heard it through Redis.
        poll(
            lambda: any(
                e["conversation_id"] == ann_chat["id"] and e["queue_position"] == 1
                for e in visitors[0].received("conversation_queued")
            ),
            timeout=10,
            what="ann's visitor (node A) told of the re-queue",
        )
        poll(
            lambda: any(
                e["conversation_id"] == cat_chat["id"] and e["queue_position"] == 2
                for e in visitors[1].received("conversation_queued")
            ),
            timeout=10,
            what="cat's visitor (node B) told of the new order",
        )
    finally:
        for party in [*visitors, ann_a, ann_b, cat]:
            party.close()
