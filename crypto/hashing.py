"""Hashes, HMAC-SM3 and the blind index used to search encrypted fields.

SM3 is GB/T 32905; SHA-256 is FIPS 180-4. `hash_function` hands out the
fastest C-backed implementation present (measured in docs/crypto.md): the
bundled GmSSL of gmssl-pyx, else the system OpenSSL through hashlib (only if
the distro built it with SM3), else the OpenSSL bundled in `cryptography`,
which always has SM3. All three are cross-checked in the tests.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac

from crypto.errors import InvalidKeyError
from crypto.errors import UnsupportedAlgorithmError

HASH_NAMES = ("sm3", "sha256")
BLIND_INDEX_KEY_SIZE = 32


def _sm3_cryptography(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _sm3_hashlib(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def _pick_sm3() -> tuple[Callable[[bytes], bytes], str]:
    try:
        from gmssl_pyx import sm3_hash

        if sm3_hash(b"abc") == _sm3_cryptography(b"abc"):
            return sm3_hash, "gmssl-pyx"
    except ImportError:
        pass
    try:
        if _sm3_hashlib(b"abc") == _sm3_cryptography(b"abc"):
            return _sm3_hashlib, "hashlib"
    except ValueError:
        # hashlib raises ValueError when the system OpenSSL lacks SM3.
        pass
    return _sm3_cryptography, "cryptography"


_SM3, SM3_BACKEND = _pick_sm3()


def sm3(data: bytes) -> bytes:
    """Return the 32-byte SM3 digest of `data`."""
    return _SM3(data)


def sha256(data: bytes) -> bytes:
    """Return the 32-byte SHA-256 digest of `data`."""
    return hashlib.sha256(data).digest()


def hash_function(name: str) -> Callable[[bytes], bytes]:
    """Return the fastest implementation of the hash called `name` ("sm3" or "sha256").

    Raises UnsupportedAlgorithmError (a ValueError) for any other name.
    """
    if name == "sm3":
        return _SM3
    if name == "sha256":
        return sha256
    raise UnsupportedAlgorithmError(f"hash {name!r}; expected one of {', '.join(HASH_NAMES)}")


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """Return HMAC-SM3(key, data), 32 bytes (RFC 2104 over GB/T 32905)."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def normalize(value: str) -> bytes:
    """Normalise a searchable value before it is blind-indexed.

    NFKC folds full-width digits and letters (common in Chinese input methods)
    to their ASCII forms, strip drops surrounding whitespace, casefold makes
    e-mail addresses and names case-insensitive. Nothing else is removed, so
    "138-0000-0000" and "13800000000" index differently: callers that want
    looser matching must canonicalise the field (e.g. a phone number) first.
    """
    return unicodedata.normalize("NFKC", value).strip().casefold().encode("utf-8")


class BlindIndex:
    """Keyed, deterministic digests of field values, for equality search on encrypted data.

    compute(v, field=f) = HMAC-SM3(key, f || 0x00 || normalize(v)). The field
    name is part of the input so that equal values in two different fields
    (a phone number that is also a customer id) cannot be linked.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != BLIND_INDEX_KEY_SIZE:
            raise InvalidKeyError(f"blind-index key must be {BLIND_INDEX_KEY_SIZE} bytes")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "BlindIndex(key=<hidden>)"

    __str__ = __repr__

    def compute(self, value: str, *, field: str) -> bytes:
        """Return the 32-byte blind index of `value` in `field`."""
        if "\x00" in field:
            # The NUL separates field from value; allowing it in a field name
            # would let two different (field, value) pairs collide.
            raise ValueError("field name must not contain NUL")
        return hmac_sm3(self._key, field.encode("utf-8") + b"\x00" + normalize(value))
