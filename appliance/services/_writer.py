"""Group commit: one writer greenlet runs every mutation of a serving process.

Why: with SQLite synchronous=FULL each commit is an fsync (~150 µs here).
Measured on this machine, one transaction per message caps the durable path at
~13-25 % of a bare relay; batching concurrent messages into one transaction wins
most of it back (research/performance-anchors.md §2.3 f).

How: a greenlet submitting a mutation appends a job and waits. The writer
greenlet takes everything queued and runs each job in its own savepoint inside
one transaction, then commits once. A job that fails rolls back its savepoint
only; its caller gets the exception. After the commit each caller is woken with
its result and runs its own after-commit callbacks (emits) before it acks:
nothing is acknowledged or emitted before it is durable. While the woken callers
run and new events arrive, the next batch gathers.

Why on the hub and not a thread: a batch is mostly Python (peewee, sealing,
canonical audit bytes). On a thread it competes for the GIL with the hub, and
every socket call the hub makes hands the GIL over and waits up to the switch
interval to get it back (the "convoy"); measured here, throughput fell to a
tenth of the relay and collapsed under overload. On the hub a batch simply runs
to its end without yielding.

Only the COMMIT leaves the hub: it is an fsync, during which sqlite3 and
psycopg2 release the GIL, so a pool thread waits on the disk while the hub goes
on reading sockets, delivering the previous batch's emits and gathering the
next batch. For that the writer has a connection of its own (appliance/db.py,
`writer_connection`): while its batch commits, other greenlets read on the
hub's connection and see only committed rows.

If the commit itself fails, every job of the batch fails with that error and
nothing of the batch is stored.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import gevent
from flask import Flask
from gevent.event import AsyncResult
from gevent.event import Event

from appliance.db import WriterState
from appliance.db import db
from appliance.db import writer_connection
from appliance.services._uow import Callbacks
from appliance.services._uow import run_unit

log = logging.getLogger(__name__)

OFF_HUB_MIN_BATCH = 16  # jobs in a batch from which its COMMIT runs on a pool thread


@dataclass
class _Job:
    func: Callable[..., Any]
    args: Any
    kwargs: Any
    exclusive: bool = False
    done: AsyncResult = field(default_factory=AsyncResult)


@dataclass
class _Outcome:
    result: Any = None
    callbacks: Callbacks = field(default_factory=list)
    error: BaseException | None = None


class GroupCommitWriter:
    """Runs mutations in one greenlet, many to a transaction. See the module doc."""

    def __init__(self, app: Flask, *, max_batch: int = 512) -> None:
        self._app = app
        self._max_batch = max_batch
        self._queue: deque[_Job] = deque()
        self._wakeup = Event()
        self._greenlet: gevent.Greenlet | None = None
        self._state = WriterState()
        self._commit_pool = gevent.get_hub().threadpool
        self.batches = 0
        self.jobs = 0

    # MutationRunner

    def accepts(self) -> bool:
        # The writer's own exclusive jobs run their mutations inline.
        return self._greenlet is not None and gevent.getcurrent() is not self._greenlet

    def submit(self, func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        job = _Job(func, args, kwargs)
        self._enqueue(job)
        outcome: _Outcome = job.done.get()
        if outcome.error is not None:
            raise outcome.error
        for callback in outcome.callbacks:
            callback()
        return outcome.result

    def submit_exclusive(self, func: Callable[[], Any]) -> Any:
        job = _Job(func, None, None, exclusive=True)
        self._enqueue(job)
        outcome: _Outcome = job.done.get()
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    # life cycle

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        """Stop taking jobs; mutations run inline from now on."""
        greenlet, self._greenlet = self._greenlet, None
        if greenlet is not None:
            greenlet.kill()

    def _enqueue(self, job: _Job) -> None:
        self._queue.append(job)
        self._wakeup.set()

    def _run(self) -> None:
        while True:
            self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._take_batch()
                try:
                    outcomes = self._execute(batch)
                except Exception as exc:  # the commit failed: nothing of the batch stored
                    log.error("group commit failed: %s", type(exc).__name__)
                    outcomes = [_Outcome(error=exc) for _ in batch]
                self.batches += 1
                self.jobs += len(batch)
                for job, outcome in zip(batch, outcomes, strict=True):
                    job.done.set(outcome)

    def _take_batch(self) -> list[_Job]:
        if self._queue[0].exclusive:
            return [self._queue.popleft()]
        batch: list[_Job] = []
        while self._queue and len(batch) < self._max_batch and not self._queue[0].exclusive:
            batch.append(self._queue.popleft())
        return batch

    # in the writer greenlet

    def _execute(self, batch: list[_Job]) -> list[_Outcome]:
        with writer_connection(self._state) as commit_elsewhere, self._app.app_context():
            if batch[0].exclusive:
                return [self._run_exclusive(batch[0])]
            outcomes = []
            db.begin()
            db.push_transaction(self)  # so that each job's atomic() is a savepoint
            try:
                for job in batch:
                    try:
                        result, callbacks = run_unit(job.func, job.args, job.kwargs)
                        outcomes.append(_Outcome(result=result, callbacks=callbacks))
                    except Exception as exc:  # only this job's savepoint rolled back
                        outcomes.append(_Outcome(error=exc))
            finally:
                db.pop_transaction()
            try:
                # A big batch commits on a pool thread while the hub serves sockets; a
                # small one (a quiet moment) commits here: a thread hand-off costs more
                # CPU than the fsync keeps the hub waiting (bench_chat, open loop).
                off_hub = len(batch) >= OFF_HUB_MIN_BATCH
                commit_elsewhere(self._commit_pool if off_hub else None)
            except BaseException:
                db.rollback()
                raise
            return outcomes

    @staticmethod
    def _run_exclusive(job: _Job) -> _Outcome:
        try:
            return _Outcome(result=job.func())
        except Exception as exc:
            return _Outcome(error=exc)
