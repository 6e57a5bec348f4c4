"""Canned replies and the customer panel of the workbench in real headless Chromium against
a real gunicorn and the demo setup: a personal reply added in the manager and used with the
keyboard only through "/shortcut" (an ARIA combobox), edited before sending and received
expanded by the visitor; a shared demo reply offered too; and the customer panel of a
returning visitor listing their first chat with its numbers masked. The browser side is
tests/browser/canned_customer_check.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow


def test_it_expands_canned_replies_and_shows_the_customers_history_in_chromium(request):
    require_browser_tools()
    require_built(WORKBENCH)
    server, passwords = request.getfixturevalue("demo_server")
    run_check("canned_customer_check.mjs", server.base, passwords, "demo-agent")
