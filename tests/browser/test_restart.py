"""Resuming after the server is killed mid-chat, in real headless Chromium: demo-agent on the
workbench and a visitor on the embeddable widget (/demo/widget) chat; the test SIGKILLs
gunicorn while both pages stay open, each side sends a message during the outage, and the
test starts gunicorn again on the same port and data directory. Both pages show the outage
and then "connected" again without a reload, the messages sent during the outage are
delivered once, messages flow both ways afterwards, nothing is shown twice, and no request
leaves 127.0.0.1. The browser side is tests/browser/restart_check.mjs, steered over its
stdin/stdout by browser_support.run_steered_check."""

from __future__ import annotations

import pytest

from tests.browser.browser_support import WIDGET
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_steered_check
from tests.support import http_get

pytestmark = pytest.mark.slow

RESTART_TIMEOUT = 300  # two gunicorn starts and Socket.IO's reconnect backoff on top of the chat


def test_it_resumes_both_sides_after_a_sigkill_and_restart(request: pytest.FixtureRequest) -> None:
    require_browser_tools()
    require_built(WORKBENCH)
    require_built(WIDGET)
    server, passwords = request.getfixturevalue("demo_server")
    port = server.port

    def kill() -> str:
        server.kill()
        assert server.process.returncode == -9, "gunicorn did not die of SIGKILL"
        return "killed"

    def restart() -> str:
        with pytest.raises(OSError):  # refused (URLError): nothing listens while it is down
            http_get(server.base + "/readyz")
        server.start()  # the same port and data directory; returns once /readyz answers
        assert server.port == port
        return "restarted"

    result = run_steered_check(
        "restart_check.mjs",
        server.base,
        passwords,
        "demo-agent",
        steps={"kill-now": kill, "start-now": restart},
        timeout=RESTART_TIMEOUT,
    )
    assert result["hosts"] == [f"127.0.0.1:{port}"]
