"""Engine.IO pings from a hub timer instead of a sleeping greenlet per connection.

python-engineio (4.15, pinned) schedules each connection's next ping by
spawning a greenlet that sleeps for the ping interval. An idle visitor thus
holds one more greenlet, with its stack and frame memory, just to wait: about
9 KB of the ~67 KB an idle connection cost one worker here (tests/bench/
bench_idle.py). A libev timer does the same wait for a few hundred bytes and
runs its callback on the hub, where queueing the PING packet never blocks (the
connection's queue is unbounded).

Installed only in serving processes under gevent (lifecycle.server_started).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import engineio.socket
import gevent
from engineio import exceptions
from engineio import packet

_original = engineio.socket.Socket.schedule_ping


def _schedule_ping(self: Any) -> None:
    # As engineio's own: only when the previous ping cycle completed.
    if not self.last_ping:
        return
    self.last_ping = None
    timer = gevent.get_hub().loop.timer(self.server.ping_interval)

    def ping() -> None:
        timer.close()
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            with contextlib.suppress(exceptions.SocketIsClosedError):
                self.send(packet.Packet(packet.PING))

    timer.start(ping)


def install_ping_timers() -> None:
    engineio.socket.Socket.schedule_ping = _schedule_ping


def uninstall_ping_timers() -> None:
    engineio.socket.Socket.schedule_ping = _original
