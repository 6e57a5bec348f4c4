"""server.trusted_proxies: behind nginx the audit trail records the client's address.

With 0 (the default) X-Forwarded-For is ignored, so a client cannot put another
address into the audit trail; with 1 the address the one proxy appends is used,
for HTTP and for Socket.IO connects alike.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from appliance import create_app
from appliance.instance import init_instance
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.directory_helpers import PASSWORD
from tests.appliance.directory_helpers import csrf_token
from tests.appliance.directory_helpers import make_agent
from tests.appliance.live_chat import Gunicorn
from tests.appliance.live_chat import LiveAgent
from tests.appliance.live_chat import add_agent

ROOT = Path(__file__).resolve().parents[2]
LIVE_PASSWORD = "correct horse battery"

FORWARDED_FOR = {"X-Forwarded-For": "203.0.113.7"}
FORWARDED = {**FORWARDED_FOR, "X-Forwarded-Proto": "https"}


def _app(settings, proxies: int):
    server = dataclasses.replace(settings.server, trusted_proxies=proxies)
    return create_app(dataclasses.replace(settings, server=server))


def _sign_in(client) -> None:
    token = csrf_token(client)
    response = client.post(
        "/api/v1/auth/login",
        json={"username": "agent1", "password": PASSWORD},
        headers={"X-CSRF-Token": token, **FORWARDED},
    )
    assert response.status_code == 200, response.json


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_sign_in_is_audited_with_the_address_the_proxy_saw(settings, proxies, recorded):
    app = _app(settings, proxies)
    with app.app_context():
        make_agent("agent1")
    _sign_in(app.test_client())
    with app.app_context():
        [signed_in] = [e for e in all_events() if e.action is EventType.LOGIN_SUCCEEDED]
    assert signed_in.actor.ip == recorded


@pytest.mark.slow
def test_behind_gunicorn_socket_io_events_record_the_forwarded_address(tmp_path):
    # Through the real WSGI stack: the Flask-SocketIO test client does not pass wsgi_app.
    data_dir = init_instance(tmp_path / "instance").data_dir
    add_agent(data_dir, "ann", LIVE_PASSWORD)
    server = Gunicorn(data_dir, ENCLAVE_SERVER_TRUSTED_PROXIES="1").start()
    try:
        # No X-Forwarded-Proto here: the client speaks http, and with "https" believed
        # Engine.IO's same-origin check would rightly refuse its http Origin.
        agent = LiveAgent(server.base, "ann", LIVE_PASSWORD, headers=FORWARDED_FOR)
        try:
            ack = agent.call("set_status", {"status": "online", "capacity": 2})
            assert ack["ok"], ack
        finally:
            agent.close()
    finally:
        server.stop()
    signed_in = _audit(data_dir, "301")
    changed = _audit(data_dir, "602")
    assert [e["actor"]["ip"] for e in signed_in] == ["203.0.113.7"]
    assert changed and {e["actor"]["ip"] for e in changed if e["actor"]["role"] != "system"} == {
        "203.0.113.7"
    }


def _audit(data_dir, action: str) -> list[dict]:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "enclave"), "audit", "search", "--data-dir", str(data_dir),
         "--action", action, "--format", "jsonl"],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
