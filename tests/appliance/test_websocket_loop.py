"""The connection loop's pieces in appliance/realtime/_websocket.py, without a socket.

The loop waits on the Engine.IO packet queue with one deadline per connection
(restarted for every wait) and sends what is queued behind a packet in one write.
tests/appliance/test_websocket.py covers the same loop on the wire.
"""

from __future__ import annotations

import gevent
import gevent.queue
from engineio import packet

from appliance.realtime import _websocket


def test_it_hands_out_items_in_order_then_reports_silence() -> None:
    queue = gevent.queue.JoinableQueue()
    deadline = gevent.Timeout(0.2)
    queue.put("first")
    queue.put("second")
    assert _websocket._next(queue, deadline) == "first"
    assert _websocket._next(queue, deadline) == "second"
    # The same deadline serves wait after wait while items keep arriving in time...
    for item in ("third", "fourth"):
        gevent.spawn(queue.put, item)
        assert _websocket._next(queue, deadline) == item
        assert not deadline.pending
    # ...and reports silence once a whole wait passes with nothing (the loop then ends).
    assert _websocket._next(queue, deadline) is _websocket._SILENT
    assert not deadline.pending


def test_another_timeout_is_not_taken_for_silence() -> None:
    queue = gevent.queue.JoinableQueue()
    deadline = gevent.Timeout(10)
    try:
        with gevent.Timeout(0.01, False):
            _websocket._next(queue, deadline)
            raise AssertionError("the outer timeout should have interrupted the wait")
    finally:
        deadline.close()
    assert not deadline.pending


def test_packets_queued_behind_one_go_out_together_up_to_a_marker() -> None:
    queue = gevent.queue.JoinableQueue()
    first = packet.Packet(packet.MESSAGE, data='2/visitor,["a"]')
    for item in (
        packet.Packet(packet.MESSAGE, data='3/visitor,1["ok"]'),
        packet.Packet(packet.MESSAGE, data=b"\x01binary"),
        _websocket._READABLE,
        packet.Packet(packet.PING),
    ):
        queue.put(item)
    encoded = _websocket._queued_packets(first, queue)
    assert encoded == ['42/visitor,["a"]', '43/visitor,1["ok"]', b"\x01binary"]
    assert queue.get_nowait() is _websocket._READABLE  # left for the loop, in order
    assert queue.qsize() == 1


def test_frames_are_final_unmasked_and_sized_as_rfc_6455_says() -> None:
    assert _websocket._frame("4") == b"\x81\x014"
    assert _websocket._frame(b"\x00\x01") == b"\x82\x02\x00\x01"
    text = "é" * 100  # 200 bytes of UTF-8: the 16-bit length form
    assert _websocket._frame(text) == b"\x81\x7e\x00\xc8" + text.encode()
    big = b"x" * 70000  # the 64-bit length form
    assert _websocket._frame(big) == b"\x82\x7f" + (70000).to_bytes(8, "big") + big
