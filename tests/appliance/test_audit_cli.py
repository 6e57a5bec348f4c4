"""`enclave audit …` and `enclave-audit-verify`, run as an operator and an auditor would."""

import json
import sys
from pathlib import Path

import pytest

from tests.appliance.test_cli import enclave
from tests.tools.flip_event_byte import flip_event_byte

VERIFY = str(Path(sys.executable).parent / "enclave-audit-verify")


def verify(*args):
    import subprocess

    return subprocess.run([VERIFY, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "inst"
    enclave("init", "--data-dir", str(path))
    enclave("keys", "rotate", "--data-dir", str(path))
    enclave("keys", "destroy", "2", "--yes", "--data-dir", str(path), check=False)  # refused
    return path


def search(data_dir, *filters):
    result = enclave("audit", "search", "--data-dir", str(data_dir), "--format", "jsonl", *filters)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_it_searches_by_action_target_result_actor_and_time(data_dir):
    [rotated] = search(data_dir, "--action", "DATA_KEY_ROTATED")
    assert rotated["target"] == {"type": "data_key", "id": "2"}
    assert rotated["leaf_index"] is not None

    [refused] = search(data_dir, "--result", "failure")
    assert refused["action_name"] == "DATA_KEY_DESTROYED"
    assert "current" in refused["result"]["reason"]

    assert [e["action_name"] for e in search(data_dir, "--target", "data_key:2")] == [
        "DATA_KEY_ROTATED",
        "DATA_KEY_DESTROYED",
    ]
    assert search(data_dir, "--action", "202") == search(data_dir, "--action", "DATA_KEY_ROTATED")
    assert search(data_dir, "--actor", "nobody:at-all") == []
    assert search(data_dir, "--from", "2100-01-01") == []
    assert len(search(data_dir, "--to", "2100-01-01")) >= 8


def test_it_audits_every_search(data_dir):
    search(data_dir, "--action", "DATA_KEY_ROTATED")

    searches = search(data_dir, "--action", "AUDIT_SEARCHED")

    assert searches[0]["details"]["filter"] == {"action": "DATA_KEY_ROTATED"}
    assert searches[0]["actor"]["role"] == "operator"


def test_it_prints_a_table_by_default(data_dir):
    table = enclave("audit", "search", "--data-dir", str(data_dir)).stdout.splitlines()

    assert table[0].split()[:3] == ["LEAF", "TIME", "(UTC)"]
    assert any("INSTANCE_INITIALIZED" in line for line in table[1:])


def test_it_rejects_an_unknown_action(data_dir):
    result = enclave("audit", "search", "--data-dir", str(data_dir), "--action", "NAP", check=False)

    assert result.returncode == 2
    assert "unknown audit action 'NAP'" in result.stderr


def test_it_exports_a_bundle_the_offline_verifier_accepts(data_dir, tmp_path):
    bundle = tmp_path / "audit.tar"
    enclave("audit", "export", "--data-dir", str(data_dir), "--out", str(bundle))

    result = verify(str(bundle))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "VALID"
    assert "taken from the bundle" in result.stdout
    [export] = search(data_dir, "--action", "AUDIT_EXPORTED")
    assert export["result"]["ok"] is True
    assert export["details"]["events"] >= 8


def test_it_accepts_pinned_keys_and_rejects_foreign_ones(data_dir, tmp_path):
    bundle = tmp_path / "audit.tar"
    enclave("audit", "export", "--data-dir", str(data_dir), "--out", str(bundle))
    enclave("audit", "keys", "--data-dir", str(data_dir), "--out-dir", str(tmp_path / "ours"))
    enclave("init", "--data-dir", str(tmp_path / "other"))
    enclave(
        "audit",
        "keys",
        "--data-dir",
        str(tmp_path / "other"),
        "--out-dir",
        str(tmp_path / "theirs"),
    )

    pinned = verify(
        str(bundle),
        "--trusted-key",
        str(tmp_path / "ours" / "audit-sm2.pub.pem"),
        "--trusted-key",
        str(tmp_path / "ours" / "audit-ed25519.pub.pem"),
    )
    foreign = verify(
        str(bundle), "--trusted-key", str(tmp_path / "theirs" / "audit-ed25519.pub.pem")
    )

    assert pinned.returncode == 0, pinned.stdout
    assert "taken from the bundle" not in pinned.stdout
    assert foreign.returncode == 1, foreign.stdout


def test_it_reports_a_flipped_byte_and_where(data_dir, tmp_path):
    bundle, forged = tmp_path / "audit.tar", tmp_path / "forged.tar"
    enclave("audit", "export", "--data-dir", str(data_dir), "--out", str(bundle))
    flip_event_byte(bundle, forged, line=3)

    result = verify(str(forged))

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("TAMPERED")
    assert "leaf 3" in result.stdout


def test_it_calls_a_non_bundle_unusable(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all")

    result = verify(str(junk))

    assert result.returncode == 2


def test_it_refuses_an_export_with_nothing_to_export_and_audits_the_attempt(data_dir, tmp_path):
    result = enclave(
        "audit",
        "export",
        "--data-dir",
        str(data_dir),
        "--from",
        "2100-01-01",
        "--out",
        str(tmp_path / "none.tar"),
        check=False,
    )

    assert result.returncode == 1
    assert "no audit events match" in result.stderr
    assert not (tmp_path / "none.tar").exists()
    [attempt] = search(data_dir, "--action", "AUDIT_EXPORTED")
    assert attempt["result"]["ok"] is False


def test_it_verifies_the_live_log(data_dir):
    result = enclave("audit", "verify", "--data-dir", str(data_dir))

    assert result.stdout.startswith("VALID")
    [verified] = search(data_dir, "--action", "AUDIT_VERIFIED")
    assert verified["result"]["ok"] is True


def test_it_signs_a_checkpoint_on_demand(data_dir):
    first = enclave("audit", "checkpoint", "--data-dir", str(data_dir)).stdout

    assert first.startswith("checkpoint at tree size")
    assert search(data_dir, "--action", "CHECKPOINT_SIGNED")


def test_it_prints_the_public_keys(data_dir):
    out = enclave("audit", "keys", "--data-dir", str(data_dir)).stdout

    assert out.count("-----BEGIN PUBLIC KEY-----") == 2
    assert "# sm2 key" in out and "# ed25519 key" in out
