"""Benchmark idle visitor connections held by one worker (a script, not a test).

    .venv/bin/python tests/bench/bench_idle.py [--conns 10000] [--hold 10]

In one run, each server one gunicorn gevent worker pinned to CPU 0 and
started with the hard RLIMIT_NOFILE, the load generator (tests/bench/loadgen.py)
on CPU 1 with the same: open --conns WebSocket connections to /visitor with
auth {} (on the product that is the real connect path: it creates a visitor and
sends `session_started`), wait for each `session_started`, hold them, and report
the worker's RSS growth per connection (VmRSS before and after), the connect
rate, and the worker's CPU while they idle. The baseline is the bare relay
(tests/bench/relay_app.py) under the same worker, measured in the same run.
Targets: all --conns held on one worker at <= 50 KB RSS each. Printed as
PASS/MISS; the exit status is always 0 because shared CI machines make timing
too noisy to gate on.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import _chatbench as cb

KB_PER_CONN_TARGET = 50.0


def measure(server: cb.Server, args: argparse.Namespace) -> dict:
    result = cb.run_loadgen(
        [
            "idle",
            "--port", str(server.port),
            "--target", server.name,
            "--server-pid", str(server.worker_pid),
            "--conns", str(args.conns),
            "--hold", str(args.hold),
            "--connect-timeout", str(args.connect_timeout),
        ],
        timeout=args.connect_timeout + args.hold + 120,
    )  # fmt: skip
    failed = sum(result["failures"].values()) + result["timed_out"]
    others = result.get("server_core_others")
    print(
        f"  {server.name:<8} held {result['held']:>6,}/{result['requested']:,}"
        f"  {result['kb_per_conn']:5.1f} KB/conn"
        f"  RSS {result['rss_before_kb'] / 1024:.0f} -> {result['rss_after_kb'] / 1024:.0f} MB"
        f"  connects {result['connects_per_s']:,.0f}/s ({result['connect_seconds']:.1f} s)"
        f"  idle CPU {result['idle_server_cpu']:.1%}"
        + (f" (others {others:.0%})" if others is not None else "")
        + (f"  FAILED {failed}: {result['failures']}" if failed else "")
    )
    return result


def run(tmp: Path, args: argparse.Namespace) -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; server on CPU "
        f"{cb.SERVER_CPU}, load generator on CPU {cb.CLIENT_CPU}; RLIMIT_NOFILE hard {hard}"
    )
    if hard < args.conns + 200:
        print(f"WARNING: the hard fd limit {hard} is below {args.conns} connections")
    print(f"{args.conns:,} idle /visitor connections per server, held {args.hold:g} s\n")
    logs = tmp / "logs"
    logs.mkdir()
    results: dict[str, dict] = {}

    relay = cb.start_relay(logs)
    try:
        results["relay"] = measure(relay, args)
    finally:
        relay.stop()

    missing = cb.product_available() if not args.relay_only else "--relay-only"
    if missing is None:
        product = cb.start_product(cb.init_product(tmp), logs)
        try:
            results["product"] = measure(product, args)
        finally:
            product.stop()

    bare = results["relay"]
    print()
    if missing is not None:
        print(
            f"idle connections: full SKIPPED ({missing}); "
            f"bare {bare['held']:,} held at {bare['kb_per_conn']:.1f} KB each"
        )
        return 0
    full = results["product"]
    ok = full["held"] >= args.conns and full["kb_per_conn"] <= KB_PER_CONN_TARGET
    print(
        f"idle connections: full {full['held']:,} held at {full['kb_per_conn']:.1f} KB each "
        f"(target {args.conns:,} at <= {KB_PER_CONN_TARGET:.0f} KB) [{cb.verdict(ok)}]; "
        f"bare {bare['held']:,} at {bare['kb_per_conn']:.1f} KB; "
        f"ratio full/bare {full['kb_per_conn'] / bare['kb_per_conn']:.2f}"
    )
    print(
        f"connect rate: full {full['connects_per_s']:,.0f}/s | bare "
        f"{bare['connects_per_s']:,.0f}/s | ratio "
        f"{full['connects_per_s'] / bare['connects_per_s']:.2f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conns", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=10, help="seconds held after all opened")
    parser.add_argument("--connect-timeout", type=float, default=90)
    parser.add_argument("--relay-only", action="store_true", help="skip the product")
    args = parser.parse_args()
    return cb.with_servers(lambda tmp: run(tmp, args))


if __name__ == "__main__":
    sys.exit(main())
