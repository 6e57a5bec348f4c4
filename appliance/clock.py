"""The one clock. Everything that needs "now" asks here, so tests can control time."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def now_ms() -> int:
    """Milliseconds since the Unix epoch, UTC."""
    return int(utcnow().timestamp() * 1000)
