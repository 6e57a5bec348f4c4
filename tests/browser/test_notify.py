"""New-chat alerts of the agent workbench (workbench/src/notify.js) in real headless Chromium
against a real gunicorn and the demo setup: the notification permission asked from a click,
one desktop notification saying only "New chat in Cards" and a Web Audio tone for a new
chat, nothing when muted (kept across a reload) or when the browser denies the permission
(the tone still plays), and no request leaving 127.0.0.1. The browser side is
tests/browser/notify_check.mjs; it observes the Notification and Web Audio APIs with an init
script and changes nothing of the workbench."""

from __future__ import annotations

import pytest

from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow


def test_it_announces_a_new_chat_unless_muted_or_denied(request: pytest.FixtureRequest) -> None:
    require_browser_tools()
    require_built(WORKBENCH)
    server, passwords = request.getfixturevalue("demo_server")
    run_check("notify_check.mjs", server.base, passwords, "demo-agent", "demo-wealth")
