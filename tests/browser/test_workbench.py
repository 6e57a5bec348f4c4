"""The agent workbench (/workbench/, the Vue app built from workbench/) in real headless
Chromium against a real gunicorn and the demo setup: sign-in, going online, a chat from
the demo visitor page with messages both ways, an internal note the visitor never gets,
markup that stays text, a keyboard-operable transfer dialog, a transfer to demo-wealth
with a note, two chats side by side, and no request leaving 127.0.0.1. The browser side is
tests/browser/workbench_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow


def test_it_handles_notes_markup_and_a_transfer_in_chromium(request):
    require_browser_tools()
    require_built(WORKBENCH)
    server, passwords = request.getfixturevalue("demo_server")
    run_check("workbench_check.mjs", server.base, passwords, "demo-agent", "demo-wealth")
