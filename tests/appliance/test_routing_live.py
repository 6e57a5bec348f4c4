"""Routing end to end through a real gunicorn and real python-socketio clients: a transfer
with a note between two agents, and an agent whose connection drops losing their chat to a
colleague once the grace period (shortened here) has passed, by the server's own sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.appliance.live_chat import LiveAgent
from tests.appliance.live_chat import LiveVisitor
from tests.appliance.live_chat import add_agent
from tests.support import poll

PASSWORD = "correct horse battery"
SETTINGS = {
    "ENCLAVE_ROUTING_DISCONNECT_GRACE_SECONDS": "2",
    "ENCLAVE_ROUTING_SWEEP_SECONDS": "1",
}

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path):
    data_dir = init_instance(tmp_path / "instance").data_dir
    add_agent(data_dir, "ann", PASSWORD)
    add_agent(data_dir, "bob", PASSWORD)
    gunicorn = Gunicorn(data_dir, **SETTINGS).start()
    yield gunicorn
    gunicorn.stop()


def _online(base: str, username: str, capacity: int = 1) -> tuple[LiveAgent, int]:
    agent = LiveAgent(base, username, PASSWORD)
    ack = agent.call("set_status", {"status": "online", "capacity": capacity})
    assert ack["ok"], ack
    return agent, _agent_id(agent)


def _agent_id(agent: LiveAgent) -> int:
    poll(lambda: agent.received("agent_state"), timeout=10, what="agent_state")
    return int(agent.received("agent_state")[0]["agent"]["id"])


def test_it_transfers_a_chat_with_a_note_between_two_agents(server):
    ann, _ = _online(server.base, "ann")
    visitor = LiveVisitor(server.base)
    bob = None
    try:
        conversation = visitor.call("start_conversation", {})["conversation"]
        assert conversation["agent"]["name"] == "Ann"
        bob, bob_id = _online(server.base, "bob")
        ack = ann.call(
            "transfer_conversation",
            {"conversation_id": conversation["id"], "to_agent_id": bob_id, "note": "VIP, card"},
        )
        assert ack["ok"] and ack["status"] == "assigned", ack
        poll(lambda: bob.received("conversation_assigned"), timeout=10, what="handover")
        assert bob.received("conversation_assigned")[0]["transfer"]["note"] == "VIP, card"
        # Ann's own assignment may also be among what the visitor received: wait for Bob's.
        poll(
            lambda: any(
                event["agent"]["name"] == "Bob"
                for event in visitor.received("conversation_assigned")
            ),
            timeout=10,
            what="visitor told of the handover",
        )
        assert visitor.received("conversation_assigned")[-1]["agent"]["name"] == "Bob"
        seen = visitor.call("sync", {"conversation_id": conversation["id"], "after_seq": 0})
        assert seen["messages"] == []  # the note never reaches the visitor
    finally:
        for party in (ann, bob, visitor):
            if party is not None:
                party.close()


def test_it_requeues_the_chat_of_an_agent_who_stays_away(server):
    ann, _ = _online(server.base, "ann")
    visitor = LiveVisitor(server.base)
    bob = None
    try:
        conversation = visitor.call("start_conversation", {})["conversation"]
        assert conversation["agent"]["name"] == "Ann"
        bob, _ = _online(server.base, "bob")
        ann.close()  # the network drops; she does not come back within the grace
        poll(
            lambda: bob.received("conversation_assigned"),
            timeout=30,
            what="the chat re-queued to bob by the sweep",
        )
        assert bob.received("conversation_assigned")[0]["id"] == conversation["id"]
    finally:
        for party in (bob, visitor):
            if party is not None:
                party.close()
