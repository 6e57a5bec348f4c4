"""SM2 signatures (GB/T 32918.2) with SM3 and the standard Z value.

`cryptography` does not support the SM2 curve, so signing and verifying go
through gmssl-pyx (C, bundled GmSSL 3.2), and the pure-Python `gmssl` is used
only when gmssl-pyx cannot be imported; `SM2_BACKEND` names the one in use.
Signatures are DER SEQUENCE {r, s} over SM3(Z || message) with the default
user id "1234567812345678", exactly what `openssl dgst -sm3 -sigopt
distid:1234567812345678` produces and checks. Keys are written as PKCS#8 and
SubjectPublicKeyInfo with id-ecPublicKey + the SM2 curve OID, which OpenSSL 3
reads as SM2 keys.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from collections.abc import Iterator
from typing import NamedTuple
from typing import Protocol

from crypto import _der
from crypto.errors import InvalidKeyError
from crypto.errors import SignatureError

SM2_USER_ID = b"1234567812345678"
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"

# GB/T 32918.5 recommended curve parameters.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

_ALGORITHM_ID = _der.tlv(
    _der.SEQUENCE, _der.encode_oid(OID_EC_PUBLIC_KEY) + _der.encode_oid(OID_SM2)
)


class _Generate(Protocol):
    def __call__(self) -> tuple[bytes, bytes]: ...


class _Sign(Protocol):
    def __call__(self, private: bytes, public: bytes, message: bytes) -> bytes: ...


class _Verify(Protocol):
    def __call__(self, public: bytes, message: bytes, signature: bytes) -> bool: ...


class _Backend(NamedTuple):
    name: str
    generate: _Generate
    sign: _Sign
    verify: _Verify


def _load_pyx() -> _Backend:
    import gmssl_pyx

    def generate() -> tuple[bytes, bytes]:
        public, private = gmssl_pyx.sm2_key_generate()
        return bytes(private), bytes(public)

    def sign(private: bytes, public: bytes, message: bytes) -> bytes:
        return bytes(gmssl_pyx.sm2_sign(private, public, message, signer_id=SM2_USER_ID))

    def verify(public: bytes, message: bytes, signature: bytes) -> bool:
        try:
            with _silenced_stderr():
                return bool(gmssl_pyx.sm2_verify(public, message, signature, signer_id=SM2_USER_ID))
        except gmssl_pyx.GmsslInnerError:
            return False

    return _Backend("gmssl-pyx", generate, sign, verify)


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of one C call.

    GmSSL prints a trace line (`sm2_sign.c:265:sm2_fast_verify():`) to stderr on
    every failed verification, which operators would read as a crash in the
    self-test and in the audit verifier. The call never yields to another thread
    or greenlet, and the redirect costs a few microseconds beside ~450 µs of
    verification.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _pure_sm2(private: bytes | None, public: bytes) -> object:
    from gmssl import sm2 as pure

    engine = pure.CryptSM2(private_key=(private or b"").hex(), public_key="00")
    # CryptSM2 strips a "04" prefix with str.lstrip, which also eats leading
    # zero/four digits of X; setting the attribute directly avoids that bug.
    engine.public_key = public.hex()
    return engine


def _load_pure() -> _Backend:
    def generate() -> tuple[bytes, bytes]:
        d = secrets.randbelow(N - 2) + 1
        return d.to_bytes(32, "big"), public_from_private(d.to_bytes(32, "big"))

    def sign(private: bytes, public: bytes, message: bytes) -> bytes:
        engine = _pure_sm2(private, public)
        while True:
            # gmssl's own nonce comes from `random`, which is not a CSPRNG.
            k = secrets.randbelow(N - 1) + 1
            raw = engine.sign_with_sm3(message, f"{k:064x}")  # type: ignore[attr-defined]
            if raw:
                return _der.encode_signature(int(raw[:64], 16), int(raw[64:], 16))

    def verify(public: bytes, message: bytes, signature: bytes) -> bool:
        r, s = _der.decode_signature(signature)
        engine = _pure_sm2(None, public)
        return bool(engine.verify_with_sm3(f"{r:064x}{s:064x}", message))  # type: ignore[attr-defined]

    return _Backend("gmssl", generate, sign, verify)


def _select_backend() -> _Backend:
    try:
        return _load_pyx()
    except ImportError:
        return _load_pure()


_BACKEND = _select_backend()
SM2_BACKEND: str = _BACKEND.name


def _on_curve(x: int, y: int) -> bool:
    return x < P and y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _point_add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def public_from_private(private: bytes) -> bytes:
    """Return the 64-byte X||Y public key for a 32-byte private scalar.

    Plain double-and-add: used only when loading a key file that lacks its
    public part and by the pure-Python fallback, never on a hot path.
    """
    d = int.from_bytes(private, "big")
    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = (GX, GY)
    while d:
        if d & 1:
            result = _point_add(result, addend)
        addend = _point_add(addend, addend)
        d >>= 1
    assert result is not None
    return result[0].to_bytes(32, "big") + result[1].to_bytes(32, "big")


def check_public_key(raw: bytes) -> bytes:
    """Accept 0x04||X||Y (65 bytes) or X||Y (64); return X||Y after checking it is on the curve."""
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise InvalidKeyError("SM2 public key must be an uncompressed point")
    if not _on_curve(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")):
        raise InvalidKeyError("SM2 public key is not on the curve")
    return bytes(raw)


def spki_der(public: bytes) -> bytes:
    """Return the SubjectPublicKeyInfo DER of a 64-byte X||Y SM2 public key."""
    bits = _der.tlv(_der.BIT_STRING, b"\x00\x04" + public)
    return _der.tlv(_der.SEQUENCE, _ALGORITHM_ID + bits)


def pkcs8_der(private: bytes, public: bytes) -> bytes:
    """Return the PKCS#8 PrivateKeyInfo DER of an SM2 key pair (RFC 5208 + RFC 5915)."""
    ec_private_key = _der.tlv(
        _der.SEQUENCE,
        _der.encode_integer(1)
        + _der.tlv(_der.OCTET_STRING, private)
        + _der.tlv(_der.CONTEXT_1, _der.tlv(_der.BIT_STRING, b"\x00\x04" + public)),
    )
    return _der.tlv(
        _der.SEQUENCE,
        _der.encode_integer(0) + _ALGORITHM_ID + _der.tlv(_der.OCTET_STRING, ec_private_key),
    )


def parse_ec_private_key(der: bytes) -> tuple[bytes, bytes]:
    """Parse an RFC 5915 ECPrivateKey on the SM2 curve; return (private, public X||Y)."""
    children = _der.read_children(_der.read_single(der, _der.SEQUENCE))
    if len(children) < 2 or children[0] != (_der.INTEGER, b"\x01"):
        raise InvalidKeyError("not an EC private key")
    tag, scalar = children[1]
    if tag != _der.OCTET_STRING or not 0 < int.from_bytes(scalar, "big") < N:
        raise InvalidKeyError("SM2 private scalar out of range")
    private = int.from_bytes(scalar, "big").to_bytes(32, "big")
    public: bytes | None = None
    for tag, value in children[2:]:
        if tag == _der.CONTEXT_0 and _der.decode_oid(_der.read_single(value, _der.OID)) != OID_SM2:
            raise InvalidKeyError("EC key is not on the SM2 curve")
        if tag == _der.CONTEXT_1:
            bits = _der.read_single(value, _der.BIT_STRING)
            public = check_public_key(bits[1:])
    derived = public_from_private(private)
    if public is not None and public != derived:
        raise InvalidKeyError("SM2 public key does not match the private key")
    return private, derived


class SM2Verifier:
    """Verifies SM2-with-SM3 signatures for one public key."""

    algorithm = "sm2"
    __slots__ = ("_public",)

    def __init__(self, public: bytes) -> None:
        self._public = check_public_key(public)

    def __repr__(self) -> str:
        return f"SM2Verifier(key_id={self.key_id()!r})"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if `signature` is a valid SM2 signature of `message`; raise SignatureError."""
        try:
            r, s = _der.decode_signature(signature)
        except _der.DerError:
            raise SignatureError("malformed SM2 signature") from None
        # Only the canonical encoding of an in-range (r, s) is accepted, so a
        # signature cannot be re-encoded into a second valid byte string.
        if not (0 < r < N and 0 < s < N) or _der.encode_signature(r, s) != signature:
            raise SignatureError("malformed SM2 signature")
        if not _BACKEND.verify(self._public, message, signature):
            raise SignatureError()

    def public_key_raw(self) -> bytes:
        """Return the uncompressed point 0x04||X||Y (65 bytes)."""
        return b"\x04" + self._public

    def public_key_der(self) -> bytes:
        """Return the SubjectPublicKeyInfo DER."""
        return spki_der(self._public)

    def public_key_pem(self) -> bytes:
        """Return the SubjectPublicKeyInfo PEM (`openssl pkey -pubin` reads it)."""
        return _der.pem_encode(self.public_key_der(), "PUBLIC KEY")

    def key_id(self) -> str:
        """Return the first 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo."""
        return hashlib.sha256(self.public_key_der()).hexdigest()[:16]


class SM2Signer:
    """Signs with one SM2 private key; the key never appears in repr or str."""

    algorithm = "sm2"
    __slots__ = ("_private", "_verifier")

    def __init__(self, private: bytes, public: bytes | None = None) -> None:
        if len(private) != 32 or not 0 < int.from_bytes(private, "big") < N - 1:
            raise InvalidKeyError("SM2 private key must be a 32-byte scalar in range")
        derived = public_from_private(private) if public is None else check_public_key(public)
        self._private = bytes(private)
        self._verifier = SM2Verifier(derived)

    @classmethod
    def generate(cls) -> SM2Signer:
        """Return a signer with a fresh key pair from the active backend's CSPRNG."""
        private, public = _BACKEND.generate()
        return cls(private, public)

    def __repr__(self) -> str:
        return f"SM2Signer(key_id={self._verifier.key_id()!r}, backend={SM2_BACKEND!r})"

    __str__ = __repr__

    def sign(self, message: bytes) -> bytes:
        """Return the DER SM2 signature of SM3(Z || message)."""
        return _BACKEND.sign(self._private, self._verifier._public, message)

    def verifier(self) -> SM2Verifier:
        """Return the verifier for this signer's public key."""
        return self._verifier

    def private_key_pem(self) -> bytes:
        """Return the PKCS#8 PEM that `openssl pkey` reads."""
        return _der.pem_encode(pkcs8_der(self._private, self._verifier._public), "PRIVATE KEY")
