"""The scratch PostgreSQL database (tests and benchmarks) is dropped however the run ends."""

from __future__ import annotations

import pytest

from tests import scratch_postgres as _postgres
from tests.support import require

pytestmark = pytest.mark.postgres


def exists(name: str) -> bool:
    return bool(_postgres._query("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def test_it_creates_an_empty_database_and_drops_it() -> None:
    require(_postgres.unreachable() is None, f"{_postgres.unreachable()}")
    with _postgres.scratch_database(prefix="enclave_benchtest") as database:
        assert exists(database.name)
        assert database.url == f"postgresql://postgres@127.0.0.1:5432/{database.name}"
    assert not exists(database.name)


def test_it_drops_the_database_when_the_run_fails() -> None:
    require(_postgres.unreachable() is None, f"{_postgres.unreachable()}")
    with pytest.raises(RuntimeError), _postgres.scratch_database("enclave_benchtest") as database:
        raise RuntimeError("the benchmark failed")
    assert not exists(database.name)


def test_it_drops_the_database_while_a_connection_is_open() -> None:
    require(_postgres.unreachable() is None, f"{_postgres.unreachable()}")
    import psycopg2  # type: ignore[import-untyped]

    with _postgres.scratch_database("enclave_benchtest") as database:
        held = psycopg2.connect(database.url)  # a server the run failed to stop
        assert database.backend_pids() == [held.get_backend_pid()]
    assert not exists(database.name)
    held.close()
