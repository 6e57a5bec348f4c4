"""Background work of a serving process: the audit sequencer, checkpoints, heartbeat.

`AuditJobs.run_due(now_ms)` does whatever is due and returns; the loop started by
`start_audit_jobs` calls it forever on a gevent-friendly sleep. Tests call the
steps directly. With several processes on PostgreSQL each runs the loop; the
sequencer lock lets only one sequence or sign at a time, and the others' steps
simply find nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from flask import Flask

from appliance import clock
from appliance.db import db
from appliance.extensions import socketio
from appliance.runtime import Runtime
from appliance.services._uow import run_exclusive
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import sequence_some
from appliance.services.audit_log import sign_checkpoint_if_grown
from appliance.services.lifecycle import do_heartbeat

log = logging.getLogger(__name__)

SEQUENCE_SLICE = 100  # audit events sequenced per exclusive writer job


@dataclass
class AuditJobs:
    identity: LogIdentity
    sequencer_interval_ms: int
    checkpoint_interval_ms: int
    heartbeat_interval_ms: int
    server: str
    started_ms: int = field(default_factory=clock.now_ms)
    _next: dict[str, int] = field(default_factory=dict)

    def run_due(self, now_ms: int) -> None:
        """Run every step whose time has come; a failing step is logged, not fatal."""
        steps: list[tuple[str, int, Callable[[], object]]] = [
            ("heartbeat", self.heartbeat_interval_ms, self.heartbeat),
            ("sequence", self.sequencer_interval_ms, self.sequence),
            ("checkpoint", self.checkpoint_interval_ms, self.checkpoint),
        ]
        for name, interval, step in steps:
            if now_ms < self._next.get(name, 0):
                continue
            self._next[name] = now_ms + interval
            try:
                step()
            except Exception:
                log.exception("audit job %s failed; will retry", name)

    # Both manage their own transactions, in the writer greenlet when one runs.
    def sequence(self) -> int:
        # In slices, each its own exclusive job: chat mutations queued meanwhile run
        # between slices instead of waiting for the whole backlog (their p99).
        total = 0
        while True:
            done = run_exclusive(lambda: sequence_some(self.identity, SEQUENCE_SLICE))
            total += done
            if done < SEQUENCE_SLICE:
                return total

    def checkpoint(self) -> bool:
        return run_exclusive(lambda: sign_checkpoint_if_grown(self.identity)) is not None

    def heartbeat(self) -> None:
        do_heartbeat(server=self.server, started_ms=self.started_ms)

    @property
    def tick_seconds(self) -> float:
        return min(self.sequencer_interval_ms, 1000) / 1000


def audit_jobs_for(runtime: Runtime, identity: LogIdentity, server: str) -> AuditJobs:
    audit = runtime.settings.audit
    return AuditJobs(
        identity=identity,
        sequencer_interval_ms=audit.sequencer_interval_ms,
        checkpoint_interval_ms=audit.checkpoint_interval_seconds * 1000,
        heartbeat_interval_ms=audit.heartbeat_interval_seconds * 1000,
        server=server,
    )


def start_audit_jobs(app: Flask, jobs: AuditJobs) -> None:
    """Run `jobs` in a background greenlet for the life of the process."""

    def loop() -> None:
        # One connection for the life of the loop: the jobs' mutations reuse it,
        # and because it stays open, SQLite never sees a request's connection
        # close as the last one (which would force a WAL checkpoint each time).
        with db.connection_context():
            while True:
                with app.app_context():
                    jobs.run_due(clock.now_ms())
                socketio.sleep(jobs.tick_seconds)

    socketio.start_background_task(loop)
