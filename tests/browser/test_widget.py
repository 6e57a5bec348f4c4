"""The embeddable visitor widget (docs/widget.md) in real headless Chromium against a real
gunicorn: the demo bank page /demo/widget at phone size, a chat with demo-agent both ways,
markup that stays text, keyboard only, resume after a reload, the survey and transcript
after the agent closes the chat (counted in the supervisor's report), leaving a message
when the queue is closed, and no request leaving 127.0.0.1. The browser side is
tests/browser/widget_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.browser.browser_support import ROOT
from tests.browser.browser_support import WIDGET
from tests.browser.browser_support import demo_passwords
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

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
    passwords = demo_passwords(data_dir)
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
    require_browser_tools()
    require_built(WIDGET)
    server, passwords = request.getfixturevalue("widget_server")

    result = run_check("widget_check.mjs", server.base, passwords, "demo-agent", "demo-supervisor")

    output = result.stdout + result.stderr
    assert '"mean_x100":400' in result.stdout, output  # the survey ran and was counted
    assert '"left":{"notice"' in result.stdout, output  # and the leave-a-message scenario
