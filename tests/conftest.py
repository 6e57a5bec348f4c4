"""Fixtures shared by the appliance suites: a real instance on disk, its app, a client."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from appliance.instance import init_instance
from appliance.settings import Settings
from appliance.settings import load_settings


@pytest.fixture
def instance_dir(tmp_path: Path) -> Path:
    """A freshly initialized instance (SM4-GCM, KEK in a key file)."""
    return init_instance(tmp_path / "instance").data_dir


@pytest.fixture
def settings(instance_dir: Path) -> Settings:
    return dataclasses.replace(load_settings(instance_dir, environ={}), testing=True)


@pytest.fixture
def app(settings: Settings):
    from appliance import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from tests import scratch_postgres
    from tests.support import require

    missing = scratch_postgres.unreachable()
    require(missing is None, str(missing))  # skip locally, fail under CI
    with scratch_postgres.scratch_database(prefix="enclave_test") as database:
        yield database.url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_instance_dir(request, tmp_path: Path) -> Path:
    """An initialized instance on each database backend in turn."""
    if request.param == "sqlite":
        return init_instance(tmp_path / "instance").data_dir
    url = request.getfixturevalue("postgres_url")
    return init_instance(tmp_path / "instance", database_url=url).data_dir


@pytest.fixture
def any_app(any_instance_dir: Path):
    """The app of an instance on each database backend in turn."""
    from appliance import create_app

    return create_app(
        dataclasses.replace(load_settings(any_instance_dir, environ={}), testing=True)
    )
