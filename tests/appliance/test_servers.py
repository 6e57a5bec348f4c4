"""The two ways to serve: `enclave serve` (gevent) and gunicorn with config/gunicorn.conf.py."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import websocket

from tests.support import free_port
from tests.support import http_get
from tests.support import poll
from tests.support import stop_process_group

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def start_server(kind, instance_dir, **popen):
    """Start `kind` ("gunicorn" or "enclave-serve") on a free port; return (process, base URL)."""
    port = free_port()
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(instance_dir), "ENCLAVE_SERVER_PORT": str(port)}
    if kind == "gunicorn":
        command = [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "appliance.wsgi:app",
        ]
    else:
        command = [str(BIN / "enclave"), "serve"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, **popen)
    base = f"http://127.0.0.1:{port}"
    poll(lambda: http_get(base + "/healthz")[0] == 200, timeout=60, what=f"{kind} up")
    return process, base


@pytest.fixture
def server(instance_dir, request):
    """Start the server kind named by the test's parameter; yield its base URL."""
    log = (instance_dir.parent / f"{request.param}.log").open("wb")
    process, base = start_server(request.param, instance_dir, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield base
    finally:
        stop_process_group(process)
        log.close()


@pytest.mark.parametrize("server", ["gunicorn", "enclave-serve"], indirect=True)
def test_it_serves_health_and_readiness(server):
    status, body = http_get(server + "/readyz")

    assert status == 200, body
    assert json.loads(body)["status"] == "ready"


@pytest.mark.parametrize("server", ["gunicorn", "enclave-serve"], indirect=True)
def test_it_carries_socketio_over_websocket(server):
    ws_url = server.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    connection = websocket.create_connection(ws_url, timeout=10)
    try:
        opening = connection.recv()
    finally:
        connection.close()

    # Engine.IO "open" packet: "0" followed by the handshake JSON.
    assert opening.startswith("0")
    assert "sid" in json.loads(opening[1:])


@pytest.mark.parametrize("kind", ["gunicorn", "enclave-serve"])
def test_it_audits_start_and_graceful_stop(instance_dir, kind):
    from audit.events import EventType
    from tests.appliance.audit_helpers import actions
    from tests.appliance.audit_helpers import bind

    process, _ = start_server(
        kind, instance_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=60) == 0

    bind(instance_dir)
    recorded = actions()
    assert EventType.SERVER_STARTED in recorded
    assert EventType.HEARTBEAT in recorded  # the audit job ran at start
    assert recorded[-1] == EventType.SERVER_STOPPED
