"""The widget's configurable pre-chat form (docs/widget.md, "The pre-chat form") in real
headless Chromium against a real gunicorn whose [visitor] settings differ from the demo's:
the topics shown are exactly the configured queues (a missing one left out and logged), a
required question blocks an empty start with an announced error, and a page's data-topics
narrows the list. The browser side is tests/browser/prechat_check.mjs."""

from __future__ import annotations

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
from tests.support import free_port

pytestmark = pytest.mark.slow

BANK_PAGE_PORT = free_port()  # the bank's page (another origin) prechat_check.mjs serves
SETTINGS = {
    "ENCLAVE_VISITOR_PRECHAT_TOPICS": "loans,wealth,missing-queue",
    "ENCLAVE_VISITOR_PRECHAT_OTHER_TOPIC": "false",
    "ENCLAVE_VISITOR_PRECHAT_QUESTION": "required",
}


@pytest.fixture
def prechat_server(tmp_path: Path):
    """The demo setup (its queues cards and wealth), a queue `loans`, and SETTINGS."""
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = demo_passwords(data_dir)
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "enclave"),
            "queues",
            "add",
            "loans",
            "--data-dir",
            str(data_dir),
            "--name-en",
            "Loans",
            "--name-zh",
            "贷款",
        ],
        check=True,
        capture_output=True,
    )
    gunicorn = Gunicorn(data_dir, **SETTINGS)
    # The appliance's own demo page and the bank's page of another origin both embed it.
    origins = f"{gunicorn.base}, http://127.0.0.1:{BANK_PAGE_PORT}"
    gunicorn.env["ENCLAVE_VISITOR_ALLOWED_ORIGINS"] = origins
    gunicorn.start()
    yield gunicorn, passwords
    gunicorn.stop()


def test_it_shows_the_configured_form_and_requires_the_question_in_chromium(request, monkeypatch):
    monkeypatch.setenv("BANK_PAGE_PORT", str(BANK_PAGE_PORT))
    require_browser_tools()
    require_built(WIDGET)
    server, passwords = request.getfixturevalue("prechat_server")

    result = run_check("prechat_check.mjs", server.base, passwords)

    output = result.stdout + result.stderr
    assert '"configured":{"options":["loans","wealth"]' in result.stdout, output
    assert '"narrowed":{"options":["wealth","loans"]}' in result.stdout, output
    log = (server.instance_dir.parent / "gunicorn-1.log").read_text(encoding="utf-8")
    assert "'missing-queue', which is not a queue" in log, log[-2000:]
