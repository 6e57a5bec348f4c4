import subprocess
from pathlib import Path

import pytest
from gmssl import sm2 as pure_sm2
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto import _der
from crypto import signing
from crypto import sm2
from crypto.errors import InvalidKeyError
from crypto.errors import KeyFileError
from crypto.errors import SignatureError
from tests.support import require_executable

# Made once with stock OpenSSL 3.0 (`openssl genpkey -algorithm SM2`, then
# `openssl dgst -sm3 -sign key.pem -sigopt distid:1234567812345678`).
OPENSSL_SPKI = bytes.fromhex(
    "3059301306072a8648ce3d020106082a811ccf5501822d0342000435095929e4211d0f809936decf"
    "61104050b50f8456303c0d15aeae93437a276a8038eed454211bb62cb7ca7a3792fdd8529f89e76c"
    "faf2b8eb64da1715820ffe"
)
OPENSSL_MESSAGE = b"Enclave Desk SM2 known-answer message"
OPENSSL_SIGNATURE = bytes.fromhex(
    "3045022100c3a68a8ceef0c0d22eccb9d8950e491aed7eb787d73063facf0fd4b973a17e3c02207f"
    "4e5fe3a40cd47c63aa3a687bee4fd30735b973f913a7e0accc561189ffc579"
)


def _pure_verify(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    r, s = _der.decode_signature(signature)
    engine = pure_sm2.CryptSM2(private_key="", public_key="00")
    engine.public_key = public_raw[1:].hex()  # bypass gmssl's lstrip("04") bug
    return bool(engine.verify_with_sm3(f"{r:064x}{s:064x}", message))


def test_it_names_the_c_backend() -> None:
    assert sm2.SM2_BACKEND == "gmssl-pyx"
    assert signing.SM2_BACKEND == sm2.SM2_BACKEND


def test_it_verifies_a_fixed_openssl_signature() -> None:
    verifier = sm2.SM2Verifier(OPENSSL_SPKI[-65:])
    assert verifier.public_key_der() == OPENSSL_SPKI
    verifier.verify(OPENSSL_MESSAGE, OPENSSL_SIGNATURE)
    with pytest.raises(SignatureError):
        verifier.verify(OPENSSL_MESSAGE + b"?", OPENSSL_SIGNATURE)


@settings(max_examples=10, deadline=None)
@given(st.binary(max_size=200))
def test_it_makes_signatures_pure_python_gmssl_accepts(message: bytes) -> None:
    signer = sm2.SM2Signer.generate()
    signature = signer.sign(message)
    assert _pure_verify(signer.verifier().public_key_raw(), message, signature)
    assert not _pure_verify(signer.verifier().public_key_raw(), message + b"x", signature)


def test_it_falls_back_to_pure_python_gmssl(monkeypatch: pytest.MonkeyPatch) -> None:
    c_signer = sm2.SM2Signer.generate()
    monkeypatch.setattr(sm2, "_BACKEND", sm2._load_pure())
    signer = sm2.SM2Signer.generate()
    signature = signer.sign(b"fallback")
    signer.verifier().verify(b"fallback", signature)
    with pytest.raises(SignatureError):
        signer.verifier().verify(b"fallbacks", signature)
    # The fallback reads the C backend's signatures and OpenSSL's ...
    c_signer.verifier().verify(b"c", c_signer.sign(b"c"))
    sm2.SM2Verifier(OPENSSL_SPKI[-65:]).verify(OPENSSL_MESSAGE, OPENSSL_SIGNATURE)
    # ... and the C backend reads the fallback's.
    monkeypatch.undo()
    signer.verifier().verify(b"fallback", signature)


def test_it_derives_the_public_key_like_the_c_backend() -> None:
    signer = sm2.SM2Signer.generate()
    pem = signer.private_key_pem()
    private, public = sm2.parse_ec_private_key(
        _der.read_children(_der.read_single(_der.pem_decode(pem)[1], _der.SEQUENCE))[2][1]
    )
    assert sm2.public_from_private(private) == public
    assert b"\x04" + public == signer.verifier().public_key_raw()


def test_it_refuses_non_canonical_der_signatures() -> None:
    signer = sm2.SM2Signer.generate()
    r, s = _der.decode_signature(signer.sign(b"m"))
    padded_r = _der.tlv(_der.INTEGER, b"\x00\x00" + r.to_bytes(32, "big"))
    variants = [
        _der.tlv(_der.SEQUENCE, padded_r + _der.encode_integer(s)),
        _der.encode_signature(r, s + sm2.N),
        _der.encode_signature(r, sm2.N - s) + b"\x00",
        _der.encode_signature(0, s),
        b"\x30\x81"
        + bytes([len(_der.encode_signature(r, s)) - 2])
        + _der.encode_signature(r, s)[2:],
    ]
    for variant in variants:
        with pytest.raises(SignatureError):
            signer.verifier().verify(b"m", variant)


def test_it_refuses_public_keys_off_the_curve() -> None:
    raw = bytearray(OPENSSL_SPKI[-65:])
    raw[-1] ^= 1
    with pytest.raises(InvalidKeyError):
        sm2.SM2Verifier(bytes(raw))
    with pytest.raises(InvalidKeyError):
        sm2.SM2Verifier(b"\x02" + bytes(raw[1:33]))


def test_it_refuses_private_keys_out_of_range() -> None:
    for bad in (b"\x00" * 32, (sm2.N - 1).to_bytes(32, "big"), b"\x01" * 31):
        with pytest.raises(InvalidKeyError):
            sm2.SM2Signer(bad)


def test_it_refuses_a_key_file_whose_public_part_does_not_match() -> None:
    one, two = sm2.SM2Signer.generate(), sm2.SM2Signer.generate()
    der = _der.pem_decode(one.private_key_pem())[1]
    swapped = der.replace(one.verifier().public_key_raw(), two.verifier().public_key_raw())
    with pytest.raises(KeyFileError):
        signing.load_signer_pem(_der.pem_encode(swapped, "PRIVATE KEY"))


def test_it_loads_sec1_sm2_keys_from_openssl_ecparam(tmp_path: Path) -> None:
    openssl = require_executable("openssl")
    done = subprocess.run(
        [openssl, "ecparam", "-name", "SM2", "-genkey", "-noout"], capture_output=True, check=True
    )
    signer = signing.load_signer_pem(done.stdout)
    assert signer.algorithm == "sm2"
    signer.verifier().verify(b"m", signer.sign(b"m"))
