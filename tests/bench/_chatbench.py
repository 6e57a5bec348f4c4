"""Shared plumbing of bench_chat.py and bench_idle.py: servers, agents, the load generator.

Both servers run as one gunicorn gevent worker pinned to CPU 0 (SERVER_CPU);
the load generator (tests/bench/loadgen.py) runs in its own process on CPU 1
(CLIENT_CPU), so "per core" means one server core and the client cannot steal
it (research/performance-anchors.md §2.1). Every server is stopped by its
process group, never by name.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "bench"
BIN = Path(sys.executable).parent
SERVER_CPU, CLIENT_CPU = 0, 1
CLIENT_CPU_WARN = 0.70
OTHERS_WARN = 0.10

sys.path.insert(0, str(ROOT))

from tests.bench.loadgen import proc_cpu_seconds  # noqa: E402
from tests.support import free_port  # noqa: E402
from tests.support import http_get  # noqa: E402
from tests.support import poll  # noqa: E402

# Read once, before with_servers() pins this process to the client CPU.
PINNING = {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0)


def pinning_available() -> bool:
    return PINNING


def _server_preexec() -> None:
    """In the server's child: pin to the server CPU, and allow ~2 fds per connection."""
    if pinning_available():
        os.sched_setaffinity(0, {SERVER_CPU})
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def worker_pid(self) -> int:
        """The (one) gunicorn worker: the master's child."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"{self.name}: expected one gunicorn worker, found {children}")
        return int(children[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _start(name: str, command: list[str], env: dict, port: int, ready: str, logs: Path) -> Server:
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_server_preexec,
        )
    server = Server(name, process, port, log_path)
    try:
        poll(
            lambda: (
                process.poll() is None and http_get(f"http://127.0.0.1:{port}{ready}")[0] == 200
            ),
            timeout=60,
            what=f"{name} up",
        )
        poll(lambda: server.worker_pid, timeout=10, what=f"{name} worker")
    except AssertionError:
        server.stop()
        raise SystemExit(f"{name} did not start; last log lines:\n{server.log_tail()}") from None
    return server


def start_relay(logs: Path) -> Server:
    """The bare Flask-SocketIO relay (tests/bench/relay_app.py), same worker type as the product."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-k", "gevent",
        "-w", "1",
        "--worker-connections", "20000",
        "-b", f"127.0.0.1:{port}",
        "--pythonpath", str(BENCH),
        "--no-control-socket",
        "relay_app:app",
    ]  # fmt: skip
    return _start(
        "relay", command, dict(os.environ), port, "/socket.io/?EIO=4&transport=polling", logs
    )


def init_product(directory: Path, database_url: str = "") -> Path:
    """A fresh instance (`enclave init`, on `database_url` if given); returns its data directory."""
    data_dir = directory / "instance"
    database = ["--database-url", database_url] if database_url else []
    subprocess.run(
        [str(BIN / "enclave"), "init", "--data-dir", str(data_dir), *database],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return data_dir


def add_agents(data_dir: Path, count: int) -> list[tuple[str, str]]:
    """`count` agents made with `enclave users add`; returns [(username, password)]."""
    password = "Bench-" + secrets.token_urlsafe(18)
    password_file = data_dir.parent / "agent-password"
    password_file.write_text(password + "\n")
    accounts = []
    for i in range(count):
        username = f"agent{i}"
        subprocess.run(
            [
                str(BIN / "enclave"), "users", "add", username,
                "--name", f"Bench Agent {i}",
                "--role", "agent",
                "--password-file", str(password_file),
                "--data-dir", str(data_dir),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        accounts.append((username, password))
    return accounts


def start_product(data_dir: Path, logs: Path, settings: dict[str, str] | None = None) -> Server:
    """The product under gunicorn with config/gunicorn.conf.py, as in production."""
    port = free_port()
    env = {
        **os.environ,
        "ENCLAVE_DATA_DIR": str(data_dir),
        "ENCLAVE_SERVER_PORT": str(port),
        **(settings or {}),
    }
    command = [
        str(BIN / "gunicorn"),
        "-c", str(ROOT / "config" / "gunicorn.conf.py"),
        # Not a performance setting: two masters at once would share ~/.gunicorn/gunicorn.ctl.
        "--no-control-socket",
        "appliance.wsgi:app",
    ]  # fmt: skip
    return _start("product", command, env, port, "/healthz", logs)


def login(port: int, username: str, password: str) -> str:
    """Sign in over HTTP as the workbench does; returns the Cookie header for /agent."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}/api/v1/auth"
    with opener.open(base + "/session", timeout=10) as response:
        csrf = json.load(response)["csrf_token"]
    request = urllib.request.Request(
        base + "/login",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
        method="POST",
    )
    with opener.open(request, timeout=30) as response:
        body = json.load(response)
    if not body.get("ok"):
        raise RuntimeError(f"login of {username} refused: {body}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def write_cookies(port: int, accounts: list[tuple[str, str]], path: Path) -> Path:
    path.write_text(json.dumps([login(port, user, password) for user, password in accounts]))
    return path


def wait_quiet(servers: list[Server], limit: float = 20.0, busy: float = 0.05) -> float:
    """Wait until every worker uses < `busy` of a core (max `limit` s); return seconds waited.

    Both servers share the server CPU, and the product keeps working after a run
    (sequencing the audit events it wrote, draining a backlog): measured beside
    that, the relay would pay for the product's work.
    """
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = [proc_cpu_seconds(s.worker_pid) for s in servers]
        time.sleep(0.5)
        after = [proc_cpu_seconds(s.worker_pid) for s in servers]
        if all((b - a) / 0.5 < busy for a, b in zip(before, after, strict=True)):
            break
    return time.monotonic() - start


def run_loadgen(args: list[str], timeout: float = 180) -> dict:
    """Run loadgen.py pinned to the client CPU; return its JSON result."""
    command = [sys.executable, str(BENCH / "loadgen.py"), *args]
    if pinning_available():
        command += ["--cpu", str(CLIENT_CPU), "--server-cpu", str(SERVER_CPU)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def product_available() -> str | None:
    """Why the full-stack run cannot happen yet, or None."""
    if not (ROOT / "appliance" / "realtime").is_dir():
        return "appliance/realtime/ (the /visitor and /agent namespaces) does not exist yet"
    if not (ROOT / "appliance" / "commands" / "users.py").is_file():
        return "`enclave users` (appliance/commands/users.py) does not exist yet"
    return None


def scratch_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="enclave-bench-")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def warn_cpu(label: str, result: dict, key: str = "client_cpu") -> None:
    """Say so when the client was near its core's limit, or the server shared its core."""
    share = result.get(key) or 0.0
    if share > CLIENT_CPU_WARN:
        print(
            f"  WARNING: {label}: the load generator used {share:.0%} of its core "
            f"(> {CLIENT_CPU_WARN:.0%}); the client may be the bottleneck"
        )
    others = result.get("server_core_others") or 0.0
    if others > OTHERS_WARN:
        print(
            f"  WARNING: {label}: other processes used {others:.0%} of the server's core "
            "during the window; absolute figures are low, compare same-run ratios"
        )


def with_servers(body: Callable[[Path], int]) -> int:
    """Run body(scratch dir) with this process pinned to the client CPU."""
    if pinning_available():
        os.sched_setaffinity(0, {CLIENT_CPU})
    else:
        print("WARNING: fewer than 2 CPUs: server and load generator share a core")
    with scratch_directory() as tmp:
        return body(Path(tmp))
