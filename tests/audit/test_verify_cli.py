"""enclave-audit-verify: exit codes 0/1/2, what it prints, --trusted-key and --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.bundle import pack
from audit.bundle import read_bundle
from audit.bundle import sign_manifest
from audit.bundle import write_bundle
from audit.verify import main
from crypto.signing import Signer
from tests.audit.conftest import ORIGIN
from tests.audit.conftest import T0
from tests.audit.conftest import build_log

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bundle(signers: list[Signer], tmp_path: Path) -> Path:
    log = build_log(signers, 25, [10, 25])
    out = tmp_path / "export.tar"
    write_bundle(log, [2, 3, 11, 24], out, signers, ORIGIN, created_ms=T0)
    return out


@pytest.fixture
def keys(signers: list[Signer], tmp_path: Path) -> list[Path]:
    paths = []
    for signer in signers:
        path = tmp_path / f"{signer.algorithm}.pem"
        path.write_bytes(signer.verifier().public_key_pem())
        paths.append(path)
    return paths


def test_it_says_valid_and_that_unpinned_keys_prove_little(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(bundle)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("keys: taken from the bundle itself")
    assert [line.split(":")[0] for line in lines[1:5]] == [
        "manifest",
        "checkpoints",
        "consistency",
        "events",
    ]
    assert all(": ok: " in line for line in lines[1:5])
    assert lines[-1] == "VALID"


def test_it_pins_trusted_keys(
    bundle: Path, keys: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(bundle), "--trusted-key", str(keys[0]), "--trusted-key", str(keys[1])]) == 0
    assert capsys.readouterr().out.startswith("keys: pinned by --trusted-key")


def test_it_says_tampered_when_signed_by_someone_else(
    bundle: Path, other_signers: list[Signer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(other_signers[1].verifier().public_key_pem())
    assert main([str(bundle), "--trusted-key", str(stranger)]) == 1
    out = capsys.readouterr().out
    assert "manifest: FAILED: MANIFEST.ed25519.sig is missing or does not verify" in out
    assert (
        "checkpoints: FAILED: checkpoint 10: checkpoint signature invalid: no valid ed25519" in out
    )
    assert out.splitlines()[-1].startswith("TAMPERED: manifest: ")


def test_it_says_where_an_event_was_tampered(
    bundle: Path, signers: list[Signer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = read_bundle(bundle)
    lines = files["events.jsonl"].split(b"\n")
    record = json.loads(lines[2])
    import base64

    event = base64.b64decode(record["event"]).replace(b'"ok":true', b'"ok":false')
    record["event"] = base64.b64encode(event).decode()
    lines[2] = json.dumps(record).encode()
    files["events.jsonl"] = b"\n".join(lines)
    sign_manifest(files, signers)  # even a correctly re-signed manifest does not help
    out = tmp_path / "tampered.tar"
    pack(files, out)
    assert main([str(out)]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("TAMPERED: events: leaf 11 (events.jsonl line 3): ")
    assert "inclusion proof for leaf 11 does not match" in last


def test_it_prints_json(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bundle), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is True and result["verdict"] == "VALID"
    assert result["key_source"] == "bundle"
    assert {c["group"] for c in result["checks"]} == {
        "manifest",
        "checkpoints",
        "consistency",
        "events",
    }


def test_it_exits_2_for_unusable_input(
    tmp_path: Path, bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a tar")
    assert main([str(tmp_path / "notes.txt")]) == 2
    assert main([str(tmp_path / "absent.tar")]) == 2
    assert "UNUSABLE" in capsys.readouterr().err
    (tmp_path / "bad.pem").write_text("not a key")
    assert main([str(bundle), "--trusted-key", str(tmp_path / "bad.pem")]) == 2
    files = read_bundle(bundle)
    files["bundle.json"] = b'{"format": "something else"}'
    pack(files, tmp_path / "other.tar")
    assert main([str(tmp_path / "other.tar"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["verdict"].startswith("UNUSABLE")


def test_it_runs_as_a_module_without_the_appliance(bundle: Path) -> None:
    code = (
        "import sys, runpy; sys.argv = ['enclave-audit-verify', sys.argv[1]];"
        "runpy.run_module('audit.verify', run_name='__main__')"
    )
    check = (
        "import sys; import audit.verify, audit.bundle_check;"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'peewee', 'appliance', 'gevent', 'ldap3')]; print(bad)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(bundle)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "VALID"
    loaded = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]"
    via_m = subprocess.run(
        [sys.executable, "-m", "audit", str(bundle)], cwd=ROOT, capture_output=True, text=True
    )
    assert via_m.returncode == 0 and via_m.stdout.endswith("VALID\n")


def test_it_reads_a_bundle_repacked_with_the_tar_command(tmp_path: Path, bundle: Path) -> None:
    import shutil
    import subprocess

    from tests.support import require_executable

    tar = require_executable("tar")
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run([tar, "-xf", str(bundle), "-C", str(unpacked)], check=True)
    repacked = tmp_path / "repacked.tar"
    subprocess.run([tar, "-cf", str(repacked), "-C", str(unpacked), "."], check=True)
    shutil.rmtree(unpacked)

    assert main([str(repacked)]) == 0
