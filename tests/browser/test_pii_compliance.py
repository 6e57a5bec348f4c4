"""Masked PII with an audited reveal, and the compliance prompt, in the agent workbench in
real headless Chromium against a real gunicorn and the demo setup (demo-agent holds the
pii_viewer role). The browser side is tests/browser/pii_compliance_check.mjs; afterwards the
audit trail, read with `enclave audit search`, holds the reveal (506) and the confirmed
reply (511) of that conversation, neither with the text."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.browser.browser_support import ROOT
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow


def _audit(data_dir, action):
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "enclave"),
            "audit",
            "search",
            "--data-dir",
            str(data_dir),
            "--action",
            action,
            "--format",
            "jsonl",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_it_masks_reveals_and_prompts_in_chromium(request):
    require_browser_tools()
    require_built(WORKBENCH)
    server, passwords = request.getfixturevalue("demo_server")
    result = run_check("pii_compliance_check.mjs", server.base, passwords, "demo-agent")
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    conversation_id = outcome["conversation_id"]

    [revealed] = _audit(server.instance_dir, "506")
    assert revealed["target"] == {"type": "conversation", "id": conversation_id}
    assert revealed["details"]["kinds"] == ["card", "mobile"]
    [confirmed] = _audit(server.instance_dir, "511")
    assert confirmed["target"] == {"type": "conversation", "id": conversation_id}
    assert confirmed["details"]["rules"] == ["password"]
    trail = json.dumps([revealed, confirmed])
    assert "13812345678" not in trail and "tell me your password" not in trail
