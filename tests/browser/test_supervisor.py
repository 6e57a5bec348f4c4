"""The supervisor view of the workbench in real headless Chromium against a real gunicorn
whose first-reply time is short: a waiting visitor with a growing wait, an agent's status
and load shown live, a chat near its SLA and then breached, no Supervisor tab for an agent,
and no serious or critical axe-core violation. The browser side is
tests/browser/supervisor_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.browser.browser_support import ROOT
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import demo_passwords
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check
from tests.support import require

pytestmark = pytest.mark.slow

# Short, so the check sees a chat go near (from NEAR_SLA_PERCENT of it) and then past it,
# with a near window (6 s) longer than the view's refresh period (4 s).
FIRST_RESPONSE_SECONDS = 12
NEAR_SLA_PERCENT = 50


@pytest.fixture
def sla_demo_server(tmp_path: Path):
    """demo_server (conftest.py) with a short first-reply SLA."""
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = demo_passwords(data_dir)
    gunicorn = Gunicorn(
        data_dir,
        ENCLAVE_ROUTING_FIRST_RESPONSE_SECONDS=str(FIRST_RESPONSE_SECONDS),
        ENCLAVE_ROUTING_NEAR_SLA_PERCENT=str(NEAR_SLA_PERCENT),
    ).start()
    yield gunicorn, passwords
    gunicorn.stop()


def test_a_supervisor_watches_queues_agents_and_slas_in_chromium(request, monkeypatch):
    require_browser_tools()
    require_built(WORKBENCH)
    require(
        (ROOT / "node_modules" / "axe-core" / "axe.min.js").is_file(),
        "node_modules/axe-core is missing (npm ci)",
    )
    server, passwords = request.getfixturevalue("sla_demo_server")
    monkeypatch.setenv("FIRST_RESPONSE_SECONDS", str(FIRST_RESPONSE_SECONDS))
    result = run_check(
        "supervisor_check.mjs", server.base, passwords, "demo-supervisor", "demo-agent"
    )
    print(result.stdout + result.stderr)
