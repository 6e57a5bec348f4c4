"""Load generator for the chat benchmarks (a script, not a test).

Speaks raw Engine.IO 4 / Socket.IO 5 over a minimal RFC 6455 WebSocket client
written on asyncio protocols, so that one client core can drive a server core:
the official python-socketio client costs more per message than the server it
would be measuring (research/performance-anchors.md §2.3a).

    loadgen.py chat --port P --target relay|product --pairs 50 --window 4 ...  # closed loop
    loadgen.py chat --port P --target product --cookies F --pairs 50 --rate 1000 ...  # open loop
    loadgen.py idle --port P --target product --conns 10000 --server-pid PID

`chat` drives visitor<->agent pairs with the product's protocol (docs/protocol.md):
agents connect to /agent (product: the session cookies in --cookies, one per
agent; relay: auth {"pair": i}), go online with capacity 1; visitors connect to
/visitor, `start_conversation`, then `send_message`. Latency is visitor send ->
agent `message_posted` carrying the same client_msg_id, on one monotonic clock.
`idle` opens connections to /visitor and holds them, reading the server worker's
RSS before and after. Both print one JSON object (the result) as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import resource
import sys
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

TEXT = ("Hello, I would like to ask about the status of my card application. " * 3)[:200]
CMID = re.compile(r'"client_msg_id":\s*"([^"]*)"')
OK_TRUE = ('"ok":true', '"ok": true')


# --- a minimal WebSocket client ------------------------------------------------------


def ws_frame(text: str) -> bytes:
    """One masked, unfragmented client text frame (RFC 6455 §5.2)."""
    data = text.encode()
    n = len(data)
    mask = random.getrandbits(32).to_bytes(4, "little")
    if n < 126:
        header = bytes((0x81, 0x80 | n))
    elif n < 65536:
        header = bytes((0x81, 0xFE)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 0xFF)) + n.to_bytes(8, "big")
    keystream = (mask * (n // 4 + 1))[:n]
    masked = int.from_bytes(data, "little") ^ int.from_bytes(keystream, "little")
    return header + mask + masked.to_bytes(n, "little")


class SocketIO(asyncio.Protocol):
    """One WebSocket carrying one Socket.IO namespace; callbacks, not futures, on the hot path."""

    def __init__(self, host: str, port: int, namespace: str, auth: dict, cookie: str | None):
        self.request = (
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
        ).encode()
        self.namespace = namespace
        self.auth = auth
        self.event_prefix = f"42{namespace},"
        self.ack_prefix = f"43{namespace},"
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments = bytearray()
        self.handlers: dict[str, Callable[[Any], None]] = {}
        self.unhandled: dict[str, str] = {}
        self.acks: dict[int, Callable[[str], None]] = {}
        self.next_ack = 0
        loop = asyncio.get_running_loop()
        self.connected: asyncio.Future = loop.create_future()  # Socket.IO connect outcome
        self.closed: asyncio.Future = loop.create_future()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(f"closed before connect: {exc}"))
        if not self.closed.done():
            self.closed.set_result(exc)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            if b" 101 " not in status:
                self.connected.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.upgraded = True
            del buf[: end + 4]
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            opcode = b0 & 0x0F
            if opcode in (0, 1):
                if not b0 & 0x80:
                    self.fragments += payload
                    continue
                if opcode == 0:
                    payload, self.fragments = bytes(self.fragments + payload), bytearray()
                self.on_text(payload.decode())
            elif opcode == 9:
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                self.transport.close()
        del buf[:pos]

    # Engine.IO / Socket.IO
    def send(self, text: str) -> None:
        self.transport.write(ws_frame(text))

    def on_text(self, text: str) -> None:
        if text.startswith(self.event_prefix):
            body = text[len(self.event_prefix) :]
            if body[0] == "[":
                name, _, rest = body[2:].partition('",')
                handler = self.handlers.get(name)
                if handler is not None:
                    handler(rest[:-1])
                else:  # kept: it may arrive before the caller asks (session_started, agent_state)
                    self.unhandled[name] = rest[:-1]
        elif text.startswith(self.ack_prefix):
            body = text[len(self.ack_prefix) :]
            bracket = body.index("[")
            callback = self.acks.pop(int(body[:bracket]), None)
            if callback is not None:
                callback(body[bracket + 1 : -1])
        elif text == "2":
            self.send("3")
        elif text[0] == "0":
            self.send(f"40{self.namespace}," + json.dumps(self.auth, separators=(",", ":")))
        elif text.startswith(f"40{self.namespace},"):
            self.connected.set_result(None)
        elif text.startswith(f"44{self.namespace},"):
            self.connected.set_exception(ConnectionRefusedError(text[len(self.namespace) + 3 :]))
        elif text.startswith(f"41{self.namespace}"):
            self.transport.close()

    def on(self, event: str, handler: Callable[[str], None]) -> None:
        """handler(raw JSON text of the event's data)."""
        self.handlers[event] = handler

    def emit(self, event: str, data_json: str, callback: Callable[[str], None]) -> None:
        """Emit `event` with pre-encoded `data_json`; callback(raw JSON text of the ack)."""
        self.next_ack += 1
        self.acks[self.next_ack] = callback
        self.send(f'42{self.namespace},{self.next_ack}["{event}",{data_json}]')

    async def call(self, event: str, data: dict, timeout: float = 30) -> dict:
        future = asyncio.get_running_loop().create_future()
        self.emit(event, json.dumps(data), lambda raw: future.set_result(json.loads(raw)))
        return await asyncio.wait_for(future, timeout)

    def next_event(self, event: str) -> asyncio.Future:
        """The data of `event`: one that already arrived unhandled, else the next one."""
        future = asyncio.get_running_loop().create_future()
        if event in self.unhandled:
            future.set_result(json.loads(self.unhandled.pop(event)))
            return future

        def handler(raw: str) -> None:
            if not future.done():
                future.set_result(json.loads(raw))

        self.on(event, handler)
        return future

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


async def open_socket(
    host: str, port: int, namespace: str, auth: dict, cookie: str | None = None, timeout=30
) -> SocketIO:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(
        lambda: SocketIO(host, port, namespace, auth, cookie), host, port
    )
    await asyncio.wait_for(conn.connected, timeout)
    return conn


# --- measurements ---------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def proc_cpu_seconds(pid: int | None) -> float:
    """utime + stime of process `pid` (all its threads), in seconds."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_busy_seconds(cpu: int | None) -> float:
    """Time one CPU spent on tasks or was stolen by the hypervisor (/proc/stat), in seconds.

    Interrupt time is left out: loopback traffic to and from the server is processed there.
    """
    if cpu is None:
        return 0.0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(
                    int, line.split()[1:9]
                )
                return (user + nice + system + steal) / os.sysconf("SC_CLK_TCK")
    return 0.0


class Window:
    """CPU of this process, of the server worker and of the server's CPU over an interval.

    `server_core_others` is the server core's busy time not spent by the server: other
    processes (tests running beside the benchmark) that the server had to share its core with.
    `db_pids` are the server's PostgreSQL backends: their CPU is the database's share of the
    work (`db_cpu`), and not "others" when they are confined to the server's core.
    """

    def __init__(
        self, server_pid: int | None, server_cpu: int | None = None, db_pids: Sequence[int] = ()
    ):
        self.server_pid, self.core, self.db_pids = server_pid, server_cpu, db_pids
        self.wall = time.perf_counter()
        self.client_cpu = time.process_time()
        self.server_cpu = proc_cpu_seconds(server_pid)
        self.db_cpu = self._db_seconds()
        self.core_busy = cpu_busy_seconds(server_cpu)

    def _db_seconds(self) -> float:
        return sum(proc_cpu_seconds(pid) for pid in self.db_pids)

    def close(self) -> dict:
        wall = time.perf_counter() - self.wall
        server = (proc_cpu_seconds(self.server_pid) - self.server_cpu) / wall
        db = (self._db_seconds() - self.db_cpu) / wall
        on_core = self.db_pids and all(
            os.sched_getaffinity(pid) == {self.core} for pid in self.db_pids
        )
        others = (cpu_busy_seconds(self.core) - self.core_busy) / wall - server
        others -= db if on_core else 0.0
        return {
            "seconds": wall,
            "client_cpu": (time.process_time() - self.client_cpu) / wall,
            "server_cpu": server if self.server_pid else None,
            "db_cpu": db if self.db_pids else None,
            "db_on_server_core": bool(on_core),
            "server_core_others": max(0.0, others) if self.core is not None else None,
        }


# --- chat: visitor <-> agent pairs ----------------------------------------------------


class Pair:
    __slots__ = ("agent", "conversation_id", "index", "inflight", "sent", "visitor")

    def __init__(self, index: int, visitor: SocketIO, agent: SocketIO, conversation_id: str):
        self.index, self.visitor, self.agent = index, visitor, agent
        self.conversation_id = conversation_id
        self.sent = 0
        self.inflight = 0


async def connect_pairs(args: argparse.Namespace) -> list[Pair]:
    """Agents online with capacity 1, one started conversation per visitor, each assigned."""
    host, port, n = args.host, args.port, args.pairs
    if args.target == "product":
        with open(args.cookies) as f:
            cookies = json.load(f)
        if len(cookies) < n:
            raise SystemExit(f"--cookies holds {len(cookies)} agents, need {n}")
        agent_specs = [({}, cookies[i]) for i in range(n)]
        visitor_auths = [{} for _ in range(n)]
    else:
        agent_specs = [({"pair": i}, None) for i in range(n)]
        visitor_auths = [{"pair": i} for i in range(n)]

    agents: list[SocketIO] = []
    for auth, cookie in agent_specs:
        agents.append(await open_socket(host, port, "/agent", auth, cookie))
    assigned: dict[str, SocketIO] = {}

    def on_assigned(raw: str, conn: SocketIO) -> None:
        assigned[json.loads(raw)["id"]] = conn

    for conn in agents:
        conn.on("conversation_assigned", lambda raw, c=conn: on_assigned(raw, c))
        state = await asyncio.wait_for(conn.next_event("agent_state"), 10)
        for stale in state.get("conversations", []):  # left open by an earlier run
            await conn.call("close_conversation", {"conversation_id": stale["id"]})
        ack = await conn.call("set_status", {"status": "online", "capacity": 1})
        if not ack.get("ok"):
            raise SystemExit(f"set_status refused: {ack}")

    pairs: list[Pair] = []
    for i, auth in enumerate(visitor_auths):
        visitor = await open_socket(host, port, "/visitor", auth)
        ack = await visitor.call("start_conversation", {})
        if not ack.get("ok"):
            raise SystemExit(f"start_conversation refused: {ack}")
        conversation = ack["conversation"]
        if conversation["status"] != "assigned":
            raise SystemExit(f"conversation not assigned (free agents?): {conversation}")
        pairs.append(Pair(i, visitor, None, conversation["id"]))  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while any(p.conversation_id not in assigned for p in pairs):
        if time.monotonic() > deadline:
            raise SystemExit("agents were not told of every assignment within 10 s")
        await asyncio.sleep(0.01)
    for pair in pairs:
        pair.agent = assigned[pair.conversation_id]
    return pairs


async def close_pairs(pairs: list[Pair], target: str) -> None:
    if target == "product":  # free the agents for the next run
        await asyncio.gather(
            *(
                p.agent.call("close_conversation", {"conversation_id": p.conversation_id})
                for p in pairs
            ),
            return_exceptions=True,
        )
    for pair in pairs:
        pair.visitor.close()
        pair.agent.close()
    await asyncio.sleep(0.2)


async def run_chat(args: argparse.Namespace) -> dict:
    pairs = await connect_pairs(args)
    now = time.perf_counter
    by_id: dict[str, list] = {}  # client_msg_id -> [pair, sent_at, acked, delivered]
    latencies: list[float] = []
    ack_latencies: list[float] = []
    errors: dict[str, int] = {}
    counts = {"delivered": 0, "acked": 0, "completed": 0}
    # Latency counts messages *sent* in the window, delivered whenever (drain included),
    # so a growing backlog shows in the percentiles instead of hiding behind the window.
    state = {"window_start": float("inf"), "window_end": float("inf"), "sending": True}
    closed_loop = args.rate <= 0
    server = (args.server_pid, args.server_cpu, args.db_pid)

    def in_window(sent_at: float) -> bool:
        return state["window_start"] <= sent_at < state["window_end"]

    def send(pair: Pair) -> None:
        pair.sent += 1
        pair.inflight += 1
        cmid = f"m{pair.index}-{pair.sent}"
        entry = [pair, now(), False, False]
        by_id[cmid] = entry
        pair.visitor.emit(
            "send_message",
            f'{{"conversation_id":"{pair.conversation_id}","client_msg_id":"{cmid}",'
            f'"text":"{TEXT}"}}',
            lambda raw: on_ack(cmid, raw),
        )

    def complete(cmid: str, entry: list) -> None:
        del by_id[cmid]
        pair = entry[0]
        pair.inflight -= 1
        counts["completed"] += 1
        if closed_loop and state["sending"]:
            send(pair)

    def on_ack(cmid: str, raw: str) -> None:
        entry = by_id.get(cmid)
        if entry is None:
            return
        if OK_TRUE[0] not in raw and OK_TRUE[1] not in raw:
            code = json.loads(raw).get("code", "?")
            errors[code] = errors.get(code, 0) + 1
            complete(cmid, entry)
            return
        counts["acked"] += 1
        if in_window(entry[1]):
            ack_latencies.append(now() - entry[1])
        entry[2] = True
        if entry[3]:
            complete(cmid, entry)

    def on_message_posted(raw: str) -> None:
        match = CMID.search(raw)
        entry = by_id.get(match.group(1)) if match else None
        if entry is None or entry[3]:
            return
        counts["delivered"] += 1
        if in_window(entry[1]):
            latencies.append(now() - entry[1])
        entry[3] = True
        if entry[2]:
            complete(match.group(1), entry)

    for pair in pairs:
        pair.agent.on("message_posted", on_message_posted)

    start = now()
    if closed_loop:
        for pair in pairs:
            for _ in range(args.window):
                send(pair)
        await asyncio.sleep(args.warmup)
        state["window_start"] = now()
        window, before = Window(*server), counts["delivered"]
        await asyncio.sleep(args.duration)
        state["window_end"] = now()
        measured = window.close()
        delivered = counts["delivered"] - before
        state["sending"] = False
        behind = 0.0
    else:
        total_s = args.warmup + args.duration
        sent, behind = 0, 0.0
        while True:
            t = now() - start
            if t >= total_s:
                break
            if t >= args.warmup and state["window_start"] == float("inf"):
                state["window_start"] = now()
                window, before = Window(*server), counts["delivered"]
            due = int(t * args.rate)
            if due - sent > 1:
                behind = max(behind, (due - sent) / args.rate)
            while sent < due:
                send(pairs[sent % len(pairs)])
                sent += 1
            await asyncio.sleep(0.0005)
        state["window_end"] = now()
        measured = window.close()
        delivered = counts["delivered"] - before
        state["sending"] = False

    drain_deadline = now() + args.drain
    while by_id and now() < drain_deadline:
        await asyncio.sleep(0.01)
    lost = len(by_id)
    # Undelivered window messages count as the time they had: the percentiles become
    # lower bounds (flagged), rather than silently dropping the slowest messages.
    missing = [e for e in by_id.values() if in_window(e[1]) and not e[3]]
    latencies.extend(now() - e[1] for e in missing)
    await close_pairs(pairs, args.target)

    latencies.sort()
    ack_latencies.sort()
    ms = 1000.0
    server_us = (
        measured["server_cpu"] * measured["seconds"] / delivered * 1e6
        if measured["server_cpu"] and delivered
        else None
    )
    db_us = (
        measured["db_cpu"] * measured["seconds"] / delivered * 1e6
        if measured["db_cpu"] is not None and delivered
        else None
    )
    return {
        "mode": "closed" if closed_loop else "open",
        "target": args.target,
        "pairs": args.pairs,
        "window": args.window if closed_loop else None,
        "offered_rate": args.rate if not closed_loop else None,
        "delivered_per_s": delivered / measured["seconds"],
        "samples": len(latencies),
        "p50_ms": percentile(latencies, 0.50) * ms,
        "p90_ms": percentile(latencies, 0.90) * ms,
        "p99_ms": percentile(latencies, 0.99) * ms,
        "max_ms": (latencies[-1] if latencies else float("nan")) * ms,
        "ack_p50_ms": percentile(ack_latencies, 0.50) * ms,
        "ack_p99_ms": percentile(ack_latencies, 0.99) * ms,
        "latency_lower_bound": bool(missing),
        "errors": errors,
        "undelivered_after_drain": lost,
        "undelivered_in_window": len(missing),
        "server_us_per_msg": server_us,
        "db_us_per_msg": db_us,
        "schedule_lag_max_ms": behind * ms,
        "drain": args.drain,
        **measured,
    }


# --- idle: many quiet visitors --------------------------------------------------------


async def run_idle(args: argparse.Namespace) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.conns + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pid = args.server_pid
    # One connection first, so the measured growth excludes first-use imports and caches.
    probe = await open_socket(args.host, args.port, "/visitor", {})
    await asyncio.sleep(0.5)
    probe.close()
    await asyncio.sleep(1.0)
    rss_before = proc_rss_kb(pid)
    conns: list[SocketIO] = []
    failures: dict[str, int] = {}
    semaphore = asyncio.Semaphore(args.concurrency)

    async def one() -> None:
        async with semaphore:
            try:
                conn = await asyncio.wait_for(
                    asyncio.get_running_loop().create_connection(
                        lambda: SocketIO(args.host, args.port, "/visitor", {}, None),
                        args.host,
                        args.port,
                    ),
                    30,
                )
                conn = conn[1]
                await asyncio.wait_for(conn.connected, 30)
                await asyncio.wait_for(conn.next_event("session_started"), 30)
                conns.append(conn)
            except Exception as exc:  # counted, not fatal: the report says how many held
                name = type(exc).__name__
                failures[name] = failures.get(name, 0) + 1

    start = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(args.conns)]
    deadline = start + args.connect_timeout
    while not all(t.done() for t in tasks) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    connect_s = time.perf_counter() - start
    for task in tasks:
        task.cancel()
    opened = len(conns)
    await asyncio.sleep(args.settle)
    window = Window(pid, args.server_cpu)
    await asyncio.sleep(args.hold)
    idle = window.close()
    rss_after = proc_rss_kb(pid)
    held = sum(1 for c in conns if not c.closed.done())
    for conn in conns:
        conn.close()
    await asyncio.sleep(0.5)
    return {
        "target": args.target,
        "requested": args.conns,
        "opened": opened,
        "held": held,
        "timed_out": args.conns - opened - sum(failures.values()),
        "failures": failures,
        "connect_seconds": connect_s,
        "connects_per_s": opened / connect_s,
        "rss_before_kb": rss_before,
        "rss_after_kb": rss_after,
        "kb_per_conn": (rss_after - rss_before) / max(1, held),
        "idle_server_cpu": idle["server_cpu"],
        "client_cpu_hold": idle["client_cpu"],
        "server_core_others": idle["server_core_others"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("chat", "idle"):
        p = sub.add_parser(name)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--target", choices=("relay", "product"), required=True)
        p.add_argument("--server-pid", type=int, help="worker pid: its CPU (and RSS) is read")
        p.add_argument("--cpu", type=int, help="pin this process to one CPU")
        p.add_argument("--server-cpu", type=int, help="the server's CPU: others' use is reported")
    chat = sub.choices["chat"]
    chat.add_argument("--cookies", help="product: JSON list of agents' Cookie header values")
    chat.add_argument("--pairs", type=int, default=50)
    chat.add_argument("--window", type=int, default=4, help="closed loop: in flight per pair")
    chat.add_argument("--rate", type=float, default=0, help="open loop: msgs/s over all pairs")
    chat.add_argument("--warmup", type=float, default=2)
    chat.add_argument("--duration", type=float, default=6)
    chat.add_argument("--drain", type=float, default=5, help="wait for stragglers, s")
    chat.add_argument(
        "--db-pid", type=int, action="append", default=[], help="a PostgreSQL backend of the server"
    )
    idle = sub.choices["idle"]
    idle.add_argument("--conns", type=int, default=10000)
    idle.add_argument("--concurrency", type=int, default=200)
    idle.add_argument("--connect-timeout", type=float, default=90)
    idle.add_argument("--settle", type=float, default=2)
    idle.add_argument("--hold", type=float, default=5)
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    if args.command == "idle" and not args.server_pid:
        parser.error("idle needs --server-pid")
    result = asyncio.run(run_chat(args) if args.command == "chat" else run_idle(args))
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
