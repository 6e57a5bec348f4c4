"""Helpers shared by the test suites.

Tests that need something outside Python (the openssl CLI, PostgreSQL, slapd,
Chromium) call `require(...)`: on a developer machine that lacks it the test
skips with the reason; under CI=true it fails instead, because CI must run
everything (.ci/run installs it all).
"""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, reason: str) -> None:
    """Skip (or, under CI=true, fail) unless `available`."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def require_executable(name: str) -> str:
    """Path of executable `name`, or skip/fail as `require` does."""
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed")
    assert path is not None
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(check, *, timeout: float, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Call `check()` until it returns a truthy value or `timeout` seconds pass.

    Returns that value; raises AssertionError naming `what` at the deadline.
    Exceptions from `check` count as "not yet" (a server still starting up).
    """
    import time

    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = check()
        except Exception as exc:
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} ({last_error!r})")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """(status, body) of a GET, without raising on 4xx/5xx."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def imported_roots(path) -> set[str]:  # type: ignore[no-untyped-def]
    """Top-level names a source file imports (absolute imports; `__import__` calls
    show as "<dynamic __import__>"), for the libraries' import-rule tests."""
    import ast
    from pathlib import Path

    source = Path(path)
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            roots.add("<dynamic __import__>")
    return roots


def stop_process_group(process, *, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM a server started with start_new_session=True (its whole group); SIGKILL
    it if it has not exited within `timeout` seconds."""
    import os
    import signal
    import subprocess

    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
