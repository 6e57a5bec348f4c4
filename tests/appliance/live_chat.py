"""Real python-socketio clients against a real server process (gunicorn), for end-to-end tests.

agent = LiveAgent(base, "ann", PASSWORD)      # signs in over HTTP, connects /agent
visitor = LiveVisitor(base)                    # connects /visitor anonymously
conversation = visitor.call("start_conversation", {})["conversation"]
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import requests
import socketio

from tests.support import free_port
from tests.support import http_get
from tests.support import poll
from tests.support import stop_process_group

ROOT = Path(__file__).resolve().parents[2]


class LiveParty:
    namespace = "/"

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client.on("*", self._record, namespace=self.namespace)

    def _record(self, event: str, payload: Any = None) -> None:
        with self._lock:
            self.events.append((event, payload))

    def received(self, name: str) -> list[Any]:
        with self._lock:
            return [payload for event, payload in self.events if event == name]

    def call(self, event: str, payload: Any, timeout: float = 10) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.call(
            event, payload, namespace=self.namespace, timeout=timeout
        )
        return ack

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the server may be gone (SIGKILL tests)
            self.client.disconnect()


class LiveVisitor(LiveParty):
    namespace = "/visitor"

    def __init__(self, base: str, auth: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.client.connect(
            base, namespaces=[self.namespace], auth=auth or {}, transports=["websocket"]
        )
        poll(lambda: self.received("session_started"), timeout=10, what="session_started")
        self.token = self.received("session_started")[0]["visitor_token"]


class LiveAgent(LiveParty):
    namespace = "/agent"

    def __init__(
        self, base: str, username: str, password: str, headers: dict[str, str] | None = None
    ) -> None:
        """`headers` go with the sign-in and the connect (e.g. what a proxy would add)."""
        super().__init__()
        extra = headers or {}
        http = requests.Session()
        csrf = http.get(base + "/api/v1/auth/session", timeout=10).json()["csrf_token"]
        response = http.post(
            base + "/api/v1/auth/login",
            json={"username": username, "password": password},
            headers={"X-CSRF-Token": csrf, **extra},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        self.client.connect(
            base,
            namespaces=[self.namespace],
            headers={"Cookie": cookie, **extra},
            transports=["websocket"],
        )


def add_agent(
    instance_dir: Path,
    username: str,
    password: str,
    *,
    capacity_note: str = "",
    groups: tuple[str, ...] = (),  # default: general
) -> None:
    secret = instance_dir.parent / f"{username}.password"
    secret.write_text(password + "\n", encoding="utf-8")
    group_options = [option for group in groups for option in ("--group", group)]
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "enclave"),
            "users",
            "add",
            username,
            "--name",
            username.title(),
            "--role",
            "agent",
            "--password-file",
            str(secret),
            *group_options,
            "--data-dir",
            str(instance_dir),
        ],
        check=True,
        capture_output=True,
    )


class Gunicorn:
    """One gunicorn (config/gunicorn.conf.py) serving `instance_dir`; restartable, killable."""

    def __init__(self, instance_dir: Path, **settings: str) -> None:
        self.instance_dir = instance_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ENCLAVE_DATA_DIR": str(instance_dir),
            "ENCLAVE_SERVER_PORT": str(self.port),
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Gunicorn:
        self.starts += 1
        log = (self.instance_dir.parent / f"gunicorn-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-c",
                str(ROOT / "config" / "gunicorn.conf.py"),
                "appliance.wsgi:app",
            ],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        poll(lambda: http_get(self.base + "/readyz")[0] == 200, timeout=60, what="gunicorn ready")
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: master and worker, no chance to clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
