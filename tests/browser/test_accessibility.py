"""Accessibility (issue 6, item 5): an axe-core scan (WCAG 2.0/2.1 A and AA) in real
headless Chromium against a real gunicorn, of the demo pages (/demo/, /demo/visitor,
/demo/agent signed out and signed in with a chat), of the embedded visitor widget on
/demo/widget inside its shadow root (closed, the pre-chat form, in a chat, the survey, and
the leave-a-message form of a queue that is never open), and of the agent workbench (signed
out; signed in with a chat; with the compliance prompt, the canned-reply combobox, the
canned replies manager, the customer panel and the transfer dialog open in turn; in zh-CN).
Serious or critical violations fail; moderate and minor ones are printed. The browser side
is tests/browser/a11y_scan.mjs (add a state there with one line); screenshots of a failure
go to ci-artifacts/."""

from __future__ import annotations

import json

import pytest

from tests.browser.browser_support import ROOT
from tests.browser.browser_support import WIDGET
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

# The demo setup plus a queue `after-hours` that is never open and overflows to
# leave_message, for the leave-a-message form (the fixture of the widget's own test).
from tests.browser.test_widget import widget_server  # noqa: F401
from tests.support import require

# The states that must have been scanned (a11y_scan.mjs, SCANS), so none drops out unseen.
SCANNED = (
    "demo-index",
    "demo-visitor",
    "demo-agent-chat",
    "widget-closed",
    "widget-prechat",
    "widget-chat",
    "workbench-sign-in",
    "workbench-desk",
    "workbench-compliance",
    "workbench-canned-combobox",
    "workbench-canned-manager",
    "workbench-customer-panel",
    "workbench-transfer",
    "workbench-zh-CN",
    "widget-survey",
    "widget-leave-message",
)

pytestmark = pytest.mark.slow


def test_demo_pages_widget_and_workbench_have_no_serious_or_critical_axe_violations(request):
    require_browser_tools()
    require_built(WIDGET)
    require_built(WORKBENCH)
    require(
        (ROOT / "node_modules" / "axe-core" / "axe.min.js").is_file(),
        "node_modules/axe-core is missing (npm ci)",
    )
    server, passwords = request.getfixturevalue("widget_server")

    result = run_check("a11y_scan.mjs", server.base, passwords, "demo-agent")

    output = result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(SCANNED) <= set(report["scanned"]), output
    print(output)  # the moderate/minor findings, shown with -s or -rP
