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
tenth of the relay and collapsed under overload.

Where the batch waits, the hub goes on serving sockets. The writer has a
connection of its own (appliance/db.py, `writer_connection`), chosen per
greenlet: whenever the writer is suspended, the greenlets that run read on the
hub's shared connection and see committed rows only. It is suspended
- on SQLite, during the COMMIT of a batch of OFF_HUB_MIN_BATCH jobs or more:
  it runs on a pool thread (an fsync, which releases the GIL). SQLite
  statements never yield otherwise: a batch is pure CPU up to its commit;
- on PostgreSQL, during each statement and the COMMIT: psycopg2 waits for the
  server through a wait callback that, for the writer's connection, waits on
  the hub (db.py `_wait`). Without it a statement blocked the whole process:
  60 % of the hub's time at 1,000 msg/s (docs/architecture.md).
Nothing else in a batch yields, and nothing the writer does between statements
is visible to others before the commit: jobs run one after another in this
greenlet, their results and callbacks reach their callers only after it, and
an exclusive job (which manages its own transactions) is a batch of its own.

If the commit itself fails, every job of the batch fails with that error and
nothing of the batch is stored. A batch interrupted any other way (the writer
killed while it waits) is rolled back, so it holds no lock after it.
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

OFF_HUB_MIN_BATCH = 16  # jobs in a SQLite batch from which its COMMIT runs on a pool thread
STOP_TIMEOUT = 10.0  # seconds stop() waits for the queued jobs before it kills the writer


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
        self._stopping = False
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
        self._stopping = False
        self._greenlet = gevent.spawn(self._run)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Finish the batch under way and every job queued, then stop taking jobs;
        mutations run inline from then on.

        Not a kill mid-batch: on PostgreSQL the writer yields inside its transaction,
        and an inline mutation that ran meanwhile on the shared connection, waiting
        for a row the batch holds, would block the hub, and with it the batch, for
        good. So uninstall the runner only after this returns.
        """
        greenlet = self._greenlet
        if greenlet is None:
            return
        self._stopping = True
        self._wakeup.set()
        if gevent.getcurrent() is not greenlet:
            greenlet.join(timeout)
        self._greenlet = None
        greenlet.kill()  # still running after the timeout: its batch is rolled back

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
            if self._stopping:
                self._greenlet = None  # no yield since the queue was last empty
                return

    def _take_batch(self) -> list[_Job]:
        if self._queue[0].exclusive:
            return [self._queue.popleft()]
        batch: list[_Job] = []
        while self._queue and len(batch) < self._max_batch and not self._queue[0].exclusive:
            batch.append(self._queue.popleft())
        return batch

    # in the writer greenlet

    def _execute(self, batch: list[_Job]) -> list[_Outcome]:
        with writer_connection(self._state) as commit, self._app.app_context():
            if batch[0].exclusive:
                return [self._run_exclusive(batch[0])]
            outcomes = []
            db.begin()
            try:
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
                # A big SQLite batch commits on a pool thread while the hub serves
                # sockets; a small one (a quiet moment) commits here: a thread hand-off
                # costs more CPU than the fsync keeps the hub waiting (bench_chat, open
                # loop). On PostgreSQL the commit waits on the hub either way.
                off_hub = len(batch) >= OFF_HUB_MIN_BATCH
                commit(self._commit_pool if off_hub else None)
            except BaseException:
                # A failed commit, or the writer killed while a statement waited: no
                # lock of this batch may outlive it.
                db.rollback()
                raise
            return outcomes

    @staticmethod
    def _run_exclusive(job: _Job) -> _Outcome:
        try:
            return _Outcome(result=job.func())
        except Exception as exc:
            return _Outcome(error=exc)
