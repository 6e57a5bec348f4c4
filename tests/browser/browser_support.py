"""What the real-Chromium tests share: the tools they need, the demo accounts, and running
one browser check script (tests/browser/*.mjs, built on harness.mjs) against a server."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path

from appliance.commands.demo import CREDENTIALS_FILE
from tests.support import require
from tests.support import require_executable

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "ci-artifacts"
VENDORED = ROOT / "appliance" / "static" / "vendor" / "socket.io.min.js"
WIDGET = ROOT / "appliance" / "static" / "widget" / "enclave-widget.js"
WORKBENCH = ROOT / "appliance" / "static" / "workbench" / "workbench.js"
BROWSER_TIMEOUT = 120
NODE_MAJOR = 20  # playwright-core's "engines" (package-lock.json)


def _chromium() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    require(
        os.access(path, os.X_OK),
        f"Chromium is not at {path} (apt-get install chromium, or set CHROMIUM)",
    )
    return path


def require_browser_tools() -> tuple[str, str]:
    """Chromium and node paths; skip (fail under CI=true) when a tool or asset is missing."""
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


def require_built(path: Path) -> None:
    require(path.is_file(), f"{path.relative_to(ROOT)} is missing (make assets)")


def demo_passwords(data_dir: Path) -> dict[str, str]:
    """Run `enclave demo setup` on the instance; return its accounts' passwords."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "enclave"), "demo", "setup", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
    )
    text = (data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8")
    return dict(re.findall(r"user (\S+)\s+password (\S+)", text))


def run_check(
    script: str, base: str, passwords: dict[str, str], *accounts: str
) -> subprocess.CompletedProcess[str]:
    """Run tests/browser/`script` against `base`, the given demo accounts' passwords in its
    environment (DEMO_AGENT_PASSWORD for demo-agent, ...); assert it passed."""
    chromium, node = require_browser_tools()
    env = {**os.environ, "CHROMIUM": chromium}
    for account in accounts:
        env[account.upper().replace("-", "_") + "_PASSWORD"] = passwords[account]
    result = subprocess.run(
        [node, str(ROOT / "tests" / "browser" / script), base, str(ARTIFACTS)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{output}"
    assert '"ok":true' in result.stdout, output
    return result


def run_steered_check(
    script: str,
    base: str,
    passwords: dict[str, str],
    *accounts: str,
    steps: Mapping[str, Callable[[], str]],
    timeout: float = BROWSER_TIMEOUT,
) -> dict[str, object]:
    """Like run_check, for a script that hands control to the test at named points: it prints
    a line {"phase": NAME} and waits for one line on its stdin; `steps[NAME]()` runs here (say,
    kills the server) and what it returns is written back as that line. Asserts the script
    passed, that each step ran exactly once, and returns its final JSON result."""
    chromium, node = require_browser_tools()
    env = {**os.environ, "CHROMIUM": chromium}
    for account in accounts:
        env[account.upper().replace("-", "_") + "_PASSWORD"] = passwords[account]
    process = subprocess.Popen(
        [node, str(ROOT / "tests" / "browser" / script), base, str(ARTIFACTS)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    errors: list[str] = []

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def read_stderr() -> None:
        assert process.stderr is not None
        errors.extend(process.stderr)

    readers = [threading.Thread(target=read_stdout), threading.Thread(target=read_stderr)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    output: list[str] = []
    ran: list[str] = []
    result: dict[str, object] = {}
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{script} still running after {timeout}s:\n{''.join(output + errors)}"
                ) from None
            if line is None:
                break
            output.append(line)
            message = json.loads(line) if line.startswith("{") else None
            if isinstance(message, dict) and "phase" in message:
                name = str(message["phase"])
                assert name in steps, f"{script} asked for an unknown step {name!r}"
                ran.append(name)
                reply = steps[name]()
                assert process.stdin is not None
                process.stdin.write(reply + "\n")
                process.stdin.flush()
            elif isinstance(message, dict) and "ok" in message:
                result = message
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=10)
    text = "".join(output + errors)
    assert code == 0, f"{script} exited {code}:\n{text}"
    assert result.get("ok") is True, text
    assert sorted(ran) == sorted(steps), f"steps run: {ran}, expected each of {sorted(steps)}"
    return result
