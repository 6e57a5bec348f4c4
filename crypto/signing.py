"""One signer/verifier interface over SM2 (GB/T 32918) and Ed25519 (RFC 8032).

Callers (audit checkpoints, installer manifests) hold a `Signer` or a
`Verifier` and never need to know which algorithm is behind it: keys are
loaded from PEM and the algorithm is read from the key's OID. Every
verification failure, including a malformed signature, raises SignatureError.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from crypto import _der
from crypto import sm2
from crypto.ed25519 import Ed25519Signer
from crypto.ed25519 import Ed25519Verifier
from crypto.errors import InvalidKeyError
from crypto.errors import KeyFileError
from crypto.errors import UnsupportedAlgorithmError

SIGNATURE_ALGORITHMS = ("sm2", "ed25519")
SM2_BACKEND = sm2.SM2_BACKEND
OID_ED25519 = "1.3.101.112"


class Verifier(Protocol):
    """Checks signatures made by one key."""

    @property
    def algorithm(self) -> str:
        """ "sm2" or "ed25519"."""
        ...

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if valid; raise SignatureError on a mismatch or a malformed signature."""
        ...

    def public_key_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM, readable by `openssl pkey -pubin`."""
        ...

    def public_key_raw(self) -> bytes:
        """Ed25519: 32 bytes; SM2: 65 bytes 0x04||X||Y."""
        ...

    def key_id(self) -> str:
        """First 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo."""
        ...


class Signer(Protocol):
    """Signs with one private key."""

    @property
    def algorithm(self) -> str:
        """ "sm2" or "ed25519"."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the signature of `message` (SM2: DER r,s; Ed25519: 64 raw bytes)."""
        ...

    def verifier(self) -> Verifier:
        """Return the matching verifier."""
        ...

    def private_key_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM, readable by `openssl pkey`."""
        ...


def generate_signer(algorithm: str) -> Signer:
    """Return a signer with a fresh key for `algorithm` ("sm2" or "ed25519")."""
    if algorithm == "sm2":
        return sm2.SM2Signer.generate()
    if algorithm == "ed25519":
        return Ed25519Signer.generate()
    raise UnsupportedAlgorithmError(f"signature algorithm {algorithm!r}")


def _algorithm_identifier(value: bytes) -> str:
    """Name the signature algorithm of an AlgorithmIdentifier's content octets."""
    children = _der.read_children(value)
    if not children or children[0][0] != _der.OID:
        raise _der.DerError("bad AlgorithmIdentifier")
    oid = _der.decode_oid(children[0][1])
    if oid == OID_ED25519:
        return "ed25519"
    params = [_der.decode_oid(v) for tag, v in children[1:] if tag == _der.OID]
    # OpenSSL 3 writes id-ecPublicKey + SM2 curve; OpenSSL 1.1 could write the SM2 OID itself.
    if oid == sm2.OID_SM2 or (oid == sm2.OID_EC_PUBLIC_KEY and params == [sm2.OID_SM2]):
        return "sm2"
    raise UnsupportedAlgorithmError(f"key algorithm OID {oid}")


def load_signer_pem(data: bytes) -> Signer:
    """Load an unencrypted PKCS#8 ("PRIVATE KEY") or SM2 SEC1 ("EC PRIVATE KEY") PEM.

    Raises KeyFileError for anything malformed and UnsupportedAlgorithmError
    for a well-formed key of another algorithm.
    """
    try:
        label, der = _der.pem_decode(data)
        if label == "EC PRIVATE KEY":
            return sm2.SM2Signer(*sm2.parse_ec_private_key(der))
        if label != "PRIVATE KEY":
            raise KeyFileError(f"expected a PRIVATE KEY PEM block, got {label!r}")
        children = _der.read_children(_der.read_single(der, _der.SEQUENCE))
        if len(children) < 3 or children[1][0] != _der.SEQUENCE:
            raise KeyFileError("not a PKCS#8 private key")
        algorithm = _algorithm_identifier(children[1][1])
        if algorithm == "sm2":
            if children[2][0] != _der.OCTET_STRING:
                raise KeyFileError("not a PKCS#8 private key")
            return sm2.SM2Signer(*sm2.parse_ec_private_key(children[2][1]))
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise KeyFileError("Ed25519 OID with a non-Ed25519 key")
        return Ed25519Signer(key)
    except (_der.DerError, InvalidKeyError, ValueError, TypeError) as exc:
        if isinstance(exc, UnsupportedAlgorithmError):
            raise
        # `from None`: the underlying parser's message may quote key bytes.
        raise KeyFileError("malformed private key PEM") from None


def load_verifier_pem(data: bytes) -> Verifier:
    """Load a SubjectPublicKeyInfo ("PUBLIC KEY") PEM for SM2 or Ed25519.

    Raises KeyFileError for anything malformed and UnsupportedAlgorithmError
    for a well-formed key of another algorithm.
    """
    try:
        label, der = _der.pem_decode(data)
        if label != "PUBLIC KEY":
            raise KeyFileError(f"expected a PUBLIC KEY PEM block, got {label!r}")
        children = _der.read_children(_der.read_single(der, _der.SEQUENCE))
        if len(children) != 2 or children[0][0] != _der.SEQUENCE:
            raise KeyFileError("not a SubjectPublicKeyInfo")
        tag, bits = children[1]
        if tag != _der.BIT_STRING or not bits or bits[0] != 0:
            raise KeyFileError("not a SubjectPublicKeyInfo")
        if _algorithm_identifier(children[0][1]) == "sm2":
            return sm2.SM2Verifier(bits[1:])
        return Ed25519Verifier.from_raw(bits[1:])
    except (_der.DerError, InvalidKeyError, ValueError) as exc:
        if isinstance(exc, UnsupportedAlgorithmError):
            raise
        raise KeyFileError("malformed public key PEM") from None
