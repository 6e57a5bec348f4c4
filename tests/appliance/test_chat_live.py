"""End to end through a real gunicorn (config/gunicorn.conf.py) and real python-socketio
clients: chat, idempotent resend, resume after disconnect, and SIGKILL mid-burst."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.appliance.live_chat import LiveAgent
from tests.appliance.live_chat import LiveVisitor
from tests.appliance.live_chat import add_agent
from tests.support import poll

PASSWORD = "correct horse battery"
# Flood control is per connection and tuned for people; these clients are machines.
FAST = {"ENCLAVE_CHAT_FLOOD_RATE_PER_SECOND": "100000", "ENCLAVE_CHAT_FLOOD_BURST": "100000"}

pytestmark = pytest.mark.slow


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    data_dir = init_instance(tmp_path / "instance").data_dir
    add_agent(data_dir, "ann", PASSWORD)
    return data_dir


@pytest.fixture
def server(instance):
    gunicorn = Gunicorn(instance, **FAST).start()
    yield gunicorn
    gunicorn.stop()


def _online_agent(base: str, capacity: int = 10) -> LiveAgent:
    agent = LiveAgent(base, "ann", PASSWORD)
    ack = agent.call("set_status", {"status": "online", "capacity": capacity})
    assert ack["ok"], ack
    return agent


def _send(party, conversation_id: str, client_msg_id: str, text: str) -> dict:
    payload = {"conversation_id": conversation_id, "client_msg_id": client_msg_id, "text": text}
    ack = party.call("send_message", payload)
    assert ack["ok"], ack
    return ack


def test_it_carries_a_chat_between_visitor_and_agent(server):
    agent = _online_agent(server.base)
    visitor = LiveVisitor(server.base)
    try:
        conversation = visitor.call("start_conversation", {})["conversation"]
        assert conversation["status"] == "assigned"
        poll(lambda: agent.received("conversation_assigned"), timeout=10, what="assignment")

        _send(visitor, conversation["id"], "v1", "hello")
        _send(agent, conversation["id"], "a1", "how can I help?")

        poll(lambda: agent.received("message_posted"), timeout=10, what="agent delivery")
        poll(lambda: visitor.received("message_posted"), timeout=10, what="visitor delivery")
        assert [m["text"] for m in agent.received("message_posted")] == ["hello"]
        assert [m["text"] for m in visitor.received("message_posted")] == ["how can I help?"]
    finally:
        visitor.close()
        agent.close()


def test_it_acks_a_resend_without_storing_twice(server):
    agent = _online_agent(server.base)
    visitor = LiveVisitor(server.base)
    try:
        conversation_id = visitor.call("start_conversation", {})["conversation"]["id"]
        first = _send(visitor, conversation_id, "same-id", "once only")
        again = _send(visitor, conversation_id, "same-id", "once only")
        assert (first["duplicate"], again["duplicate"]) == (False, True)
        assert again["message"]["seq"] == first["message"]["seq"]
        history = visitor.call("sync", {"conversation_id": conversation_id, "after_seq": 0})
        assert [m["client_msg_id"] for m in history["messages"]] == ["same-id"]
    finally:
        visitor.close()
        agent.close()


def test_it_resumes_a_visitor_after_a_disconnect(server):
    agent = _online_agent(server.base)
    visitor = LiveVisitor(server.base)
    conversation_id = visitor.call("start_conversation", {})["conversation"]["id"]
    _send(agent, conversation_id, "a1", "first")
    poll(lambda: visitor.received("message_posted"), timeout=10, what="first delivery")
    last_seen = visitor.received("message_posted")[-1]["seq"]
    token = visitor.token
    visitor.close()

    for n in range(3):
        _send(agent, conversation_id, f"a-missed-{n}", f"missed {n}")

    back = LiveVisitor(server.base, {"visitor_token": token})
    try:
        assert back.received("session_started")[0]["conversation"]["id"] == conversation_id
        missed = back.call("sync", {"conversation_id": conversation_id, "after_seq": last_seen})
        assert [m["text"] for m in missed["messages"]] == ["missed 0", "missed 1", "missed 2"]
        assert [m["seq"] for m in missed["messages"]] == [2, 3, 4]
    finally:
        back.close()
        agent.close()


def test_it_refuses_bad_input_and_strangers_over_the_wire(server):
    agent = _online_agent(server.base)
    owner, stranger = LiveVisitor(server.base), LiveVisitor(server.base)
    try:
        conversation_id = owner.call("start_conversation", {})["conversation"]["id"]
        too_long = {"conversation_id": conversation_id, "client_msg_id": "x", "text": "y" * 9000}
        assert owner.call("send_message", too_long)["code"] == "too_large"
        assert owner.call("no_such_event", {})["code"] == "unknown_event"
        peek = stranger.call("sync", {"conversation_id": conversation_id, "after_seq": 0})
        assert peek["code"] == "not_found"
        # EVENT packets named like Socket.IO's CONNECT and DISCONNECT change nothing.
        assert agent.call("disconnect", {})["code"] == "unknown_event"
        assert owner.call("connect", {})["code"] == "unknown_event"
        assert agent.call("list_conversations", {})["ok"]
        assert len(owner.received("session_started")) == 1
    finally:
        owner.close()
        stranger.close()
        agent.close()


# SIGKILL during a burst


VISITORS = 4
PER_VISITOR = 400


def _burst(base: str, conversations: dict[str, tuple[str, str]], acked: dict, sent: dict, stop):
    """Each visitor sends PER_VISITOR messages in its own thread until the server dies."""

    def run(token: str, conversation_id: str) -> None:
        try:
            visitor = LiveVisitor(base, {"visitor_token": token})
        except Exception:
            return
        try:
            for n in range(PER_VISITOR):
                client_msg_id = f"{conversation_id[:8]}-{n}"
                sent[conversation_id].append(client_msg_id)
                payload = {"conversation_id": conversation_id, "client_msg_id": client_msg_id}
                try:
                    ack = visitor.call("send_message", {**payload, "text": f"burst {n}"}, timeout=5)
                except Exception:  # the server died: this one may or may not be stored
                    return
                assert ack["ok"], ack
                acked[conversation_id][client_msg_id] = ack["message"]["seq"]
                if stop.is_set():
                    return
        finally:
            visitor.close()

    threads = [
        threading.Thread(target=run, args=(token, conversation_id), daemon=True)
        for conversation_id, (token, _) in conversations.items()
    ]
    for thread in threads:
        thread.start()
    return threads


def _stored(instance: Path) -> dict[str, list[tuple[int, str]]]:
    database = sqlite3.connect(instance / "enclave.db")
    try:
        rows = database.execute(
            "SELECT conversation_id, seq, client_msg_id FROM message ORDER BY conversation_id, seq"
        ).fetchall()
        audited = database.execute("SELECT COUNT(*) FROM audit_event WHERE action = 502").fetchone()
    finally:
        database.close()
    stored: dict[str, list[tuple[int, str]]] = {}
    for conversation_id, seq, client_msg_id in rows:
        stored.setdefault(conversation_id, []).append((seq, client_msg_id))
    assert audited[0] == len(rows), "every stored message has its audit event, and no more"
    return stored


@pytest.mark.parametrize("round_", range(3))
def test_it_loses_no_acked_message_when_killed_mid_burst(instance, round_):
    server = Gunicorn(instance, **FAST).start()
    try:
        agent = _online_agent(server.base)
        conversations = {}
        for _ in range(VISITORS):
            visitor = LiveVisitor(server.base)
            conversation = visitor.call("start_conversation", {})["conversation"]
            conversations[conversation["id"]] = (visitor.token, conversation["status"])
            visitor.close()
        agent.close()

        acked = {cid: {} for cid in conversations}
        sent = {cid: [] for cid in conversations}
        stop = threading.Event()
        threads = _burst(server.base, conversations, acked, sent, stop)
        # Kill at a different point each round, while every sender is mid-burst.
        target = 60 + 90 * round_
        poll(
            lambda: sum(len(a) for a in acked.values()) >= target,
            timeout=60,
            what=f"{target} acks before the kill",
        )
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

        stored = _stored(instance)
        for conversation_id, acks in acked.items():
            rows = stored.get(conversation_id, [])
            seqs = [seq for seq, _ in rows]
            ids = [client_msg_id for _, client_msg_id in rows]
            assert seqs == list(range(1, len(rows) + 1)), "gap-free, in order"
            assert len(ids) == len(set(ids)), "each message stored once"
            for client_msg_id, seq in acks.items():
                assert (seq, client_msg_id) in rows, f"acked {client_msg_id} lost"
            # Stored in the order sent: the burst is sequential per visitor.
            assert ids == sent[conversation_id][: len(ids)]

        # After a restart, every client resends what it never saw acked, with the same
        # ids: the stored-but-unacked ones come back as duplicates, the rest are stored.
        server.start()
        for conversation_id, (token, _) in conversations.items():
            visitor = LiveVisitor(server.base, {"visitor_token": token})
            try:
                unacked = [c for c in sent[conversation_id] if c not in acked[conversation_id]]
                already = {c for _, c in stored.get(conversation_id, [])}
                for client_msg_id in unacked:
                    ack = _send(visitor, conversation_id, client_msg_id, "resent")
                    assert ack["duplicate"] is (client_msg_id in already)
                history = visitor.call(
                    "sync", {"conversation_id": conversation_id, "after_seq": 0, "limit": 500}
                )
                ids = [m["client_msg_id"] for m in history["messages"]]
                assert ids == sent[conversation_id]
                assert [m["seq"] for m in history["messages"]] == list(range(1, len(ids) + 1))
            finally:
                visitor.close()
    finally:
        server.stop()


# Authorization and bad input over the wire


def test_it_hides_a_chat_from_another_agent_and_stores_no_bad_payload(server, instance):
    add_agent(instance, "bob", PASSWORD, groups=("cards",))  # not in the chat's queue
    ann = _online_agent(server.base)
    bob = LiveAgent(server.base, "bob", PASSWORD)
    visitor = LiveVisitor(server.base)
    try:
        assert bob.call("set_status", {"status": "online", "capacity": 10})["ok"]
        conversation = visitor.call("start_conversation", {})["conversation"]
        assert (conversation["status"], conversation["agent"]) == ("assigned", {"name": "Ann"})
        conversation_id = conversation["id"]
        _send(visitor, conversation_id, "v1", "hello")

        # To Bob, Ann's chat does not exist: the same answer as for one that does not.
        peek = bob.call("sync", {"conversation_id": conversation_id, "after_seq": 0})
        post = {"conversation_id": conversation_id, "client_msg_id": "b1", "text": "hi"}
        posted = bob.call("send_message", post)
        missing = bob.call("sync", {"conversation_id": "0" * 32, "after_seq": 0})
        assert peek["code"] == "not_found" and peek["ok"] is False
        assert peek == posted == missing

        # Bad payloads get the stable error; nothing of them is stored.
        wrong_type = {"conversation_id": conversation_id, "client_msg_id": "v2", "text": 42}
        no_client_id = {"conversation_id": conversation_id, "text": "no id"}
        for party, payload, field in [
            (visitor, wrong_type, "text"),
            (visitor, no_client_id, "client_msg_id"),
            (ann, {**wrong_type, "text": ["x"], "client_msg_id": "a1"}, "text"),
        ]:
            ack = party.call("send_message", payload)
            assert (ack["ok"], ack["code"]) == (False, "invalid_payload"), ack
            assert ack["error"].startswith(f"{field}:"), ack

        history = ann.call("sync", {"conversation_id": conversation_id, "after_seq": 0})
        assert [m["client_msg_id"] for m in history["messages"]] == ["v1"]
        assert _stored(instance)[conversation_id] == [(1, "v1")]  # and one audit event
        poll(lambda: ann.received("message_posted"), timeout=10, what="ann's delivery")
        assert bob.received("message_posted") == []
        assert bob.received("conversation_assigned") == []
    finally:
        visitor.close()
        bob.close()
        ann.close()
