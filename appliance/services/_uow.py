"""Transactions for the services layer.

`@mutation` opens a transaction, or joins the caller's as a savepoint. Callbacks
registered with `on_commit` run only after the outermost transaction commits and
are dropped on rollback. An outermost mutation that recorded no audit event is
rolled back and raises UnauditedMutation: an unaudited change must never commit.

Where it runs: in a serving process (gevent) a group-commit writer is installed
(services/_writer.py) and every outermost mutation is handed to it, so it runs in
the writer greenlet in a batch with other mutations, each in its own savepoint,
sharing one commit. The caller's greenlet waits for that commit; its on_commit
callbacks then run on the hub, in the caller's greenlet, before it returns. Without
a writer (CLI, tests) a mutation runs inline in its own transaction. Either way
the caller sees the same thing: the function's result after its commit, or its
exception with nothing changed.

Limitation: callbacks registered inside a nested mutation whose exception the
caller swallows still run; services therefore never catch other services' errors.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any
from typing import ParamSpec
from typing import Protocol
from typing import TypeVar

from appliance.db import db

P = ParamSpec("P")
R = TypeVar("R")

Callbacks = list[Callable[[], None]]

# Greenlet-local once gevent has monkey-patched threading, like peewee's own
# connection state, so two greenlets' transactions never share a queue.
_state = threading.local()


class UnauditedMutation(AssertionError):
    """A service changed state without calling record_audit()."""


class MutationRunner(Protocol):
    def accepts(self) -> bool:
        """True if the calling context should hand its mutation to this runner."""

    def submit(self, func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        """Run `func` as one unit (see run_unit), wait for its commit, run its callbacks."""

    def submit_exclusive(self, func: Callable[[], Any]) -> Any:
        """Run `func` alone, outside any batch; it manages its own transactions."""


_runner: MutationRunner | None = None


def install_runner(runner: MutationRunner | None) -> None:
    """Route every outermost mutation of this process through `runner` (None: inline)."""
    global _runner
    _runner = runner


def on_commit(callback: Callable[[], None]) -> None:
    """Run `callback` after the outermost transaction commits; drop it on rollback."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        raise RuntimeError("on_commit() called outside a @mutation")
    pending.append(callback)


def mark_audited() -> None:
    """Note that the current mutation wrote its audit event."""
    _state.audited = True


def in_mutation() -> bool:
    return getattr(_state, "pending", None) is not None


class _UnitSavepoint:
    """The savepoint of one unit in the group-commit writer's open transaction.

    peewee names each savepoint with a fresh uuid, so the driver prepares both
    statements anew for every message; one fixed name keeps them in the
    statement cache. Units of a batch run one after another, never nested, and
    a nested mutation inside a unit takes a savepoint of its own (`db.atomic()`).
    """

    __slots__ = ()

    def __enter__(self) -> None:
        db.execute_sql(_SAVEPOINT)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                db.execute_sql(_RELEASE)
                return
            except Exception:
                db.execute_sql(_ROLLBACK_TO)
                db.execute_sql(_RELEASE)
                raise
        db.execute_sql(_ROLLBACK_TO)
        db.execute_sql(_RELEASE)


_SAVEPOINT = "SAVEPOINT enclave_unit"
_RELEASE = "RELEASE SAVEPOINT enclave_unit"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT enclave_unit"
_unit_savepoint = _UnitSavepoint()


def run_unit(func: Callable[..., R], args: Any, kwargs: Any) -> tuple[R, Callbacks]:
    """Run `func` in a transaction (a savepoint if one is open); return its result and
    the callbacks it registered. The caller commits and runs the callbacks."""
    _state.pending, _state.audited = [], False
    try:
        with _unit_savepoint if db.in_transaction() else db.atomic():
            result = func(*args, **kwargs)
            if not _state.audited:
                raise UnauditedMutation(
                    f"{getattr(func, '__qualname__', func)} changed state without an audit event"
                )
        return result, _state.pending
    finally:
        _state.pending = None


def mutation(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` as one audited transaction (or a savepoint of the caller's)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # The runner first: a greenlet it accepts (any but the writer's) never has a
        # mutation open, since it hands every one over; and asking in_mutation() in a
        # fresh greenlet (one per Socket.IO event) would build its greenlet-local state.
        runner = _runner
        if runner is not None and runner.accepts():
            result: R = runner.submit(func, args, kwargs)
            return result
        if in_mutation():
            with db.atomic():  # a savepoint; the outermost mutation runs the callbacks
                return func(*args, **kwargs)
        with db.connection_context():
            result, callbacks = run_unit(func, args, kwargs)
        for callback in callbacks:
            callback()
        return result

    return wrapper


def run_exclusive(func: Callable[[], R]) -> R:
    """Run `func` (which manages its own transactions) where mutations run: in the
    writer greenlet in a serving process, inline otherwise."""
    runner = _runner
    if runner is not None and runner.accepts():
        result: R = runner.submit_exclusive(func)
        return result
    with db.connection_context():
        return func()
