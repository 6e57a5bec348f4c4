import logging
import subprocess
from pathlib import Path

import pytest

from crypto import signing
from crypto.errors import KeyFileError
from crypto.errors import SignatureError
from crypto.errors import UnsupportedAlgorithmError
from tests.support import require_executable

ALGORITHMS = signing.SIGNATURE_ALGORITHMS
MESSAGE = b"checkpoint 42: tree head 9f86d081884c7d65"


@pytest.fixture(params=ALGORITHMS)
def signer(request: pytest.FixtureRequest) -> signing.Signer:
    return signing.generate_signer(request.param)


def _openssl_verify(tmp_path: Path, algorithm: str, pub: bytes, message: bytes, sig: bytes) -> str:
    openssl = require_executable("openssl")
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(sig)
    if algorithm == "sm2":
        args = ["dgst", "-sm3", "-verify", "pub.pem", "-sigopt", "distid:1234567812345678"]
        args += ["-signature", "sig", "msg"]
    else:
        args = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin"]
        args += ["-in", "msg", "-sigfile", "sig"]
    done = subprocess.run([openssl, *args], cwd=tmp_path, capture_output=True, text=True)
    return done.stdout + done.stderr


def _openssl_genpkey(tmp_path: Path, algorithm: str) -> bytes:
    openssl = require_executable("openssl")
    name = {"sm2": "SM2", "ed25519": "ED25519"}[algorithm]
    key = tmp_path / "key.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", name, "-out", str(key)], check=True)
    return key.read_bytes()


def test_it_signs_and_verifies(signer: signing.Signer) -> None:
    signature = signer.sign(MESSAGE)
    signer.verifier().verify(MESSAGE, signature)
    assert signer.verifier().algorithm == signer.algorithm


def test_it_refuses_a_modified_message(signer: signing.Signer) -> None:
    signature = signer.sign(MESSAGE)
    with pytest.raises(SignatureError):
        signer.verifier().verify(MESSAGE + b".", signature)


def test_it_refuses_another_keys_signature(signer: signing.Signer) -> None:
    other = signing.generate_signer(signer.algorithm)
    with pytest.raises(SignatureError):
        signer.verifier().verify(MESSAGE, other.sign(MESSAGE))


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\x30\x00", b"x" * 64, b"\x30\x45" + b"\x00" * 70])
def test_it_refuses_malformed_signatures(signer: signing.Signer, bad: bytes) -> None:
    with pytest.raises(SignatureError):
        signer.verifier().verify(MESSAGE, bad)


def test_it_refuses_every_single_byte_change_of_a_signature(signer: signing.Signer) -> None:
    signature = signer.sign(MESSAGE)
    for i in range(len(signature)):
        changed = bytearray(signature)
        changed[i] ^= 0x01
        with pytest.raises(SignatureError):
            signer.verifier().verify(MESSAGE, bytes(changed))


def test_it_exports_raw_public_keys_of_the_documented_size(signer: signing.Signer) -> None:
    raw = signer.verifier().public_key_raw()
    if signer.algorithm == "sm2":
        assert len(raw) == 65 and raw[0] == 4
    else:
        assert len(raw) == 32


def test_it_derives_key_ids_from_the_spki(signer: signing.Signer) -> None:
    verifier = signer.verifier()
    key_id = verifier.key_id()
    assert len(key_id) == 16 and int(key_id, 16) >= 0
    assert signing.load_verifier_pem(verifier.public_key_pem()).key_id() == key_id
    assert key_id != signing.generate_signer(signer.algorithm).verifier().key_id()


def test_it_round_trips_keys_through_pem(signer: signing.Signer) -> None:
    loaded = signing.load_signer_pem(signer.private_key_pem())
    assert loaded.algorithm == signer.algorithm
    assert loaded.private_key_pem() == signer.private_key_pem()
    verifier = signing.load_verifier_pem(signer.verifier().public_key_pem())
    verifier.verify(MESSAGE, loaded.sign(MESSAGE))


def test_it_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        signing.generate_signer("rsa")


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"not a pem",
        b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
    ],
)
def test_it_refuses_malformed_key_pems(pem: bytes) -> None:
    with pytest.raises(KeyFileError):
        signing.load_signer_pem(pem)
    with pytest.raises(KeyFileError):
        signing.load_verifier_pem(pem.replace(b"PRIVATE", b"PUBLIC"))


def test_it_refuses_a_key_of_another_algorithm() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(UnsupportedAlgorithmError):
        signing.load_signer_pem(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(UnsupportedAlgorithmError):
        signing.load_verifier_pem(public)


def test_it_keeps_private_keys_out_of_repr_errors_and_logs(
    signer: signing.Signer, caplog: pytest.LogCaptureFixture
) -> None:
    pem = signer.private_key_pem()
    body = b"".join(pem.splitlines()[1:-1]).decode()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("signer %s %r", signer, signer)
    broken = pem.replace(body[10:20].encode(), b"A" * 10)
    try:
        signing.load_signer_pem(broken[:-40])
    except KeyFileError as exc:
        logging.getLogger("test").exception("load failed")
        message = str(exc)
    else:
        message = ""
    for text in (repr(signer), str(signer), repr(signer.verifier()), caplog.text, message):
        assert body[:24] not in text
        assert body[-24:] not in text


def test_it_is_verified_by_stock_openssl(signer: signing.Signer, tmp_path: Path) -> None:
    signature = signer.sign(MESSAGE)
    pub = signer.verifier().public_key_pem()
    out = _openssl_verify(tmp_path, signer.algorithm, pub, MESSAGE, signature)
    assert "Verified" in out and "Failure" not in out
    out = _openssl_verify(tmp_path, signer.algorithm, pub, MESSAGE + b"!", signature)
    assert "Verified" not in out


def test_it_writes_keys_stock_openssl_reads(signer: signing.Signer, tmp_path: Path) -> None:
    openssl = require_executable("openssl")
    (tmp_path / "key.pem").write_bytes(signer.private_key_pem())
    (tmp_path / "pub.pem").write_bytes(signer.verifier().public_key_pem())
    derived = subprocess.run(
        [openssl, "pkey", "-in", "key.pem", "-pubout"], cwd=tmp_path, capture_output=True
    )
    assert derived.stdout == signer.verifier().public_key_pem()
    reread = subprocess.run(
        [openssl, "pkey", "-pubin", "-in", "pub.pem"], cwd=tmp_path, capture_output=True
    )
    assert reread.stdout == signer.verifier().public_key_pem()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_it_loads_keys_made_by_openssl_genpkey(algorithm: str, tmp_path: Path) -> None:
    pem = _openssl_genpkey(tmp_path, algorithm)
    signer = signing.load_signer_pem(pem)
    assert signer.algorithm == algorithm
    assert signer.private_key_pem() == pem
    out = _openssl_verify(
        tmp_path, algorithm, signer.verifier().public_key_pem(), MESSAGE, signer.sign(MESSAGE)
    )
    assert "Verified" in out


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_it_verifies_signatures_made_by_openssl(algorithm: str, tmp_path: Path) -> None:
    openssl = require_executable("openssl")
    signer = signing.load_signer_pem(_openssl_genpkey(tmp_path, algorithm))
    (tmp_path / "msg").write_bytes(MESSAGE)
    if algorithm == "sm2":
        args = ["dgst", "-sm3", "-sign", "key.pem", "-sigopt", "distid:1234567812345678"]
        args += ["-out", "sig", "msg"]
    else:
        args = ["pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg", "-out", "sig"]
    subprocess.run([openssl, *args], cwd=tmp_path, check=True)
    signature = (tmp_path / "sig").read_bytes()
    signer.verifier().verify(MESSAGE, signature)
    with pytest.raises(SignatureError):
        signer.verifier().verify(MESSAGE[:-1], signature)
