"""bench_chat.py with the product on PostgreSQL, one A/B round (a script, not a test).

    .venv/bin/python tests/bench/bench_chat_postgresql.py [bench_chat.py options]

So that `make bench` prints the chat figures on both databases: bench_chat.py
runs on SQLite (the embedded default), this on a scratch database of the
PostgreSQL at 127.0.0.1:5432, dropped at the end; one capacity round instead of
two keeps it near a minute. Options are bench_chat.py's and win over these.
Without PostgreSQL the product is SKIPPED (the relay is still measured).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import bench_chat

if __name__ == "__main__":
    sys.exit(bench_chat.main(["--database", "postgresql", "--rounds", "1", *sys.argv[1:]]))
