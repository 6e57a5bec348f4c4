"""The agent workbench (/workbench/, the Vue app built from workbench/) in real headless
Chromium against a real gunicorn and the demo setup: sign-in, going online, a chat from
the demo visitor page with messages both ways, an internal note the visitor never gets,
markup that stays text, a keyboard-operable transfer dialog, a transfer to demo-wealth
with a note, two chats side by side, and no request leaving 127.0.0.1. The browser side is
tests/browser/workbench_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.browser.test_demo_routing import ARTIFACTS
from tests.browser.test_demo_routing import BROWSER_TIMEOUT
from tests.browser.test_demo_routing import ROOT
from tests.browser.test_demo_routing import _require_browser_tools
from tests.browser.test_demo_routing import demo_server  # noqa: F401 (a fixture)
from tests.support import require

SCRIPT = ROOT / "tests" / "browser" / "workbench_check.mjs"
WORKBENCH = ROOT / "appliance" / "static" / "workbench" / "workbench.js"

pytestmark = pytest.mark.slow


def test_it_handles_notes_markup_and_a_transfer_in_chromium(demo_server):  # noqa: F811
    chromium, node = _require_browser_tools()
    require(WORKBENCH.is_file(), f"{WORKBENCH.relative_to(ROOT)} is missing (make assets)")
    server, passwords = demo_server

    result = subprocess.run(
        [node, str(SCRIPT), server.base, str(ARTIFACTS)],
        env={
            **os.environ,
            "CHROMIUM": chromium,
            "DEMO_AGENT_PASSWORD": passwords["demo-agent"],
            "DEMO_WEALTH_PASSWORD": passwords["demo-wealth"],
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"workbench_check.mjs exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
