import logging
import os
import stat
from pathlib import Path

import pytest

from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.errors import InvalidKeyError
from crypto.errors import KeyFileError
from crypto.errors import KeyUnwrapError
from crypto.keys import DataKey
from crypto.keys import KdfParams
from crypto.keys import KeyEncryptionKey

FAST_KDF = KdfParams(salt=b"s" * 16, memory_cost=1024, iterations=1, lanes=1)


def test_it_hides_data_key_secrets(algorithm: Algorithm, caplog: pytest.LogCaptureFixture) -> None:
    secret = generate_key(algorithm)
    key = DataKey(3, algorithm, secret)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("key %s %r", key, key)
    for text in (repr(key), str(key), caplog.text):
        assert secret.hex() not in text and repr(secret) not in text
    assert repr(key) == f"DataKey(key_id=3, algorithm={algorithm.label!r})"


def test_it_refuses_data_keys_of_the_wrong_size_or_id() -> None:
    with pytest.raises(InvalidKeyError):
        DataKey(1, Algorithm.SM4_GCM, b"\x00" * 32)
    with pytest.raises(InvalidKeyError):
        DataKey(2**32, Algorithm.SM4_GCM, b"\x00" * 16)


def test_it_writes_and_reads_a_kek_file_with_mode_0600(tmp_path: Path) -> None:
    kek = KeyEncryptionKey.generate()
    path = tmp_path / "kek.key"
    kek.write_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == 32
    loaded = KeyEncryptionKey.from_file(path)
    wrapped = kek.wrap(Algorithm.SM4_GCM, b"k" * 16, aad=b"a")
    assert loaded.unwrap(Algorithm.SM4_GCM, wrapped, aad=b"a") == b"k" * 16


def test_it_refuses_to_overwrite_a_kek_file(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    KeyEncryptionKey.generate().write_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        KeyEncryptionKey.generate().write_file(path)
    assert path.read_bytes() == before


def test_it_refuses_a_missing_kek_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        KeyEncryptionKey.from_file(tmp_path / "nope")


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_it_refuses_a_kek_file_of_the_wrong_size(tmp_path: Path, size: int) -> None:
    path = tmp_path / "kek.key"
    path.write_bytes(b"\x01" * size)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="32 bytes"):
        KeyEncryptionKey.from_file(path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o610])
def test_it_refuses_a_kek_file_group_or_others_can_reach(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kek.key"
    KeyEncryptionKey.generate().write_file(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="group or others"):
        KeyEncryptionKey.from_file(path)


def test_it_derives_the_same_kek_from_the_same_passphrase() -> None:
    one = KeyEncryptionKey.from_passphrase("correct horse", FAST_KDF)
    two = KeyEncryptionKey.from_passphrase("correct horse", FAST_KDF)
    wrapped = one.wrap(Algorithm.AES_256_GCM, b"k" * 32, aad=b"")
    assert two.unwrap(Algorithm.AES_256_GCM, wrapped, aad=b"") == b"k" * 32
    other = KeyEncryptionKey.from_passphrase("wrong horse", FAST_KDF)
    with pytest.raises(KeyUnwrapError):
        other.unwrap(Algorithm.AES_256_GCM, wrapped, aad=b"")


def test_it_round_trips_kdf_params_through_json() -> None:
    params = KdfParams()
    assert KdfParams.from_json(params.to_json()) == params
    assert params.memory_cost == 64 * 1024 and len(params.salt) == 16
    assert KdfParams().salt != params.salt


@pytest.mark.parametrize(
    "text", ["", "{}", '{"kdf": "scrypt"}', '{"kdf": "argon2id", "salt": "!"}']
)
def test_it_refuses_malformed_kdf_params(text: str) -> None:
    with pytest.raises(KeyFileError):
        KdfParams.from_json(text)


def test_it_binds_wraps_to_their_associated_data(algorithm: Algorithm) -> None:
    kek = KeyEncryptionKey.generate()
    wrapped = kek.wrap(algorithm, b"s" * 16, aad=b"data-key 1")
    with pytest.raises(KeyUnwrapError):
        kek.unwrap(algorithm, wrapped, aad=b"data-key 2")
    with pytest.raises(KeyUnwrapError):
        kek.unwrap(algorithm, wrapped[:10], aad=b"data-key 1")


def test_it_hides_the_kek(tmp_path: Path) -> None:
    secret = os.urandom(32)
    kek = KeyEncryptionKey(secret)
    assert secret.hex() not in repr(kek) and secret.hex() not in str(kek)
    assert repr(secret) not in repr(kek)
