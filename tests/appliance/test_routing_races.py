"""No conversation assigned twice and no agent over capacity: many greenlets through the
group-commit writer, and two processes (three threads each) on one PostgreSQL database."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import gevent

from appliance import create_app
from appliance.db import db
from appliance.instance import init_instance
from appliance.models import AgentPresence
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.services._uow import install_runner
from appliance.services._writer import GroupCommitWriter
from appliance.services.conversations import choose_queue
from appliance.services.conversations import do_set_status
from appliance.services.conversations import start_or_resume
from appliance.services.visitors import new_anonymous
from appliance.settings import load_settings
from audit.events import Actor
from audit.events import EventType
from tests.appliance.directory_helpers import make_agent

ROOT = Path(__file__).resolve().parents[2]
SETUP = Actor(id="test:setup", role="operator")


def _agents_online(app, capacities: dict[str, int]) -> None:
    with app.app_context(), db.connection_context():
        for username, capacity in capacities.items():
            principal = make_agent(username)
            do_set_status(
                agent_id=principal.id,
                groups=principal.groups,
                status="online",
                capacity=capacity,
                actor=SETUP,
            )


def _check_invariants(app) -> dict[str, int]:
    with app.app_context(), db.connection_context():
        assigned = list(Conversation.select().where(Conversation.status == "assigned"))
        per_agent = Counter(c.agent_id for c in assigned)
        for presence in AgentPresence.select():
            assert presence.load <= presence.capacity, "an agent went over capacity"
            assert presence.load == per_agent.get(presence.agent_id, 0), "load drifted"
        assignments = Counter(
            row.target_id
            for row in AuditEventRow.select().where(
                AuditEventRow.action == int(EventType.CONVERSATION_ASSIGNED)
            )
        )
        twice = [cid for cid, n in assignments.items() if n > 1]
        assert twice == [], "a conversation was assigned twice"
        return {
            "assigned": len(assigned),
            "assignments": sum(assignments.values()),
            "total": Conversation.select().count(),
        }


def test_many_greenlets_through_the_writer_never_over_assign(any_app):
    _agents_online(any_app, {"ann": 3, "bob": 2})
    writer = GroupCommitWriter(any_app)
    writer.start()
    install_runner(writer)
    try:

        def start() -> None:
            with any_app.app_context():
                identity, _ = new_anonymous()
                start_or_resume(identity, choice=choose_queue(None))

        gevent.joinall([gevent.spawn(start) for _ in range(40)], raise_error=True)
    finally:
        install_runner(None)
        writer.stop()
    figures = _check_invariants(any_app)
    assert figures["assigned"] == 5  # every slot filled, none twice
    assert figures["total"] == 40


def test_two_processes_on_postgresql_never_over_assign(tmp_path, postgres_url):
    data_dir = init_instance(tmp_path / "instance", database_url=postgres_url).data_dir
    app = create_app(load_settings(data_dir, environ={}))
    _agents_online(app, {"ann": 4, "bob": 3, "cat": 5})
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.appliance.routing_race", str(data_dir), str(seed), "25"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=240)
        assert worker.returncode == 0, output.decode(errors="replace")[-3000:]
    figures = _check_invariants(app)
    assert figures["total"] == 2 * 3 * 25
    assert figures["assignments"] > 12  # closes freed slots, so routing ran many times
    assert figures["assigned"] == 12  # the slots are full at the end: 4 + 3 + 5
