"""Logging set-up: one line per record, UTC timestamps, to stderr.

What we log is decided where we log it: identifiers and outcomes, never keys,
passwords, tokens or message text (tests/appliance/test_logging.py checks the
paths that handle them).
"""

from __future__ import annotations

import logging
import time


class _UTCFormatter(logging.Formatter):
    @staticmethod
    def converter(seconds: float | None, /) -> time.struct_time:
        return time.gmtime(seconds)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        _UTCFormatter(
            "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
