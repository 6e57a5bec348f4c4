"""Benchmark the chat hot path against a bare Flask-SocketIO relay (a script, not a test).

    .venv/bin/python tests/bench/bench_chat.py [--pairs 50] [--window 4] [--rounds 2]
        [--database sqlite|postgresql]

In one run, each server one gunicorn gevent worker pinned to CPU 0, the load
generator (tests/bench/loadgen.py, raw Engine.IO/Socket.IO) on CPU 1:
- the bare relay (tests/bench/relay_app.py: Flask-SocketIO, no DB, no crypto,
  no audit) and the product (a fresh `enclave init` instance, agents made with
  `enclave users add`, gunicorn with config/gunicorn.conf.py, agents signed in
  over HTTP) both serve N visitor<->agent pairs;
- capacity: closed loop, each pair keeping W messages in flight, delivered
  msgs/s over a fixed window after warm-up, alternating relay/product (A/B/A/B);
- latency: open loop at a fixed offered rate (1,000 msgs/s over all pairs),
  p50/p99 from a visitor's send to the agent's `message_posted`; and again at
  half the product's measured capacity, which on a machine slower than the
  one the target was set on is the load it actually sustains.
The product's flood control (chat.flood_*) is raised for the run: at 20 msgs/s
per connection it would refuse the load this measures, not the path behind it.
--database postgresql puts the product's data in a scratch database on the
PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth, as the test suite's),
dropped at the end however the run ends; the database's backends are pinned to
the server's CPU beside the worker, so the product has one core in all as on
SQLite (whose work runs in the worker), and their CPU is shown on its own. No
PostgreSQL: the product is SKIPPED and the relay still measured.
Targets: product >= 40 % of the relay's capacity; p99 <= 50 ms at 1,000 msgs/s.
Printed as PASS/MISS; the exit status is always 0 because shared CI machines
make timing too noisy to gate on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests import scratch_postgres as _postgres
from tests.bench import _chatbench as cb

Result = dict[str, Any]  # one loadgen.py result (its JSON), or this run's figures

CAPACITY_RATIO_TARGET = 0.40
P99_TARGET_MS = 50.0
SCALED_LOAD = 0.5  # a second latency point, at this share of the product's capacity
UNTHROTTLED = {
    "ENCLAVE_CHAT_FLOOD_RATE_PER_SECOND": "1000000",
    "ENCLAVE_CHAT_FLOOD_BURST": "1000000",
}


def ms(r: Result, key: str) -> str:
    """A latency figure; ">=" when undelivered messages made it a lower bound."""
    bound = ">=" if r["latency_lower_bound"] and not key.startswith("ack") else ""
    return f"{bound}{r[key]:.1f} ms"


def describe(label: str, r: Result) -> None:
    server = f"{r['server_cpu']:.0%}" if r.get("server_cpu") is not None else "?"
    if r.get("server_us_per_msg"):
        server += f" = {r['server_us_per_msg']:,.0f} µs/msg"
    if r.get("db_cpu") is not None:
        server += f" + PostgreSQL {r['db_cpu']:.0%}"
        server += f" = {r['db_us_per_msg']:,.0f} µs/msg" if r.get("db_us_per_msg") else ""
    others = r.get("server_core_others")
    client = f"client CPU {r['client_cpu']:.0%}"
    if others is not None:
        client += f", others on server core {others:.0%}"
    problems = ""
    if r["errors"]:
        problems += f"  errors {r['errors']}"
    if r["undelivered_after_drain"]:
        problems += f"  UNDELIVERED {r['undelivered_after_drain']} after {r['drain']:g} s"
    print(
        f"  {label:<18} {r['delivered_per_s']:>7,.0f} msg/s  p50 {ms(r, 'p50_ms'):>10}"
        f"  p99 {ms(r, 'p99_ms'):>10}  (ack p99 {ms(r, 'ack_p99_ms')})"
        f"  server CPU {server}; {client}{problems}"
    )
    cb.warn_cpu(label, r)
    if r["schedule_lag_max_ms"] > 20:
        print(
            f"  note: {label}: the load generator fell up to {r['schedule_lag_max_ms']:.0f} ms "
            "behind its send schedule (a client or VM stall; those sends went out late)"
        )


def others(result: Result) -> float:
    return float(result.get("server_core_others") or 0.0)


def total_us(result: Result) -> float:
    """Server CPU per message, the database's backends included (PostgreSQL)."""
    return (result.get("server_us_per_msg") or float("nan")) + (result.get("db_us_per_msg") or 0)


def database_label(database: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]


def chat_args(server: cb.Server, args: argparse.Namespace, extra: list[str]) -> list[str]:
    common = [
        "chat",
        "--port", str(server.port),
        "--target", server.name,
        "--server-pid", str(server.worker_pid),
        "--pairs", str(args.pairs),
        "--warmup", str(args.warmup),
    ]  # fmt: skip
    return common + extra


def loadgen_extra(
    server: cb.Server, cookies: Path | None, database: _postgres.ScratchDatabase | None
) -> list[str]:
    """The product's agent cookies and, on PostgreSQL, its backends (pinned beside it)."""
    extra = ["--cookies", str(cookies)] if cookies else []
    if server.name == "product" and database is not None:
        if cb.pinning_available():
            pids = database.pin_backends(cb.SERVER_CPU)
        else:
            pids = database.backend_pids()
        extra += [f"--db-pid={pid}" for pid in pids]
    return extra


def run(tmp: Path, args: argparse.Namespace) -> int:
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"server on CPU {cb.SERVER_CPU}, load generator on CPU {cb.CLIENT_CPU}"
    )
    print(f"{args.pairs} visitor<->agent pairs, 200-byte messages")
    missing = cb.product_available() if not args.relay_only else "--relay-only"
    if missing is None and args.database == "postgresql":
        missing = _postgres.unreachable()
    with contextlib.ExitStack() as stack:
        database = None
        if missing is not None:
            print(f"product database: {database_label(args.database)} (product SKIPPED)\n")
        elif args.database == "sqlite":
            print("product database: SQLite (WAL, synchronous=FULL) in its data directory\n")
        else:
            database = stack.enter_context(_postgres.scratch_database())
            pinned = f", backends on CPU {cb.SERVER_CPU}" if cb.pinning_available() else ""
            print(
                f"product database: PostgreSQL {_postgres.server_version()} at "
                f"{_postgres.HOST}:{_postgres.PORT}, scratch database {database.name} "
                f"(dropped at the end){pinned}\n"
            )
        results = measure(tmp, args, missing, database)
    summarize(args, results)
    return 0


def measure(
    tmp: Path,
    args: argparse.Namespace,
    missing: str | None,
    database: _postgres.ScratchDatabase | None,
) -> Result:
    logs = tmp / "logs"
    logs.mkdir()
    servers: list[cb.Server] = []
    try:
        relay = cb.start_relay(logs)
        servers.append(relay)
        product, cookies = None, None
        if missing is None:
            data_dir = cb.init_product(tmp, database.url if database else "")
            accounts = cb.add_agents(data_dir, args.pairs)
            product = cb.start_product(data_dir, logs, UNTHROTTLED)
            servers.append(product)
            cookies = cb.write_cookies(product.port, accounts, tmp / "cookies.json")
        else:
            print(f"full stack SKIPPED ({database_label(args.database)}): {missing}\n")
        targets = [(relay, None)] + ([(product, cookies)] if product else [])

        def loadgen(server: cb.Server, server_cookies: Path | None, extra: list[str]) -> Result:
            more = loadgen_extra(server, server_cookies, database)
            return cb.run_loadgen([*chat_args(server, args, more), *extra])

        print(
            f"Capacity: closed loop, window {args.window} per pair, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s measured, A/B x {args.rounds}"
        )
        capacity: dict[str, list[float]] = {s.name: [] for s, _ in targets}
        cpu_cost: dict[str, list[Result]] = {s.name: [] for s, _ in targets}
        for round_ in range(1, args.rounds + 1):
            for server, server_cookies in targets:
                cb.wait_quiet(servers)
                loop_args = ["--window", str(args.window), "--duration", str(args.duration)]
                result = loadgen(server, server_cookies, loop_args)
                describe(f"{server.name} round {round_}", result)
                capacity[server.name].append(result["delivered_per_s"])
                cpu_cost[server.name].append(result)

        print(
            f"\nLatency: open loop at {args.rate:,.0f} msg/s offered, "
            f"{args.warmup:g} s warm-up + {args.latency_duration:g} s measured"
        )
        latency: dict[str, Result] = {}
        for server, server_cookies in targets:
            rate_args = ["--rate", str(args.rate), "--duration", str(args.latency_duration)]
            # A p99 is hostage to whatever else ran on the server's core: a run that
            # shared it (see the warning) is repeated once and the quieter one kept.
            for attempt in ("", " (again)"):
                cb.wait_quiet(servers)
                result = loadgen(server, server_cookies, rate_args)
                describe(f"{server.name} @{args.rate:,.0f}/s{attempt}", result)
                kept = latency.get(server.name)
                if kept is None or others(result) < others(kept):
                    latency[server.name] = result
                if others(result) <= cb.OTHERS_WARN:
                    break
        # On a machine slower than the one the target was set on, the product's
        # capacity can fall below args.rate; its latency at half its own measured
        # capacity says what a user sees at a load it sustains.
        scaled = None
        if product is not None:
            half = round(statistics.mean(capacity["product"]) * SCALED_LOAD)
            print(
                f"\nLatency: open loop at {half:,} msg/s, "
                f"{SCALED_LOAD:.0%} of the product's capacity"
            )
            cb.wait_quiet(servers)
            rate_args = ["--rate", str(half), "--duration", str(args.latency_duration)]
            scaled = loadgen(product, cookies, rate_args)
            describe(f"product @{half:,}/s", scaled)
    finally:
        for server in servers:
            server.stop()
    return {
        "missing": missing,
        "capacity": capacity,
        "cpu_cost": cpu_cost,
        "latency": latency,
        "scaled": scaled,
    }


def summarize(args: argparse.Namespace, results: Result) -> None:
    capacity, latency, scaled = results["capacity"], results["latency"], results["scaled"]
    on = f"(product on {database_label(args.database)})"
    bare = statistics.mean(capacity["relay"])
    print()
    lat_bare = latency["relay"]
    bare_latency = f"bare p50 {ms(lat_bare, 'p50_ms')} p99 {ms(lat_bare, 'p99_ms')}"
    if "product" not in capacity:
        skipped = f"full SKIPPED ({results['missing']})"
        print(f"chat relay capacity {on}: bare {bare:,.0f} msg/s | {skipped}")
        print(f"chat latency @{args.rate:,.0f} msg/s {on}: {skipped}; {bare_latency}")
        return
    full = statistics.mean(capacity["product"])
    ratio = full / bare
    print(
        f"chat relay capacity {on}: bare {bare:,.0f} msg/s | full {full:,.0f} msg/s | "
        f"ratio {ratio:.2f} (target >= {CAPACITY_RATIO_TARGET:.2f}) "
        f"[{cb.verdict(ratio >= CAPACITY_RATIO_TARGET)}]"
    )
    # Server CPU per message is less hostage to neighbours than msg/s: a second view.
    cost = results["cpu_cost"]
    bare_us = statistics.median(total_us(r) for r in cost["relay"])
    full_us = statistics.median(total_us(r) for r in cost["product"])
    split = ""
    if args.database == "postgresql":
        worker = statistics.median(r.get("server_us_per_msg") or 0 for r in cost["product"])
        split = f" (worker {worker:,.0f} + PostgreSQL {full_us - worker:,.0f})"
    print(
        f"  server CPU per message {on}: bare {bare_us:,.0f} µs | full {full_us:,.0f} µs"
        f"{split} | ratio {bare_us / full_us:.2f}"
    )
    lat = latency["product"]
    sustained = lat["delivered_per_s"] >= 0.95 * args.rate and not lat["undelivered_after_drain"]
    ok = lat["p99_ms"] <= P99_TARGET_MS and sustained and not lat["errors"]
    print(
        f"chat latency @{args.rate:,.0f} msg/s {on}: full p50 {ms(lat, 'p50_ms')} "
        f"p99 {ms(lat, 'p99_ms')} (target p99 <= {P99_TARGET_MS:.0f} ms) "
        f"[{cb.verdict(ok)}]{'' if sustained else ' (offered rate NOT sustained)'}; "
        f"{bare_latency}"
    )
    if scaled is not None:
        print(
            f"chat latency @{round(full * SCALED_LOAD):,} msg/s ({SCALED_LOAD:.0%} of the "
            f"product's capacity) {on}: full p50 {ms(scaled, 'p50_ms')} "
            f"p99 {ms(scaled, 'p99_ms')}"
        )
    if full < args.rate:
        print(
            f"  note: {args.rate:,.0f} msg/s is above the product's closed-loop capacity "
            f"({full:,.0f} msg/s), so its backlog grows and the latency is a queueing delay"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="A/B capacity repetitions")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--duration", type=float, default=6, help="capacity window, s")
    parser.add_argument("--rate", type=float, default=1000, help="latency run, msgs/s")
    parser.add_argument("--latency-duration", type=float, default=8)
    parser.add_argument("--relay-only", action="store_true", help="skip the product")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the product's database (postgresql: a scratch database on 127.0.0.1:5432)",
    )
    args = parser.parse_args(argv)
    return cb.with_servers(lambda tmp: run(tmp, args))


if __name__ == "__main__":
    sys.exit(main())
