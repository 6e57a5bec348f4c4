"""Known-answer self-tests, run at start-up and by `enclave keys selftest`.

Each test is isolated: an exception in one is recorded as a failure and the
others still run, so an operator sees every broken primitive at once (a
GM/T 0054 assessment expects start-up self-tests of the algorithms in use).
Vectors come from the standards named beside each one, except the SM2
signature, which was made once with stock OpenSSL 3.0 (SM2 signing is
randomised, so the standard's example cannot be reproduced, only verified).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers import modes

from crypto import envelope
from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.aead import new_cipher
from crypto.ed25519 import Ed25519Signer
from crypto.errors import SignatureError
from crypto.hashing import hmac_sm3
from crypto.hashing import sm3
from crypto.keys import DataKey
from crypto.sm2 import SM2Signer
from crypto.sm2 import SM2Verifier


@dataclass(frozen=True, slots=True)
class SelfTestResult:
    """The outcome of one known-answer test."""

    name: str
    passed: bool
    detail: str


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


def _expect(got: bytes, want: bytes) -> None:
    # Not `assert`: `python -O` strips asserts, and a self-test must still test.
    if got != want:
        raise AssertionError("wrong answer")


def _sm4_block() -> None:
    # GB/T 32907-2016 Appendix A, example 1.
    key = _h("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - one block KAT
    _expect(encryptor.update(key) + encryptor.finalize(), _h("681edf34d206965e86b3e94f536e4246"))


def _sm3() -> None:
    # GB/T 32905-2016 Appendix A, example 1.
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    _expect(sm3(b"abc"), _h(expected))


def _sm4_gcm() -> None:
    # RFC 8998 Appendix A.1.
    cipher = new_cipher(Algorithm.SM4_GCM, _h("0123456789abcdeffedcba9876543210"))
    plaintext = _h(
        "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
        "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
    )
    sealed = cipher.encrypt(
        _h("00001234567800000000abcd"), plaintext, _h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    )
    _expect(
        sealed,
        _h(
            "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
            "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
            "83de3541e4c2b58177e065a9bf7b62ec"
        ),
    )


def _aes_256_gcm() -> None:
    # NIST CAVP gcmEncryptExtIV256.rsp, [PTlen = 128][AADlen = 128][Taglen = 128], Count = 0.
    cipher = new_cipher(
        Algorithm.AES_256_GCM,
        _h("92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b"),
    )
    sealed = cipher.encrypt(
        _h("ac93a1a6145299bde902f21a"),
        _h("2d71bcfa914e4ac045b2aa60955fad24"),
        _h("1e0889016f67601c8ebea4943bc23ad6"),
    )
    _expect(sealed, _h("8995ae2e6df3dbf96fac7b7137bae67feca5aa77d51d4a0a14d9c51e1da474ab"))


def _hmac_sm3() -> None:
    # GM/T 0042-2015 Appendix D.3, case 1 (as carried in OpenSSL's evpmac_sm.txt).
    message = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" * 2
    expected = "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a"
    _expect(hmac_sm3(bytes(range(1, 33)), message), _h(expected))


def _ed25519() -> None:
    # RFC 8032 section 7.1, TEST 2.
    signer = Ed25519Signer.from_seed(
        _h("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    )
    _expect(
        signer.sign(b"\x72"),
        _h(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    )


SM2_KAT_PUBLIC = _h(
    "0435095929e4211d0f809936decf61104050b50f8456303c0d15aeae93437a276a"
    "8038eed454211bb62cb7ca7a3792fdd8529f89e76cfaf2b8eb64da1715820ffe"
)
SM2_KAT_MESSAGE = b"Enclave Desk SM2 known-answer message"
SM2_KAT_SIGNATURE = _h(
    "3045022100c3a68a8ceef0c0d22eccb9d8950e491aed7eb787d73063facf0fd4b973a17e3c"
    "02207f4e5fe3a40cd47c63aa3a687bee4fd30735b973f913a7e0accc561189ffc579"
)


def _sm2_known_signature() -> None:
    verifier = SM2Verifier(SM2_KAT_PUBLIC)
    verifier.verify(SM2_KAT_MESSAGE, SM2_KAT_SIGNATURE)
    try:
        verifier.verify(SM2_KAT_MESSAGE + b"!", SM2_KAT_SIGNATURE)
    except SignatureError:
        return
    raise AssertionError("a modified message verified")


def _sm2_round_trip() -> None:
    signer = SM2Signer.generate()
    signer.verifier().verify(b"self-test", signer.sign(b"self-test"))


def _envelope(algorithm: Algorithm) -> Callable[[], None]:
    def check() -> None:
        key = DataKey(7, algorithm, generate_key(algorithm))
        sealed = envelope.seal(key, b"self-test", context=b"selftest\x00row=1")
        _expect(envelope.open_(lambda _: key, sealed, context=b"selftest\x00row=1"), b"self-test")

    return check


CHECKS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("sm4-block (GB/T 32907)", _sm4_block),
    ("sm3 (GB/T 32905)", _sm3),
    ("sm4-gcm (RFC 8998 A.1)", _sm4_gcm),
    ("aes-256-gcm (NIST CAVP)", _aes_256_gcm),
    ("hmac-sm3 (GM/T 0042 D.3)", _hmac_sm3),
    ("ed25519 (RFC 8032 7.1 TEST 2)", _ed25519),
    ("sm2 verify (OpenSSL-made signature)", _sm2_known_signature),
    ("sm2 sign/verify round trip", _sm2_round_trip),
    ("envelope sm4-gcm round trip", _envelope(Algorithm.SM4_GCM)),
    ("envelope aes-256-gcm round trip", _envelope(Algorithm.AES_256_GCM)),
)


def run_selftest() -> list[SelfTestResult]:
    """Run every known-answer test; never raises."""
    results = []
    for name, check in CHECKS:
        try:
            check()
        except AssertionError as exc:
            results.append(SelfTestResult(name, False, str(exc) or "wrong answer"))
        except Exception as exc:  # one broken primitive must not hide the rest
            results.append(SelfTestResult(name, False, f"{type(exc).__name__}: {exc}"))
        else:
            results.append(SelfTestResult(name, True, "ok"))
    return results


def selftest_passed(results: list[SelfTestResult]) -> bool:
    """True when there is at least one result and every one passed."""
    return bool(results) and all(result.passed for result in results)
