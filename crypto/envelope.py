"""The versioned, self-describing envelope every encrypted value is stored in.

    byte 0       format version (0x01)
    byte 1       algorithm id (crypto.aead.Algorithm: 1 SM4-GCM, 2 AES-256-GCM)
    bytes 2..5   data key id, uint32 big-endian
    bytes 6..17  nonce (12 bytes)
    bytes 18..   ciphertext || 16-byte tag

The associated data is envelope[0:18] || context. Authenticating the header
stops an attacker relabelling the key or algorithm; `context` is not stored
but supplied by the caller to name where the value lives (table, column,
row), so a ciphertext copied to another row no longer opens.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from crypto.aead import NONCE_SIZE
from crypto.aead import TAG_SIZE
from crypto.aead import Algorithm
from crypto.aead import new_nonce
from crypto.errors import AuthenticationError
from crypto.errors import EnvelopeError
from crypto.keys import DataKey

VERSION = 1
_PREFIX = struct.Struct(">BBI")
HEADER_SIZE = _PREFIX.size + NONCE_SIZE
MIN_SIZE = HEADER_SIZE + TAG_SIZE
# A dict lookup, not Algorithm(id): calling an enum costs ~0.5 µs on the hot path.
_ALGORITHMS = {int(a): a for a in Algorithm}


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    """The clear-text part of an envelope."""

    version: int
    algorithm: Algorithm
    key_id: int


def seal(key: DataKey, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt `plaintext` under `key`, bound to `context`; return the envelope."""
    nonce = new_nonce()
    header = _PREFIX.pack(VERSION, key.algorithm, key.key_id) + nonce
    return header + key.cipher.encrypt(nonce, plaintext, header + context)


def _read_header(envelope: bytes) -> tuple[Algorithm, int]:
    if len(envelope) < MIN_SIZE:
        raise EnvelopeError(f"{len(envelope)} bytes is shorter than the minimum {MIN_SIZE}")
    version, algorithm_id, key_id = _PREFIX.unpack_from(envelope)
    if version != VERSION:
        raise EnvelopeError(f"unknown format version {version}")
    algorithm = _ALGORITHMS.get(algorithm_id)
    if algorithm is None:
        raise EnvelopeError(f"unknown algorithm id {algorithm_id}")
    return algorithm, key_id


def parse_header(envelope: bytes) -> EnvelopeHeader:
    """Read and check the header; raise EnvelopeError if it is truncated or unknown."""
    algorithm, key_id = _read_header(envelope)
    return EnvelopeHeader(VERSION, algorithm, key_id)


def open_(resolve: Callable[[int], DataKey], envelope: bytes, *, context: bytes) -> bytes:
    """Decrypt an envelope with the key `resolve` returns for its key id.

    Raises EnvelopeError (malformed), AuthenticationError (wrong key, wrong
    context, tampered) or whatever typed error `resolve` raises for a key it
    cannot supply (KeyNotFoundError, KeyDestroyedError).
    """
    algorithm, key_id = _read_header(envelope)
    key = resolve(key_id)
    if key.algorithm is not algorithm:
        # A flipped algorithm byte, or a resolver handing back the wrong key.
        raise AuthenticationError("envelope algorithm does not match its key")
    nonce = envelope[_PREFIX.size : HEADER_SIZE]
    return key.cipher.decrypt(nonce, envelope[HEADER_SIZE:], envelope[:HEADER_SIZE] + context)
