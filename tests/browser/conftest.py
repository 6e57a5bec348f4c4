"""Fixtures of the real-Chromium tests: a real gunicorn with the demo accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.browser.browser_support import demo_passwords


@pytest.fixture
def demo_server(tmp_path: Path):
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = demo_passwords(data_dir)
    gunicorn = Gunicorn(data_dir).start()
    yield gunicorn, passwords
    gunicorn.stop()
