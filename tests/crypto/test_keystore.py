import json
import stat
from pathlib import Path

import pytest

from crypto import keystore
from crypto.aead import Algorithm
from crypto.errors import KeyFileError
from crypto.keyring import KeyRing
from crypto.keys import KeyEncryptionKey


def test_it_writes_the_documented_fields(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "ks.json", KeyEncryptionKey.generate(), Algorithm.SM4_GCM)
    document = json.loads(ring.path.read_text())
    assert set(document) == {
        "format",
        "version",
        "wrap_algorithm",
        "kdf",
        "current_key_id",
        "blind_index_key",
        "data_keys",
    }
    assert document["format"] == "enclave-desk-keystore" and document["version"] == 1
    assert document["wrap_algorithm"] == "sm4-gcm"
    [entry] = document["data_keys"]
    assert set(entry) == {"id", "algorithm", "created_at", "status", "wrapped", "destroyed_at"}
    # nonce (12) + 16-byte SM4 key + tag (16)
    assert len(keystore.from_bytes(ring.path.read_bytes()).keys[0].wrapped or b"") == 44


def test_it_round_trips_the_document(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "ks.json", KeyEncryptionKey.generate())
    data = ring.path.read_bytes()
    assert keystore.to_bytes(keystore.from_bytes(data)) == data


def test_it_leaves_no_temp_files_and_keeps_mode_0600(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "ks.json", KeyEncryptionKey.generate())
    ring.rotate()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ks.json", "ks.json.lock"]
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="other"),
        lambda d: d.update(version=2),
        lambda d: d.update(wrap_algorithm="des"),
        lambda d: d.update(current_key_id=9),
        lambda d: d["data_keys"][0].update(status="destroyed"),
        lambda d: d["data_keys"][0].update(wrapped=None),
        lambda d: d["data_keys"][0].update(wrapped="!!"),
        lambda d: d["data_keys"].append(dict(d["data_keys"][0])),
        lambda d: d.pop("blind_index_key"),
    ],
)
def test_it_refuses_malformed_documents(tmp_path: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    ring = KeyRing.create(tmp_path / "ks.json", KeyEncryptionKey.generate())
    document = json.loads(ring.path.read_text())
    mutate(document)
    with pytest.raises(KeyFileError):
        keystore.from_bytes(json.dumps(document).encode())
