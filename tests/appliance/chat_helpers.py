"""A cast for chat tests: Socket.IO test clients for visitors and signed-in agents.

def test_it_(chat):
    agent = chat.agent("ann")          # signed in, connected to /agent, online
    visitor = chat.visitor()           # connected to /visitor, anonymous
    conversation = visitor.start()     # assigned to ann
    visitor.send(conversation["id"], "hello")
    assert agent.received("message_posted")[-1]["text"] == "hello"
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from appliance.extensions import socketio
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent

_ids = itertools.count(1)


def new_client_msg_id() -> str:
    return f"m-{next(_ids)}"


@dataclass
class Party:
    """One Socket.IO test client in one namespace."""

    client: Any
    namespace: str
    inbox: list[tuple[str, Any]] = field(default_factory=list)

    def emit(self, event: str, payload: Any = None) -> dict[str, Any]:
        args = () if payload is None else (payload,)
        ack = self.client.emit(event, *args, namespace=self.namespace, callback=True)
        assert isinstance(ack, dict), f"{event} gave no ack: {ack!r}"
        return ack

    def ok(self, event: str, payload: Any = None) -> dict[str, Any]:
        ack = self.emit(event, payload)
        assert ack["ok"] is True, ack
        return ack

    def pull(self) -> list[tuple[str, Any]]:
        for item in self.client.get_received(self.namespace):
            self.inbox.append((item["name"], item["args"][0] if item["args"] else None))
        return self.inbox

    def received(self, name: str) -> list[Any]:
        return [payload for event, payload in self.pull() if event == name]

    def send(self, conversation_id: str, text: str, **extra: Any) -> dict[str, Any]:
        payload = {"conversation_id": conversation_id, "client_msg_id": new_client_msg_id()}
        payload.update(text=text, **extra)
        return self.ok("send_message", payload)["message"]

    def sync(self, conversation_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        ack = self.ok("sync", {"conversation_id": conversation_id, "after_seq": after_seq})
        return list(ack["messages"])

    def start(self, **payload: Any) -> dict[str, Any]:
        return dict(self.ok("start_conversation", payload)["conversation"])

    @property
    def connected(self) -> bool:
        return bool(self.client.is_connected(self.namespace))


@dataclass
class Chat:
    app: Any

    def visitor(self, auth: dict[str, Any] | None = None) -> Party:
        client = socketio.test_client(self.app, namespace="/visitor", auth=auth or {})
        return Party(client, "/visitor")

    def agent(
        self,
        username: str = "agent1",
        *,
        roles: tuple[str, ...] = ("agent",),
        groups: tuple[str, ...] = ("general",),
        online: bool = True,
        capacity: int = 4,
    ) -> Party:
        make_agent(username, roles=roles, groups=groups)
        return self.connect_agent(username, online=online, capacity=capacity)

    def connect_agent(self, username: str, *, online: bool = True, capacity: int = 4) -> Party:
        http = self.app.test_client()
        login(http, username)
        client = socketio.test_client(self.app, namespace="/agent", flask_test_client=http)
        party = Party(client, "/agent")
        party.http = http  # type: ignore[attr-defined]
        if online:
            party.ok("set_status", {"status": "online", "capacity": capacity})
        return party
