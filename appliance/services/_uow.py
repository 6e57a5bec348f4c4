"""Transactions for the services layer.

`@mutation` opens a transaction, or joins the caller's as a savepoint. Callbacks
registered with `on_commit` run only after the outermost transaction commits and
are dropped on rollback. An outermost mutation that recorded no audit event is
rolled back and raises UnauditedMutation: an unaudited change must never commit.

Limitation: callbacks registered inside a nested mutation whose exception the
caller swallows still run; services therefore never catch other services' errors.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec
from typing import TypeVar

from appliance.db import db

P = ParamSpec("P")
R = TypeVar("R")

# Greenlet-local once gevent has monkey-patched threading, like peewee's own
# connection state, so two greenlets' transactions never share a queue.
_state = threading.local()


class UnauditedMutation(AssertionError):
    """A service changed state without calling record_audit()."""


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


def mutation(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` as one audited transaction (or a savepoint of the caller's)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if in_mutation():
            with db.atomic():  # a savepoint; the outermost mutation runs the callbacks
                return func(*args, **kwargs)

        _state.pending, _state.audited = [], False
        try:
            with db.connection_context(), db.atomic():
                result = func(*args, **kwargs)
                if not _state.audited:
                    raise UnauditedMutation(
                        f"{func.__qualname__} changed state without an audit event"
                    )
            callbacks = _state.pending
        finally:
            _state.pending = None
        for callback in callbacks:
            callback()
        return result

    return wrapper
