"""Engine.IO over WebSocket with one greenlet per connection and no compression state.

python-engineio (4.15, pinned) serves a WebSocket with three greenlets: the
server's connection greenlet reading messages, a writer greenlet draining the
connection's packet queue, and simple-websocket's reader greenlet feeding the
first. Each idle greenlet keeps its stack slice and frames, about 9 KB here
(tests/bench/bench_idle.py), and simple-websocket accepts permessage-deflate, so
a browser (which always offers it) costs a zlib compressor and decompressor per
connection on top, about 300 KB once the first message is sent.

Here the connection greenlet does all of it. It blocks on the Engine.IO packet
queue only; a libev watcher on the socket (no greenlet) puts a READABLE marker
into that queue when bytes arrive. So packets to send and bytes received are
handled in arrival order by the one greenlet, exactly as engineio's own handler
does them in two, and the WebSocket framing is wsproto's (simple-websocket's own
engine), without extensions. The HTTP upgrade is answered here (RFC 6455 4.2.2).

Installed per Engine.IO server in serving processes under gevent (lifecycle) for
connections that gunicorn hands over with its socket; anything else (a
development server) keeps engineio's own class.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import engineio.socket
import gevent
import gevent.queue
from engineio import exceptions
from engineio import packet
from wsproto.connection import Connection
from wsproto.connection import ConnectionState
from wsproto.connection import ConnectionType
from wsproto.events import BytesMessage
from wsproto.events import CloseConnection
from wsproto.events import Ping
from wsproto.events import TextMessage
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError
from wsproto.utilities import generate_accept_token

log = logging.getLogger(__name__)

READ_BYTES = 65536
_READABLE = object()  # queued by the socket watcher: bytes (or EOF) are waiting
_SILENT = object()  # what _next returns when nothing came for a whole ping cycle


class HandshakeRefused(Exception):
    """The request is not a WebSocket upgrade we can accept (answered 400)."""


class WebSocket:
    """One accepted WebSocket on a gevent socket: framing in, framing out."""

    __slots__ = ("max_size", "messages", "open", "partial", "protocol", "sock")

    def __init__(self, sock: Any, max_size: int) -> None:
        self.sock = sock
        self.max_size = max_size
        self.protocol = Connection(ConnectionType.SERVER)
        self.messages: deque[str | bytes] = deque()
        self.partial: list[Any] = []
        self.open = True

    @classmethod
    def accept(cls, environ: dict[str, Any], sock: Any, max_size: int) -> WebSocket:
        """Answer the upgrade request in `environ` with 101, or raise HandshakeRefused."""
        upgrade = environ.get("HTTP_UPGRADE", "").lower()
        connection = {t.strip() for t in environ.get("HTTP_CONNECTION", "").lower().split(",")}
        key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or upgrade != "websocket"
            or "upgrade" not in connection
            or environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13"
            or not key
        ):
            raise HandshakeRefused
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + generate_accept_token(key.encode("ascii")) + b"\r\n\r\n"
        )
        return cls(sock, max_size)

    # -- receiving ------------------------------------------------------------------

    def read(self) -> None:
        """Read what the socket holds (it is readable: this does not block for long)
        and frame it into self.messages; self.open turns False on close or error."""
        try:
            data = self.sock.recv(READ_BYTES)
            pending = getattr(self.sock, "pending", None)  # TLS: decrypted bytes buffered
            while pending is not None and pending():
                data += self.sock.recv(READ_BYTES)
        except OSError:
            data = b""
        try:
            self.protocol.receive_data(data or None)
            self._handle_events()
        except LocalProtocolError:
            self.open = False

    def wait(self) -> str | bytes | None:
        """Block this greenlet for the next whole message (None once closed). Used only
        during the polling-to-WebSocket upgrade, before the connection's loop starts."""
        while not self.messages and self.open:
            self.read()
        return self.messages.popleft() if self.messages else None

    def _handle_events(self) -> None:
        out = b""
        for event in self.protocol.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self.partial.append(event.data)
                if sum(len(p) for p in self.partial) > self.max_size:
                    out += self.protocol.send(
                        CloseConnection(CloseReason.MESSAGE_TOO_BIG, "Message is too big")
                    )
                    self.open = False
                    break
                if event.message_finished:
                    first = self.partial[0]
                    whole = first if len(self.partial) == 1 else type(first)().join(self.partial)
                    self.partial = []
                    self.messages.append(whole)
            elif isinstance(event, Ping):
                out += self.protocol.send(event.response())
            elif isinstance(event, CloseConnection):
                if self.protocol.state is ConnectionState.REMOTE_CLOSING:
                    out += self.protocol.send(event.response())
                self.open = False
                break
        if out:
            self._write(out)

    # -- sending --------------------------------------------------------------------

    def send(self, data: str | bytes) -> None:
        self.send_many((data,))

    def send_many(self, messages: Iterable[str | bytes]) -> None:
        """Send whole messages, one unfragmented frame each, in one write.

        The frames are built here, not by wsproto (RFC 6455 5.2: a server's frames
        are unmasked, so a frame is a 2-10 byte header and the payload): wsproto's
        send costs several µs of Python per frame and keeps no state for whole
        messages. wsproto still owns the connection's state, reading and closing.
        """
        if not self.open or self.protocol.state is not ConnectionState.OPEN:
            raise OSError("the WebSocket is closed")
        self._write(b"".join(map(_frame, messages)))

    def close(self) -> None:
        if self.open and self.protocol.state is ConnectionState.OPEN:
            self.open = False
            with contextlib.suppress(OSError):
                self._write(self.protocol.send(CloseConnection(CloseReason.NORMAL_CLOSURE)))
        self.open = False

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            self.open = False
            raise


def _frame(data: str | bytes) -> bytes:
    """One final, unmasked frame: text for str, binary for bytes (RFC 6455 5.2)."""
    if isinstance(data, str):
        payload, opcode = data.encode("utf-8"), 0x81
    else:
        payload, opcode = bytes(data), 0x82
    size = len(payload)
    if size < 126:
        return bytes((opcode, size)) + payload
    if size < 65536:
        return bytes((opcode, 126)) + size.to_bytes(2, "big") + payload
    return bytes((opcode, 127)) + size.to_bytes(8, "big") + payload


def _next(queue: Any, deadline: gevent.Timeout) -> Any:
    """The next item of the queue, or _SILENT once `deadline` passes with none.

    `deadline` is restarted for each wait; once it has expired the connection ends,
    and it is not used again (gevent restarts a timer that fired unreliably)."""
    if queue.qsize():
        return queue.get_nowait()
    deadline.start()
    try:
        return queue.get()
    except gevent.Timeout as timeout:
        if timeout is not deadline:
            raise
        return _SILENT
    finally:
        deadline.cancel()


def _queued_packets(first: Any, queue: Any) -> list[str | bytes]:
    """`first` and the packets queued right behind it, encoded, taken off the queue:
    an ack and the emits of a batch's commit go out in one write. Stops at a
    READABLE marker or the closing None, which the loop handles in order."""
    encoded = [first.encode()]
    while True:
        try:
            item = queue.peek_nowait()
        except gevent.queue.Empty:
            return encoded
        if item is None or item is _READABLE:
            return encoded
        queue.get_nowait()
        queue.task_done()
        encoded.append(item.encode())


def serve(eio_socket: engineio.socket.Socket, ws: WebSocket) -> None:
    """engineio's Socket._websocket_handler, in this one greenlet."""
    server = eio_socket.server
    if eio_socket.connected:
        # Upgrade from long-polling: the probe, then the UPGRADE packet.
        eio_socket.upgrading = True
        probe = ws.wait()
        if probe is None or packet.Packet(encoded_packet=probe).packet_type != packet.PING:
            eio_socket.upgrading = False
            return
        ws.send(packet.Packet(packet.PONG, data="probe").encode())
        eio_socket.queue.put(packet.Packet(packet.NOOP))  # ends the pending poll
        upgrade = ws.wait()
        if upgrade is None or packet.Packet(encoded_packet=upgrade).packet_type != packet.UPGRADE:
            eio_socket.upgraded = False
            eio_socket.upgrading = False
            return
        eio_socket.upgraded = True
        eio_socket.upgrading = False
    else:
        eio_socket.connected = True
        eio_socket.upgraded = True

    queue = eio_socket.queue
    watcher = gevent.get_hub().loop.io(ws.sock.fileno(), 1)

    def readable() -> None:  # on the hub: must not block
        watcher.stop()
        queue.put(_READABLE)

    # One timer for the connection's life, restarted for each wait: a get with a
    # timeout would build and free a Timeout and its timer every time.
    deadline = gevent.Timeout(server.ping_interval + server.ping_timeout)
    watcher.start(readable)
    try:
        while True:
            item = _next(queue, deadline)
            if item is _SILENT:
                break  # no PONG, no message for a whole ping cycle: the client is gone
            queue.task_done()
            if item is None:  # Socket.close(): everything queued before it was sent
                break
            if item is not _READABLE:
                ws.send_many(_queued_packets(item, queue))
                continue
            ws.read()
            if not _deliver(eio_socket, ws):
                break
            watcher.start(readable)
    except OSError:
        pass
    finally:
        deadline.close()
        watcher.stop()
        watcher.close()
        ws.close()
        _drain(queue)
        # Whatever ended the loop (even a GreenletExit at shutdown, or a bug), the
        # disconnect handlers run: an agent's connection row must not outlive it.
        eio_socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)


def _deliver(eio_socket: engineio.socket.Socket, ws: WebSocket) -> bool:
    """Hand the framed messages to Engine.IO; False when the connection is done."""
    while ws.messages:
        data = ws.messages.popleft()
        try:
            eio_socket.receive(packet.Packet(encoded_packet=data))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            return False
        except Exception:
            log.exception("unexpected error receiving a packet; closing the connection")
            return False
    return ws.open


def _drain(queue: Any) -> None:
    # Nothing will send these any more; mark them done so Socket.close(wait=True) returns.
    while True:
        try:
            queue.get(block=False)
        except gevent.queue.Empty:
            return
        queue.task_done()


def websocket_class(fallback: Callable[..., Any]) -> type:
    """The class engineio instantiates as `WebSocketWSGI(handler, server)` per upgrade."""

    class SingleGreenletWebSocketWSGI:
        def __init__(self, handler: Callable[..., Any], server: Any) -> None:
            self.handler = handler
            self.server = server

        def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            sock = environ.get("gunicorn.socket")
            eio_socket = getattr(self.handler, "__self__", None)
            if sock is None or not isinstance(eio_socket, engineio.socket.Socket):
                return fallback(self.handler, self.server)(environ, start_response)
            try:
                ws = WebSocket.accept(environ, sock, self.server.max_http_buffer_size)
            except HandshakeRefused:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"Not a WebSocket upgrade"]
            serve(eio_socket, ws)
            # As simple-websocket under gunicorn: the connection was taken over; tell the
            # worker not to write a response (gunicorn's async worker closes it quietly).
            raise StopIteration

    return SingleGreenletWebSocketWSGI


def install_single_greenlet_websockets(eio_server: Any) -> None:
    """Serve this Engine.IO server's WebSockets with `serve` (one greenlet each)."""
    drivers = dict(eio_server._async)
    if getattr(drivers.get("websocket"), "__name__", "") == "SingleGreenletWebSocketWSGI":
        return
    drivers["websocket"] = websocket_class(drivers["websocket"])
    eio_server._async = drivers
