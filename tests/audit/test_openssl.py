"""Stock openssl verifies our checkpoint and MANIFEST signatures with docs/audit.md's commands."""

from __future__ import annotations

import base64
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from audit.bundle import write_bundle
from crypto.signing import Signer
from tests.audit.conftest import ORIGIN
from tests.audit.conftest import T0
from tests.audit.conftest import build_log
from tests.support import require_executable

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_script() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- openssl-check:begin -->\n```sh\n(.*?)```\n<!-- openssl-check:end -->",
        text,
        re.DOTALL,
    )
    assert match, "docs/audit.md lost its openssl-check block"
    return match[1]


@pytest.fixture
def extracted(signers: list[Signer], tmp_path: Path) -> Path:
    require_executable("openssl")
    log = build_log(signers, 12, [5, 12])
    bundle = tmp_path / "export.tar"
    write_bundle(log, [1, 7, 11], bundle, signers, ORIGIN, created_ms=T0)
    target = tmp_path / "x"
    target.mkdir()
    with tarfile.open(bundle) as tar:
        tar.extractall(target, filter="data")
    return target


def run(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", documented_script()], cwd=directory, capture_output=True, text=True
    )


def test_it_verifies_with_the_documented_commands(extracted: Path) -> None:
    done = run(extracted)
    assert done.returncode == 0, done.stdout + done.stderr
    # MANIFEST once plus two checkpoints, one SM2 and one Ed25519 signature each.
    assert done.stdout.count("Verified OK") == 3
    assert done.stdout.count("Signature Verified Successfully") == 3
    assert done.stdout.rstrip().endswith("verified with openssl")


def checkpoint_steps() -> str:
    """The key set-up and step 3 only, so a checkpoint change is not caught by MANIFEST first."""
    script = documented_script()
    return script[: script.index("# 1.")] + script[script.index("# 3.") :]


def test_it_checks_checkpoints_alone(extracted: Path) -> None:
    done = subprocess.run(
        ["sh", "-c", checkpoint_steps()], cwd=extracted, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Verified OK") == 2


@pytest.mark.parametrize("change", ["time", "sm2-signature", "ed25519-signature"])
def test_it_fails_on_a_changed_checkpoint(extracted: Path, change: str) -> None:
    path = extracted / "checkpoints" / "000002.checkpoint"
    lines = path.read_text(encoding="utf-8").split("\n")
    if change == "time":
        lines[3] = lines[3][:-1] + str((int(lines[3][-1]) + 1) % 10)  # one millisecond later
    else:
        row = 5 if change == "sm2-signature" else 6
        dash, name, blob = lines[row].split(" ")
        raw = bytearray(base64.b64decode(blob))
        raw[-3] ^= 0x01
        lines[row] = f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}"
    path.write_text("\n".join(lines), encoding="utf-8")
    done = subprocess.run(
        ["sh", "-c", checkpoint_steps()], cwd=extracted, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "failure" in (done.stdout + done.stderr).lower()


def test_it_fails_on_a_changed_member(extracted: Path) -> None:
    events = extracted / "events.jsonl"
    events.write_bytes(events.read_bytes().replace(b'"index":7', b'"index":8'))
    assert run(extracted).returncode != 0
