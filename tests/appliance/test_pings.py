"""Engine.IO pings come from a hub timer, not a greenlet per connection (realtime/_pings.py)."""

from __future__ import annotations

import gc
import time

import engineio
import engineio.socket
import gevent
import pytest
from engineio import packet
from greenlet import greenlet

from appliance.realtime._pings import install_ping_timers
from appliance.realtime._pings import uninstall_ping_timers


@pytest.fixture
def socket():
    install_ping_timers()
    server = engineio.Server(async_mode="gevent", ping_interval=0.05)
    sock = engineio.socket.Socket(server, "sid-1")
    sock.last_ping = time.time()  # a completed cycle: the next ping may be scheduled
    yield sock
    uninstall_ping_timers()


def _greenlets() -> int:
    return sum(isinstance(o, greenlet) for o in gc.get_objects())


def _queued(sock) -> list:
    items = []
    while not sock.queue.empty():
        items.append(sock.queue.get_nowait())
    return items


def test_it_sends_a_ping_after_the_interval_without_a_greenlet(socket) -> None:
    before = _greenlets()
    socket.schedule_ping()
    assert _greenlets() == before
    assert socket.last_ping is None
    deadline = time.monotonic() + 5
    while socket.queue.empty() and time.monotonic() < deadline:
        gevent.sleep(0.01)
    [ping] = _queued(socket)
    assert ping.packet_type == packet.PING
    assert socket.last_ping is not None


def _active_watchers() -> int:
    return gevent.get_hub().loop.activecnt


def _poll(condition, what: str) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, what
        gevent.sleep(0.01)


def test_it_schedules_only_after_the_previous_cycle_completed(socket) -> None:
    idle = _active_watchers()
    socket.schedule_ping()
    assert _active_watchers() == idle + 1
    socket.schedule_ping()  # a second PONG before the PING went out: no second timer
    assert _active_watchers() == idle + 1
    _poll(lambda: _active_watchers() == idle, "the timer fired")
    assert len(_queued(socket)) == 1


def test_it_sends_nothing_to_a_closed_connection(socket) -> None:
    idle = _active_watchers()
    socket.schedule_ping()
    socket.closed = True
    _poll(lambda: _active_watchers() == idle, "the timer fired")
    assert _queued(socket) == []
