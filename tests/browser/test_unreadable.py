"""An unreadable message in real headless Chromium against a real gunicorn: once the test
copies seq 1's ciphertext over seq 2 in the instance's SQLite database (what tampering
would do), the workbench and the widget show every message after a reload, seq 2 as the
placeholder system line in its place and the others intact. The browser side is
tests/browser/unreadable_check.mjs, steered over its stdin/stdout by
browser_support.run_steered_check."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests.browser.browser_support import WIDGET
from tests.browser.browser_support import WORKBENCH
from tests.browser.browser_support import require_browser_tools
from tests.browser.browser_support import require_built
from tests.browser.browser_support import run_steered_check

pytestmark = pytest.mark.slow

_MOVE_BODY = (
    "UPDATE message SET body_enc ="
    " (SELECT body_enc FROM message WHERE conversation_id = ? AND seq = 1)"
    " WHERE conversation_id = ? AND seq = 2"
)


def test_it_shows_an_unreadable_message_as_a_placeholder_in_its_place(
    request: pytest.FixtureRequest,
) -> None:
    require_browser_tools()
    require_built(WORKBENCH)
    require_built(WIDGET)
    server, passwords = request.getfixturevalue("demo_server")

    def tamper() -> str:
        with closing(sqlite3.connect(server.instance_dir / "enclave.db", timeout=30)) as database:
            [(conversation_id,)] = database.execute("SELECT id FROM conversation").fetchall()
            with database:
                moved = database.execute(_MOVE_BODY, (conversation_id, conversation_id))
            assert moved.rowcount == 1
        return "tampered"

    run_steered_check(
        "unreadable_check.mjs", server.base, passwords, "demo-agent", steps={"tamper-now": tamper}
    )
