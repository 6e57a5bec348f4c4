"""Export bundles: layout, determinism, round trip through the standalone verifier."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from audit.bundle import bundle_files
from audit.bundle import manifest_bytes
from audit.bundle import read_bundle
from audit.bundle import write_bundle
from audit.bundle_check import verify_bundle
from audit.canonical import event_from_canonical
from audit.errors import BundleFormatError
from audit.errors import TreeError
from crypto.hashing import sha256
from crypto.hashing import sm3
from crypto.signing import Signer
from crypto.signing import Verifier
from tests.audit.conftest import ORIGIN
from tests.audit.conftest import T0
from tests.audit.conftest import build_log
from tests.audit.conftest import make_event


def test_it_writes_the_documented_members(signers: list[Signer], tmp_path: Path) -> None:
    log = build_log(signers, 30, [10, 20, 30])
    out = tmp_path / "export.tar"
    written = write_bundle(log, [3, 4, 25], out, signers, ORIGIN, created_ms=T0 + 99_000)
    with tarfile.open(out) as tar:
        names = tar.getnames()
        assert all(m.mtime == (T0 + 99_000) // 1000 and m.mode == 0o644 for m in tar)
    sm2, ed = (s.verifier() for s in signers)
    assert names == [
        "bundle.json",
        "checkpoints/000001.checkpoint",
        "checkpoints/000002.checkpoint",
        "consistency.jsonl",
        "events.jsonl",
        f"keys/ed25519-{ed.key_id()}.pem",
        f"keys/sm2-{sm2.key_id()}.pem",
        "MANIFEST",
        "MANIFEST.ed25519.sig",
        "MANIFEST.sm2.sig",
    ]
    files = read_bundle(out)
    assert files == written
    info = json.loads(files["bundle.json"])
    assert info["selection"] == [[3, 5], [25, 26]]
    assert info["checkpoints"] == [
        {"file": "checkpoints/000001.checkpoint", "size": 10},
        {"file": "checkpoints/000002.checkpoint", "size": 30},
    ]
    lines = [json.loads(line) for line in files["events.jsonl"].splitlines()]
    assert [(e["index"], e["checkpoint"]) for e in lines] == [(3, 10), (4, 10), (25, 30)]
    import base64

    assert event_from_canonical(base64.b64decode(lines[0]["event"])) == make_event(3)
    manifest = files["MANIFEST"].decode().splitlines()
    assert (
        manifest[0]
        == f"{sha256(files['bundle.json']).hex()} {sm3(files['bundle.json']).hex()} bundle.json"
    )
    assert files["MANIFEST"] == manifest_bytes(files)
    # Same export, same bytes.
    again = tmp_path / "again.tar"
    write_bundle(log, [3, 4, 25], again, signers, ORIGIN, created_ms=T0 + 99_000)
    assert read_bundle(again)["events.jsonl"] == files["events.jsonl"]


def test_it_round_trips_through_the_verifier(
    signers: list[Signer], verifiers: list[Verifier]
) -> None:
    log = build_log(signers, 50, [7, 16, 31, 50])
    files = bundle_files(log, list(range(50)), signers, ORIGIN, created_ms=T0)
    report = verify_bundle(files, verifiers)
    assert report.valid, report.checks
    assert report.verdict() == "VALID"
    assert [c.group for c in report.checks] == ["manifest", "checkpoints", "consistency", "events"]
    assert verify_bundle(files).valid  # keys from the bundle itself


def test_it_includes_an_anchor_checkpoint(signers: list[Signer], verifiers: list[Verifier]) -> None:
    log = build_log(signers, 20, [3, 9, 20])
    files = bundle_files(log, [15], signers, ORIGIN, created_ms=T0, anchor_sizes=[3])
    info = json.loads(files["bundle.json"])
    assert [c["size"] for c in info["checkpoints"]] == [3, 20]
    assert verify_bundle(files, verifiers).valid
    with pytest.raises(TreeError, match="no stored checkpoint of size 4"):
        bundle_files(log, [15], signers, ORIGIN, created_ms=T0, anchor_sizes=[4])


def test_it_refuses_events_no_checkpoint_covers(signers: list[Signer]) -> None:
    log = build_log(signers, 12, [10])
    with pytest.raises(TreeError, match="sign one first"):
        bundle_files(log, [11], signers, ORIGIN, created_ms=T0)


def test_it_refuses_a_file_that_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleFormatError):
        read_bundle(tmp_path / "missing.tar")
    (tmp_path / "text.tar").write_text("hello")
    with pytest.raises(BundleFormatError):
        read_bundle(tmp_path / "text.tar")
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w"):
        pass
    with pytest.raises(BundleFormatError, match=r"bundle\.json"):
        read_bundle(empty)


def test_it_refuses_links_and_unsafe_names(tmp_path: Path) -> None:
    for member in (tarfile.TarInfo("../bundle.json"), tarfile.TarInfo("bundle.json")):
        path = tmp_path / "bad.tar"
        with tarfile.open(path, "w") as tar:
            if member.name == "bundle.json":
                member.type = tarfile.SYMTYPE
                member.linkname = "/etc/passwd"
                tar.addfile(member)
            else:
                tar.addfile(member, io.BytesIO(b""))
        with pytest.raises(BundleFormatError):
            read_bundle(path)
