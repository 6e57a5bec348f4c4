"""The pictures in docs/agent-guide.md, docs/supervisor-guide.md and docs/integrator-guide.md,
taken from the real demo in headless Chromium (tests/browser/screenshots.mjs) against a real
gunicorn: two verified customers (their tokens signed here, as a bank's server does) chat
with demo-agent through the widget on the demo bank page, and the workbench shows both
chats, a note, the transfer dialog, zh-CN, masked numbers with one revealed, the compliance
prompt, the canned replies manager and combobox, the customer panel, and demo-supervisor's
Supervisor tab with a chat near its SLA. Every picture lands in ci-artifacts/screenshots/; with
UPDATE_DOC_SCREENSHOTS=1 also in docs/images/, the committed copies:

    UPDATE_DOC_SCREENSHOTS=1 CI=true .venv/bin/python -m pytest -q \
        tests/browser/test_screenshots.py
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import time
from pathlib import Path

import jwt
import pytest

from appliance.instance import init_instance
from tests.appliance.live_chat import Gunicorn
from tests.browser.browser_support import ARTIFACTS
from tests.browser.browser_support import ROOT
from tests.browser.browser_support import WIDGET
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import demo_passwords
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_check

pytestmark = pytest.mark.slow

BANK_SECRET = "screenshots-bank-site-secret-0123456789"  # this test instance only
DOC_IMAGES = ROOT / "docs" / "images"
DOCS_SWITCH = "UPDATE_DOC_SCREENSHOTS"  # =1: also write the committed copies
MAX_BYTES = 300_000
# name -> (width, height) of each picture; the widget's crops depend on its panel's size.
EXPECTED = {
    "workbench-sign-in": (1024, 340),
    "widget-launcher": (1024, 700),
    "widget-prechat": None,
    "widget-queued": None,
    "workbench-desk": (1366, 860),
    "widget-chat": None,
    "widget-phone": (390, 844),
    "workbench-transfer": (1366, 860),
    "workbench-zh-CN": (1366, 860),
    "widget-survey": None,
    "workbench-pii": None,
    "workbench-compliance": (1366, 860),
    "workbench-canned-replies": (1366, 860),
    "workbench-canned-combobox": None,
    "workbench-customer": None,
    "supervisor-view": (1366, 860),
}
# An unanswered chat is near its first-reply SLA after 1 % of 600 s: soon enough for the
# supervisor picture, and breached only long after the script has ended.
FIRST_RESPONSE_SECONDS = 600
NEAR_SLA_PERCENT = 1
CUSTOMERS = {"li-na": ("CUST-0042", "Li Na", 2), "wang-wei": ("CUST-0077", "Wang Wei", 0)}


@pytest.fixture
def screenshot_server(tmp_path: Path):
    """The demo setup, accepting customer tokens signed with BANK_SECRET."""
    data_dir = init_instance(tmp_path / "instance").data_dir
    passwords = demo_passwords(data_dir)
    gunicorn = Gunicorn(
        data_dir,
        ENCLAVE_VISITOR_CUSTOMER_TOKEN_SECRET=BANK_SECRET,
        ENCLAVE_ROUTING_FIRST_RESPONSE_SECONDS=str(FIRST_RESPONSE_SECONDS),
        ENCLAVE_ROUTING_NEAR_SLA_PERCENT=str(NEAR_SLA_PERCENT),
    ).start()
    yield gunicorn, passwords
    gunicorn.stop()


def _customer_tokens() -> str:
    expires = int(time.time()) + 600
    return json.dumps(
        {
            key: jwt.encode(
                {"sub": sub, "name": name, "vip": vip, "exp": expires},
                BANK_SECRET,
                algorithm="HS256",
            )
            for key, (sub, name, vip) in CUSTOMERS.items()
        }
    )


def _require_chinese_font_for_docs() -> None:
    """The committed zh-CN picture must show Chinese, not boxes: the workbench ships no CJK
    font (docs/operations.md, "Workbench"), so the machine taking it needs one."""
    if os.environ.get(DOCS_SWITCH) != "1":
        return
    fc_list = shutil.which("fc-list")
    assert fc_list, "fc-list (fontconfig) is needed to check for a Chinese font"
    families = subprocess.run(
        [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, check=True
    ).stdout
    assert families.strip(), "no Chinese font installed (Debian: apt-get install fonts-noto-cjk)"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_it_takes_the_documented_pictures_in_chromium(request, monkeypatch):
    require_browser_tools()
    require_built(WIDGET)
    require_built(WORKBENCH)
    _require_chinese_font_for_docs()
    to_docs = os.environ.get(DOCS_SWITCH) == "1"
    # The appliance refuses unknown ENCLAVE_* variables, so the instance and its gunicorn
    # must not see it; only the browser script does.
    monkeypatch.delenv(DOCS_SWITCH, raising=False)
    server, passwords = request.getfixturevalue("screenshot_server")
    if to_docs:
        monkeypatch.setenv(DOCS_SWITCH, "1")
    monkeypatch.setenv("SCREENSHOT_CUSTOMER_TOKENS", _customer_tokens())
    monkeypatch.setenv("NEAR_SLA_SECONDS", str(FIRST_RESPONSE_SECONDS * NEAR_SLA_PERCENT // 100))
    started = time.time()

    result = run_check(
        "screenshots.mjs", server.base, passwords, "demo-agent", "demo-wealth", "demo-supervisor"
    )

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert [shot["name"] for shot in report["shots"]] == list(EXPECTED), result.stdout
    dirs = [ARTIFACTS / "screenshots"]
    if to_docs:
        dirs.append(DOC_IMAGES)
    for shot in report["shots"]:
        for directory in dirs:
            path = directory / f"{shot['name']}.png"
            assert path.stat().st_mtime >= started - 1, f"{path} was not written by this run"
            size = _png_size(path)
            assert size == (shot["width"], shot["height"]), (path, size, shot)
            if EXPECTED[shot["name"]] is not None:
                assert size == EXPECTED[shot["name"]], (path, size)
            assert 2_000 < path.stat().st_size <= MAX_BYTES, (path, path.stat().st_size)
