"""Benchmark assignments through the database beside the naive policy (a script, not a test).

    .venv/bin/python tests/bench/bench_routing_db.py [--agents 40] [--capacity 5] [--waiting 2000]

One fresh SQLite instance (`enclave init`, WAL, synchronous=FULL as shipped) with
--waiting conversations queued over three queues and --agents agents, all
offline. Timed: the agents come online one by one (`do_set_status`, the product's
service), and each one's routing round takes a snapshot of everything waiting,
asks the policy, claims agent and conversation with conditional UPDATEs, audits
each decision with its reason and queues the events. That is --agents x
--capacity assignments. The same run is repeated on a fresh copy of the data with
the routing service's `plan` replaced by `appliance.routing.reference.reference_plan`
(re-sort everything and rescan every agent per decision), and the two are checked
to have assigned the same conversations to the same agents. Printed: assignments/s
of each and the ratio. Exit status 0 whatever the timing (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance import clock
from appliance import create_app
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import Agent
from appliance.models import Conversation
from appliance.models import Visitor
from appliance.routing.reference import reference_plan
from appliance.sealed import seal
from appliance.sealed import visitor_context
from appliance.services import routing
from appliance.services.conversations import do_set_status
from appliance.services.queues import do_create_queue
from appliance.settings import load_settings
from audit.events import Actor

QUEUES = ("general", "cards", "loans")
SETUP = Actor(id="bench:setup", role="operator")


def seed(data_dir: Path, agents: int, waiting: int) -> None:
    """Agents and waiting conversations, written directly (setup, not the path measured)."""
    app = create_app(load_settings(data_dir, environ={}))
    now = clock.now_ms()
    with app.app_context(), db.connection_context():
        for name in QUEUES[1:]:
            do_create_queue(name, {"offer_timeout_seconds": 0}, actor=SETUP)
        with db.atomic():
            for i in range(agents):
                Agent.create(
                    username=f"agent{i}",
                    display_name=f"Agent {i}",
                    password_hash="x",
                    roles="agent",
                    groups=",".join(sorted({QUEUES[i % 3], QUEUES[(i + 1) % 3]})),
                    created_ms=now,
                )
            for i in range(waiting):
                visitor_id = f"{i:032x}"
                name = seal(f"Visitor {i}", context=visitor_context(visitor_id, "name"))
                Visitor.create(id=visitor_id, kind="anonymous", name_enc=name, created_ms=now)
                Conversation.create(
                    id=f"{i:031x}c",
                    visitor_id=visitor_id,
                    group=QUEUES[i % 3],
                    status="queued",
                    opened_ms=now - waiting + i,
                    queued_ms=now - waiting + i,
                    vip=3 if i % 10 == 0 else 0,
                )


def run(data_dir: Path, capacity: int) -> tuple[float, int, dict[str, int]]:
    app = create_app(load_settings(data_dir, environ={}))
    with app.app_context(), db.connection_context():
        agents = list(Agent.select().order_by(Agent.id))
        started = time.perf_counter()
        for agent in agents:
            do_set_status(
                agent_id=agent.id,
                groups=frozenset(agent.groups.split(",")),
                status="online",
                capacity=capacity,
                actor=SETUP,
            )
        elapsed = time.perf_counter() - started
        assigned = {
            c.id: c.agent_id for c in Conversation.select().where(Conversation.status == "assigned")
        }
    return elapsed, len(assigned), assigned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--waiting", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enclave-bench-") as tmp:
        base = init_instance(Path(tmp) / "base").data_dir
        seed(base, args.agents, args.waiting)
        copy = Path(tmp) / "naive"
        shutil.copytree(base, copy)
        print(
            f"{args.agents} agents x capacity {args.capacity} coming online, "
            f"{args.waiting:,} waiting over {len(QUEUES)} queues (SQLite, synchronous=FULL)\n"
        )
        fast_s, fast_n, fast = run(base, args.capacity)
        original = routing.plan
        routing.plan = reference_plan  # type: ignore[assignment]
        try:
            naive_s, naive_n, naive = run(copy, args.capacity)
        finally:
            routing.plan = original  # type: ignore[assignment]
    same = fast == naive
    print(f"  Router      {fast_n:>5} assignments in {fast_s:6.2f} s = {fast_n / fast_s:8.1f} /s")
    print(
        f"  naive plan  {naive_n:>5} assignments in {naive_s:6.2f} s = {naive_n / naive_s:8.1f} /s"
    )
    print(
        f"routing through the database: {fast_n / fast_s:.1f} assignments/s vs naive "
        f"{naive_n / naive_s:.1f}/s, ratio {naive_s / fast_s * naive_n / max(fast_n, 1):.2f}x; "
        f"same assignments: {'yes' if same else 'NO'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
