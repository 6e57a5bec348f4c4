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
