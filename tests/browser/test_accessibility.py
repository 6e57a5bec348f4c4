"""Accessibility (issue 6, item 5): an axe-core scan (WCAG 2.0/2.1 A and AA) in real
headless Chromium against a real gunicorn, of the demo pages (/demo/, /demo/visitor,
/demo/agent signed out and signed in with a chat) and of the embedded visitor widget on
/demo/widget (closed, open with the pre-chat form, in a chat), inside its shadow root.
Serious or critical violations fail; moderate and minor ones are printed. The browser side
is tests/browser/a11y_scan.mjs (add a page there with one line); screenshots of a failure
go to ci-artifacts/."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.browser.test_demo_routing import ARTIFACTS
from tests.browser.test_demo_routing import BROWSER_TIMEOUT
from tests.browser.test_demo_routing import ROOT
from tests.browser.test_demo_routing import _require_browser_tools
from tests.browser.test_demo_routing import demo_server  # noqa: F401  (the fixture)
from tests.browser.test_widget import WIDGET
from tests.support import require

SCRIPT = ROOT / "tests" / "browser" / "a11y_scan.mjs"

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
)

pytestmark = pytest.mark.slow


def test_demo_pages_and_widget_have_no_serious_or_critical_axe_violations(request):
    chromium, node = _require_browser_tools()
    require(WIDGET.is_file(), f"{WIDGET.relative_to(ROOT)} is missing (make assets)")
    require(
        (ROOT / "node_modules" / "axe-core" / "axe.min.js").is_file(),
        "node_modules/axe-core is missing (npm ci)",
    )
    server, passwords = request.getfixturevalue("demo_server")

    result = subprocess.run(
        [node, str(SCRIPT), server.base, str(ARTIFACTS)],
        env={**os.environ, "CHROMIUM": chromium, "DEMO_AGENT_PASSWORD": passwords["demo-agent"]},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"a11y_scan.mjs exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
    for scanned in SCANNED:
        assert f'"{scanned}"' in result.stdout, output
    print(output)  # the moderate/minor findings, shown with -s or -rP
