"""The demo pages in real headless Chromium (Debian's chromium, npm's playwright-core),
against a real gunicorn: topic routing to the right agent, messages both ways, chat text
that stays text, and no request leaving the appliance. The browser side is
tests/browser/demo_routing.mjs; screenshots of a failure go to ci-artifacts/."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from appliance.commands.demo import CREDENTIALS_FILE
from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.support import require
from tests.support import require_executable

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "browser" / "demo_routing.mjs"
ARTIFACTS = ROOT / "ci-artifacts"
VENDORED = ROOT / "appliance" / "static" / "vendor" / "socket.io.min.js"
BROWSER_TIMEOUT = 120
NODE_MAJOR = 20  # playwright-core's "engines" (package-lock.json)

pytestmark = pytest.mark.slow


def _chromium() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    require(
        os.access(path, os.X_OK),
        f"Chromium is not at {path} (apt-get install chromium, or set CHROMIUM)",
    )
    return path


def _require_browser_tools() -> tuple[str, str]:
    chromium = _chromium()
    node = require_executable("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    major = int(match.group(1)) if match else 0
    require(
        major >= NODE_MAJOR, f"playwright-core needs Node.js >= {NODE_MAJOR}, found {version!r}"
    )
    require(
        (ROOT / "node_modules" / "playwright-core").is_dir(),
        "node_modules/playwright-core is missing (npm ci)",
    )
    require(VENDORED.is_file(), f"{VENDORED.relative_to(ROOT)} is missing (make assets)")
    return chromium, node


def _demo_passwords(data_dir: Path) -> dict[str, str]:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "enclave"), "demo", "setup", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
    )
    text = (data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8")
    return dict(re.findall(r"user (\S+)\s+password (\S+)", text))


@pytest.fixture
def demo_server(tmp_path: Path):
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = _demo_passwords(data_dir)
    gunicorn = Gunicorn(data_dir).start()
    yield gunicorn, passwords
    gunicorn.stop()


def test_it_routes_by_topic_and_keeps_chat_text_as_text_in_chromium(request):
    chromium, node = _require_browser_tools()
    server, passwords = request.getfixturevalue("demo_server")

    result = subprocess.run(
        [node, str(SCRIPT), server.base, str(ARTIFACTS)],
        env={
            **os.environ,
            "CHROMIUM": chromium,
            "DEMO_AGENT_PASSWORD": passwords["demo-agent"],
            "DEMO_WEALTH_PASSWORD": passwords["demo-wealth"],
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"demo_routing.mjs exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
