import base64
import json
import logging
import stat
import threading
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from crypto import envelope
from crypto.aead import Algorithm
from crypto.errors import AuthenticationError
from crypto.errors import CryptoError
from crypto.errors import EnvelopeError
from crypto.errors import KeyDestroyedError
from crypto.errors import KeyFileError
from crypto.errors import KeyNotFoundError
from crypto.errors import KeyStateError
from crypto.errors import KeyUnwrapError
from crypto.keyring import KeyRing
from crypto.keys import KdfParams
from crypto.keys import KeyEncryptionKey

CONTEXT = b"messages.body\x00conv=42\x00seq=7"


def test_it_creates_a_keystore_with_one_active_key(keyring: KeyRing, algorithm: Algorithm) -> None:
    assert keyring.algorithm is algorithm
    assert keyring.current_key_id == 1
    assert keyring.key_ids == (1,)
    assert stat.S_IMODE(keyring.path.stat().st_mode) == 0o600
    [entry] = keyring.describe()
    assert entry["id"] == 1 and entry["status"] == "active" and entry["current"]
    assert entry["algorithm"] == algorithm.label and entry["created_at"].endswith("Z")


def test_it_encrypts_and_decrypts(keyring: KeyRing) -> None:
    sealed = keyring.encrypt(b"hello", context=CONTEXT)
    assert keyring.decrypt(sealed, context=CONTEXT) == b"hello"
    with pytest.raises(AuthenticationError):
        keyring.decrypt(sealed, context=b"messages.body\x00conv=42\x00seq=8")


def test_it_refuses_to_overwrite_a_keystore(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    before = keyring.path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        KeyRing.create(keyring.path, kek)
    assert keyring.path.read_bytes() == before


def test_it_loads_what_it_created(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    sealed = keyring.encrypt(b"hello", context=CONTEXT)
    loaded = KeyRing.load(keyring.path, kek)
    assert loaded.decrypt(sealed, context=CONTEXT) == b"hello"
    index = keyring.blind_index().compute("13800000000", field="phone")
    assert loaded.blind_index().compute("13800000000", field="phone") == index


def test_it_refuses_a_wrong_kek(keyring: KeyRing) -> None:
    with pytest.raises(KeyUnwrapError):
        KeyRing.load(keyring.path, KeyEncryptionKey.generate())


def test_it_refuses_a_missing_or_corrupt_keystore(tmp_path: Path, kek: KeyEncryptionKey) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        KeyRing.load(tmp_path / "none.json", kek)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    bad.chmod(0o600)
    with pytest.raises(KeyFileError, match="malformed"):
        KeyRing.load(bad, kek)


def test_it_refuses_a_keystore_with_a_swapped_wrapped_key(
    tmp_path: Path, kek: KeyEncryptionKey
) -> None:
    ring = KeyRing.create(tmp_path / "ks.json", kek)
    ring.rotate()
    document = json.loads(ring.path.read_text())
    keys = document["data_keys"]
    keys[0]["wrapped"], keys[1]["wrapped"] = keys[1]["wrapped"], keys[0]["wrapped"]
    ring.path.write_text(json.dumps(document))
    with pytest.raises(KeyUnwrapError):
        KeyRing.load(ring.path, kek)


def test_it_refuses_a_keystore_others_can_read(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    keyring.path.chmod(0o644)
    with pytest.raises(KeyFileError, match="group or others"):
        KeyRing.load(keyring.path, kek)


def test_it_rotates_and_still_decrypts_old_envelopes(
    keyring: KeyRing, kek: KeyEncryptionKey
) -> None:
    old = keyring.encrypt(b"old", context=CONTEXT)
    assert keyring.rotate() == 2
    new = keyring.encrypt(b"new", context=CONTEXT)
    assert envelope.parse_header(new).key_id == 2
    assert keyring.decrypt(old, context=CONTEXT) == b"old"
    statuses = {d["id"]: d["status"] for d in keyring.describe()}
    assert statuses == {1: "retired", 2: "active"}
    reloaded = KeyRing.load(keyring.path, kek)
    assert reloaded.current_key_id == 2
    assert reloaded.decrypt(old, context=CONTEXT) == b"old"
    assert reloaded.decrypt(new, context=CONTEXT) == b"new"


def test_it_rotates_to_another_algorithm(tmp_path: Path, kek: KeyEncryptionKey) -> None:
    ring = KeyRing.create(tmp_path / "ks.json", kek, Algorithm.SM4_GCM)
    old = ring.encrypt(b"old", context=CONTEXT)
    ring.rotate(Algorithm.AES_256_GCM)
    assert ring.algorithm is Algorithm.AES_256_GCM
    new = ring.encrypt(b"new", context=CONTEXT)
    assert envelope.parse_header(new).algorithm is Algorithm.AES_256_GCM
    assert ring.decrypt(old, context=CONTEXT) == b"old"


def test_it_reencrypts_under_the_current_key(keyring: KeyRing) -> None:
    old = keyring.encrypt(b"body", context=CONTEXT)
    assert not keyring.needs_reencrypt(old)
    assert keyring.reencrypt(old, context=CONTEXT) is old
    keyring.rotate()
    assert keyring.needs_reencrypt(old)
    fresh = keyring.reencrypt(old, context=CONTEXT)
    assert envelope.parse_header(fresh).key_id == keyring.current_key_id
    assert keyring.decrypt(fresh, context=CONTEXT) == b"body"
    with pytest.raises(AuthenticationError):
        keyring.reencrypt(old, context=b"elsewhere")


def test_it_crypto_shreds_a_destroyed_key(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    old = keyring.encrypt(b"secret pii", context=CONTEXT)
    keyring.rotate()
    keyring.destroy(1)
    with pytest.raises(KeyDestroyedError):
        keyring.decrypt(old, context=CONTEXT)
    reloaded = KeyRing.load(keyring.path, kek)
    with pytest.raises(KeyDestroyedError):
        reloaded.decrypt(old, context=CONTEXT)
    document = json.loads(keyring.path.read_text())
    [tombstone] = [k for k in document["data_keys"] if k["id"] == 1]
    assert tombstone["status"] == "destroyed" and tombstone["wrapped"] is None
    assert tombstone["destroyed_at"].endswith("Z")
    keyring.destroy(1)  # idempotent


def test_it_refuses_to_destroy_the_current_or_an_unknown_key(keyring: KeyRing) -> None:
    with pytest.raises(KeyStateError):
        keyring.destroy(keyring.current_key_id)
    with pytest.raises(KeyNotFoundError):
        keyring.destroy(99)


def test_it_says_key_not_found_for_an_unknown_id(keyring: KeyRing) -> None:
    sealed = bytearray(keyring.encrypt(b"x", context=CONTEXT))
    sealed[2:6] = (1234).to_bytes(4, "big")
    with pytest.raises(KeyNotFoundError):
        keyring.decrypt(bytes(sealed), context=CONTEXT)


def test_it_picks_up_another_processs_rotation(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    other_process = KeyRing.load(keyring.path, kek)
    other_process.rotate()
    sealed = other_process.encrypt(b"from the other node", context=CONTEXT)
    assert keyring.current_key_id == 1
    assert keyring.decrypt(sealed, context=CONTEXT) == b"from the other node"
    assert keyring.current_key_id == 2


def test_it_keeps_both_processes_rotations(keyring: KeyRing, kek: KeyEncryptionKey) -> None:
    other_process = KeyRing.load(keyring.path, kek)
    assert keyring.rotate() == 2
    assert other_process.rotate() == 3
    assert KeyRing.load(keyring.path, kek).key_ids == (1, 2, 3)


def test_it_rejects_tampering_through_the_keyring(keyring: KeyRing) -> None:
    sealed = keyring.encrypt(b"short", context=CONTEXT)
    for bit in range(len(sealed) * 8):
        flipped = bytearray(sealed)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises((EnvelopeError, AuthenticationError, KeyNotFoundError)):
            keyring.decrypt(bytes(flipped), context=CONTEXT)


def test_it_works_with_a_passphrase_kek(tmp_path: Path) -> None:
    params = KdfParams(memory_cost=1024, iterations=1, lanes=1)
    kek = KeyEncryptionKey.from_passphrase("行长的口令 passphrase", params)
    ring = KeyRing.create(tmp_path / "ks.json", kek, kdf=params)
    sealed = ring.encrypt(b"x", context=CONTEXT)
    stored = KeyRing.kdf_params(ring.path)
    assert stored == params
    again = KeyEncryptionKey.from_passphrase("行长的口令 passphrase", stored)
    assert KeyRing.load(ring.path, again).decrypt(sealed, context=CONTEXT) == b"x"
    with pytest.raises(KeyUnwrapError):
        KeyRing.load(ring.path, KeyEncryptionKey.from_passphrase("wrong", stored))


def test_it_uses_the_injected_clock(tmp_path: Path, kek: KeyEncryptionKey) -> None:
    ring = KeyRing.create(
        tmp_path / "ks.json", kek, clock=lambda: datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    assert ring.describe()[0]["created_at"] == "2025-01-02T03:04:05Z"


def test_it_is_safe_under_concurrent_use(keyring: KeyRing) -> None:
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                context = b"row=%d:%d" % (n, i)
                sealed = keyring.encrypt(b"v%d" % i, context=context)
                assert keyring.decrypt(sealed, context=context) == b"v%d" % i
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    keyring.rotate()
    keyring.rotate()
    for thread in threads:
        thread.join()
    assert failures == []


def test_it_keeps_secrets_out_of_reprs_errors_logs_and_description(
    keyring: KeyRing, kek: KeyEncryptionKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("test")
    secrets = [kek._secret, keyring.blind_index()._key]
    secrets += [key.secret for key in keyring._snapshot.keys.values()]
    keyring.rotate()
    secrets += [key.secret for key in keyring._snapshot.keys.values()]
    texts = [repr(keyring), str(keyring), repr(kek), repr(keyring.blind_index())]
    texts.append(json.dumps(keyring.describe()))
    texts += [repr(key) for key in keyring._snapshot.keys.values()]
    sealed = keyring.encrypt(b"x", context=CONTEXT)
    attempts: list[Callable[[], object]] = [
        lambda: keyring.decrypt(sealed, context=b"other"),
        lambda: keyring.decrypt(sealed[:10], context=CONTEXT),
        lambda: keyring.destroy(keyring.current_key_id),
        lambda: KeyRing.load(keyring.path, KeyEncryptionKey.generate()),
        lambda: KeyRing.create(keyring.path, kek),
    ]
    for attempt in attempts:
        with pytest.raises(CryptoError) as info:
            attempt()
        log.exception("crypto failed")
        texts += [str(info.value), repr(info.value)]
    log.info("ring %s %r kek %s", keyring, keyring, kek)
    texts.append(caplog.text)
    for text in texts:
        for secret in secrets:
            assert secret.hex() not in text
            assert base64.b64encode(secret).decode() not in text
            assert repr(secret)[2:-1] not in text
