"""The embeddable visitor widget (docs/widget.md) in real headless Chromium against a real
gunicorn: the demo bank page /demo/widget at phone size, a chat with demo-agent both ways,
markup that stays text, keyboard only, resume after a reload, and no request leaving
127.0.0.1. The browser side is tests/browser/widget_check.mjs; screenshots of a failure go
to ci-artifacts/."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.browser.test_demo_routing import ARTIFACTS
from tests.browser.test_demo_routing import BROWSER_TIMEOUT
from tests.browser.test_demo_routing import ROOT
from tests.browser.test_demo_routing import _require_browser_tools
from tests.browser.test_demo_routing import demo_server  # noqa: F401  (the fixture)
from tests.support import require

SCRIPT = ROOT / "tests" / "browser" / "widget_check.mjs"
WIDGET = ROOT / "appliance" / "static" / "widget" / "enclave-widget.js"

pytestmark = pytest.mark.slow


def test_it_chats_resumes_and_works_by_keyboard_on_a_phone_in_chromium(request):
    chromium, node = _require_browser_tools()
    require(WIDGET.is_file(), f"{WIDGET.relative_to(ROOT)} is missing (make assets)")
    server, passwords = request.getfixturevalue("demo_server")

    result = subprocess.run(
        [node, str(SCRIPT), server.base, str(ARTIFACTS)],
        env={
            **os.environ,
            "CHROMIUM": chromium,
            "DEMO_AGENT_PASSWORD": passwords["demo-agent"],
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"widget_check.mjs exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
