"""Ed25519 signatures (RFC 8032) through `cryptography`.

Signatures are the raw 64 bytes; `openssl pkeyutl -verify -rawin` checks them.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from crypto.errors import SignatureError

SIGNATURE_SIZE = 64


class Ed25519Verifier:
    """Verifies Ed25519 signatures for one public key."""

    algorithm = "ed25519"
    __slots__ = ("_key",)

    def __init__(self, key: ed25519.Ed25519PublicKey) -> None:
        self._key = key

    @classmethod
    def from_raw(cls, raw: bytes) -> Ed25519Verifier:
        """Return the verifier for a 32-byte raw public key."""
        return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))

    def __repr__(self) -> str:
        return f"Ed25519Verifier(key_id={self.key_id()!r})"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if `signature` is a valid Ed25519 signature of `message`; raise SignatureError."""
        if len(signature) != SIGNATURE_SIZE:
            raise SignatureError("Ed25519 signature must be 64 bytes")
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            raise SignatureError() from None

    def public_key_raw(self) -> bytes:
        """Return the 32-byte raw public key."""
        return self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def public_key_der(self) -> bytes:
        """Return the SubjectPublicKeyInfo DER."""
        return self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_key_pem(self) -> bytes:
        """Return the SubjectPublicKeyInfo PEM (`openssl pkey -pubin` reads it)."""
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def key_id(self) -> str:
        """Return the first 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo."""
        return hashlib.sha256(self.public_key_der()).hexdigest()[:16]


class Ed25519Signer:
    """Signs with one Ed25519 private key; the key never appears in repr or str."""

    algorithm = "ed25519"
    __slots__ = ("_key", "_verifier")

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key
        self._verifier = Ed25519Verifier(key.public_key())

    @classmethod
    def generate(cls) -> Ed25519Signer:
        """Return a signer with a fresh key."""
        return cls(ed25519.Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Signer:
        """Return the signer for a 32-byte RFC 8032 private key (seed)."""
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed))

    def __repr__(self) -> str:
        return f"Ed25519Signer(key_id={self._verifier.key_id()!r})"

    __str__ = __repr__

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of `message`."""
        return self._key.sign(message)

    def verifier(self) -> Ed25519Verifier:
        """Return the verifier for this signer's public key."""
        return self._verifier

    def private_key_pem(self) -> bytes:
        """Return the unencrypted PKCS#8 PEM that `openssl pkey` reads."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
