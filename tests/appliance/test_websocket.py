"""The one-greenlet WebSocket handler (appliance/realtime/_websocket.py) on the wire.

A real gunicorn with config/gunicorn.conf.py, and a client speaking raw RFC 6455
through wsproto, so the tests see exactly the bytes a browser would: the upgrade
answer, no compression accepted, Engine.IO packets both ways (fragmented too),
WebSocket pings, the size limit and the closing handshake. Every live chat test
(tests/appliance/test_chat_live.py, test_routing_live.py, tests/browser) runs over
the same handler; tests/bench/bench_idle.py measures what it saves.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import ClassVar

import pytest
from wsproto.connection import Connection
from wsproto.connection import ConnectionType
from wsproto.events import BytesMessage
from wsproto.events import CloseConnection
from wsproto.events import Message
from wsproto.events import Ping
from wsproto.events import Pong
from wsproto.events import TextMessage
from wsproto.utilities import generate_accept_token

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn

pytestmark = pytest.mark.slow

PATH = b"/socket.io/?EIO=4&transport=websocket"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    data_dir = init_instance(tmp_path_factory.mktemp("ws") / "instance").data_dir
    gunicorn = Gunicorn(data_dir).start()
    yield gunicorn
    gunicorn.stop()


class Client:
    """A WebSocket client over a plain socket: the upgrade by hand, frames by wsproto."""

    def __init__(self, port: int, *, headers: dict[str, str] | None = None) -> None:
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        lines = {
            "Host": f"127.0.0.1:{port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": self.key,
            "Sec-WebSocket-Version": "13",
            # What every browser offers: the server must not take it up.
            "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
            **(headers or {}),
        }
        request = b"GET " + PATH + b" HTTP/1.1\r\n"
        for name, value in lines.items():
            if value:
                request += f"{name}: {value}\r\n".encode()
        self.sock.sendall(request + b"\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, f"the server closed during the upgrade: {head!r}"
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        status, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status.split()[1])
        self.headers = {
            k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)
        }
        self.ws = Connection(ConnectionType.CLIENT, trailing_data=rest)
        self.pending: list[object] = list(self.ws.events()) if self.status == 101 else []

    def send(self, event: object) -> None:
        self.sock.sendall(self.ws.send(event))

    def next_event(self) -> object:
        while not self.pending:
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
        return self.pending.pop(0)

    def next_text(self) -> str:
        """The next whole text message, skipping Engine.IO pings."""
        parts: list[str] = []
        while True:
            event = self.next_event()
            assert isinstance(event, TextMessage), f"expected text, got {event!r}"
            parts.append(event.data)
            if event.message_finished:
                text = "".join(parts)
                if text != "2":
                    return text
                parts = []

    def close(self) -> None:
        self.sock.close()


def test_it_upgrades_without_compression_and_carries_engine_io(server) -> None:
    client = Client(server.port)
    try:
        assert client.status == 101
        assert (
            client.headers["sec-websocket-accept"]
            == generate_accept_token(client.key.encode()).decode()
        )
        assert "sec-websocket-extensions" not in client.headers
        opened = client.next_text()
        assert opened.startswith("0")
        assert json.loads(opened[1:])["upgrades"] == []
        # A Socket.IO connect to /visitor, sent in two fragments: the server must join them.
        client.send(Message(data="40/visi", message_finished=False))
        client.send(Message(data="tor,{}", message_finished=True))
        # The connect handler's session_started event, then the connect answer.
        answers = [client.next_text(), client.next_text()]
        [started] = [a for a in answers if a.startswith("42/visitor,")]
        assert json.loads(started.removeprefix("42/visitor,"))[0] == "session_started"
        [connected] = [a for a in answers if a.startswith("40/visitor,")]
        assert "sid" in json.loads(connected.removeprefix("40/visitor,"))
    finally:
        client.close()


def test_it_answers_websocket_pings(server) -> None:
    client = Client(server.port)
    try:
        client.next_text()  # the Engine.IO open packet
        client.send(Ping(payload=b"are you there"))
        assert client.next_event() == Pong(payload=b"are you there")
    finally:
        client.close()


def test_it_closes_on_a_message_over_the_limit_with_1009(server) -> None:
    client = Client(server.port)
    try:
        client.next_text()
        client.send(Message(data="4" + "x" * 300_000))
        event = client.next_event()
        while isinstance(event, (TextMessage, BytesMessage)):
            event = client.next_event()
        assert isinstance(event, CloseConnection)
        assert event.code == 1009
    finally:
        client.close()


def test_it_completes_the_closing_handshake(server) -> None:
    client = Client(server.port)
    try:
        client.next_text()
        client.send(CloseConnection(code=1000, reason="bye"))
        event = client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1000
        assert client.sock.recv(1) == b""  # and then the server hangs up
    finally:
        client.close()


def test_it_refuses_an_upgrade_without_a_key(server) -> None:
    client = Client(server.port, headers={"Sec-WebSocket-Key": ""})
    try:
        assert client.status == 400
    finally:
        client.close()


def test_a_second_connection_is_unaffected_by_the_first_closing(server) -> None:
    first, second = Client(server.port), Client(server.port)
    try:
        first.next_text()
        second.next_text()
        first.send(CloseConnection(code=1000))
        assert isinstance(first.next_event(), CloseConnection)
        second.send(Message(data="40/visitor,{}"))
        answers = {second.next_text()[:11], second.next_text()[:11]}
        assert answers == {"40/visitor,", "42/visitor,"}
    finally:
        first.close()
        second.close()


def test_the_server_serves_websockets_with_one_greenlet_each() -> None:
    from appliance.realtime import _websocket

    class Server:
        _async: ClassVar[dict[str, type]] = {"websocket": object}

    server = Server()
    _websocket.install_single_greenlet_websockets(server)
    installed = server._async["websocket"]
    assert installed.__name__ == "SingleGreenletWebSocketWSGI"
    _websocket.install_single_greenlet_websockets(server)  # idempotent
    assert server._async["websocket"] is installed
    assert Server._async["websocket"] is object  # the driver's shared table is untouched
