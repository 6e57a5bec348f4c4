"""The embeddable visitor widget (docs/widget.md) in real headless Chromium against a real
gunicorn: the demo bank page /demo/widget at phone size, a chat with demo-agent both ways,
markup that stays text, keyboard only, resume after a reload, the survey and transcript
after the agent closes the chat (counted in the supervisor's report), leaving a message
when the queue is closed, and no request leaving 127.0.0.1. The browser side is
tests/browser/widget_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.browser.test_demo_routing import ARTIFACTS
from tests.browser.test_demo_routing import BROWSER_TIMEOUT
from tests.browser.test_demo_routing import ROOT
from tests.browser.test_demo_routing import _demo_passwords
from tests.browser.test_demo_routing import _require_browser_tools
from tests.support import require

SCRIPT = ROOT / "tests" / "browser" / "widget_check.mjs"
WIDGET = ROOT / "appliance" / "static" / "widget" / "enclave-widget.js"

pytestmark = pytest.mark.slow

# Never open (every day closed), so start_conversation answers with leave_message.
CLOSED_HOURS = {
    "time_zone": "UTC",
    "weekly": {day: [] for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
}


@pytest.fixture
def widget_server(tmp_path: Path):
    """The demo setup plus a queue `after-hours` that is never open."""
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = _demo_passwords(data_dir)
    hours = tmp_path / "closed-hours.json"
    hours.write_text(json.dumps(CLOSED_HOURS), encoding="utf-8")
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "enclave"),
            "queues",
            "add",
            "after-hours",
            "--data-dir",
            str(data_dir),
            "--hours",
            str(hours),
            "--overflow",
            "leave_message",
        ],
        check=True,
        capture_output=True,
    )
    gunicorn = Gunicorn(data_dir).start()
    yield gunicorn, passwords
    gunicorn.stop()


def test_it_chats_rates_exports_and_leaves_messages_on_a_phone_in_chromium(request):
    chromium, node = _require_browser_tools()
    require(WIDGET.is_file(), f"{WIDGET.relative_to(ROOT)} is missing (make assets)")
    server, passwords = request.getfixturevalue("widget_server")

    result = subprocess.run(
        [node, str(SCRIPT), server.base, str(ARTIFACTS)],
        env={
            **os.environ,
            "CHROMIUM": chromium,
            "DEMO_AGENT_PASSWORD": passwords["demo-agent"],
            "DEMO_SUPERVISOR_PASSWORD": passwords["demo-supervisor"],
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"widget_check.mjs exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
    assert '"mean_x100":400' in result.stdout, output  # the survey ran and was counted
    assert '"left":{"notice"' in result.stdout, output  # and the leave-a-message scenario
