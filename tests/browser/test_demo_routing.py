"""The demo pages in real headless Chromium (Debian's chromium, npm's playwright-core),
against a real gunicorn: topic routing to the right agent, messages both ways, chat text
that stays text, and no request leaving the appliance. The browser side is
tests/browser/demo_routing.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow


def test_it_routes_by_topic_and_keeps_chat_text_as_text_in_chromium(request):
    require_browser_tools()
    server, passwords = request.getfixturevalue("demo_server")
    run_check("demo_routing.mjs", server.base, passwords, "demo-agent", "demo-wealth")
