"""Keys: data keys that encrypt values, and the key-encryption key (KEK) that wraps them.

The KEK is 32 bytes, read from a 0600 key file or derived from a passphrase
with Argon2id (RFC 9106). It never encrypts data itself: `wrap`/`unwrap`
first derive a wrapping key from it with HKDF (HKDF-SM3 for SM4-GCM wrapping,
HKDF-SHA256 for AES-256-GCM), so one KEK can serve either algorithm and the
raw KEK is used for exactly one purpose. Secret bytes never appear in repr.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto._fs import fsync_dir
from crypto.aead import NONCE_SIZE
from crypto.aead import AeadCipher
from crypto.aead import Algorithm
from crypto.aead import new_cipher
from crypto.aead import new_nonce
from crypto.errors import AuthenticationError
from crypto.errors import InvalidKeyError
from crypto.errors import KeyFileError
from crypto.errors import KeyUnwrapError

KEK_SIZE = 32
_MAX_KEY_ID = 2**32 - 1


@dataclass(frozen=True, slots=True, eq=False)
class DataKey:
    """One data key: the id stored in envelopes, its algorithm, and the secret (hidden)."""

    key_id: int
    algorithm: Algorithm
    secret: bytes = field(repr=False)
    cipher: AeadCipher = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.key_id <= _MAX_KEY_ID:
            raise InvalidKeyError("key id must fit in 32 bits")
        # The cipher is built once per key: it is most of the per-message cost otherwise.
        object.__setattr__(self, "cipher", new_cipher(self.algorithm, self.secret))

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id}, algorithm={self.algorithm.label!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id parameters for deriving a KEK from a passphrase (stored beside the keystore).

    Defaults follow RFC 9106's second recommended option scaled to a server:
    64 MiB, 3 passes, 4 lanes (~0.1 s on the reference VM).
    """

    salt: bytes = field(default_factory=lambda: os.urandom(16))
    memory_cost: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def to_json(self) -> str:
        """Serialise to a JSON object (the salt is not secret, but is base64)."""
        return json.dumps(
            {
                "kdf": "argon2id",
                "salt": base64.b64encode(self.salt).decode("ascii"),
                "memory_cost_kib": self.memory_cost,
                "iterations": self.iterations,
                "lanes": self.lanes,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        """Parse what `to_json` wrote; raise KeyFileError if it is malformed."""
        try:
            data = json.loads(text)
            if data["kdf"] != "argon2id":
                raise ValueError("not argon2id")
            return cls(
                salt=base64.b64decode(data["salt"], validate=True),
                memory_cost=int(data["memory_cost_kib"]),
                iterations=int(data["iterations"]),
                lanes=int(data["lanes"]),
            )
        except (ValueError, KeyError, TypeError):
            raise KeyFileError("malformed KDF parameters") from None


class KeyEncryptionKey:
    """The 32-byte root key that wraps every data key and the blind-index key."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEK_SIZE:
            raise InvalidKeyError(f"key-encryption key must be {KEK_SIZE} bytes")
        self._secret = bytes(secret)

    def __repr__(self) -> str:
        return "KeyEncryptionKey(<hidden>)"

    __str__ = __repr__

    @classmethod
    def generate(cls) -> KeyEncryptionKey:
        """Return a fresh random KEK."""
        return cls(os.urandom(KEK_SIZE))

    @classmethod
    def from_passphrase(cls, passphrase: str, params: KdfParams) -> KeyEncryptionKey:
        """Derive the KEK from `passphrase` with Argon2id and `params`."""
        kdf = Argon2id(
            salt=params.salt,
            length=KEK_SIZE,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_cost,
        )
        return cls(kdf.derive(passphrase.encode("utf-8")))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> KeyEncryptionKey:
        """Read a KEK file: exactly 32 raw bytes, owner-only permissions (no group/other bits)."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise KeyFileError(f"{os.fspath(path)} does not exist") from None
        except OSError as exc:
            raise KeyFileError(f"{os.fspath(path)}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_IMODE(mode) & 0o077:
                raise KeyFileError(
                    f"{os.fspath(path)} is accessible to group or others "
                    f"(mode {stat.S_IMODE(mode):04o}); chmod 600 it"
                )
            secret = handle.read(KEK_SIZE + 1)
        if len(secret) != KEK_SIZE:
            raise KeyFileError(f"{os.fspath(path)} must hold exactly {KEK_SIZE} bytes")
        return cls(secret)

    def write_file(self, path: str | os.PathLike[str]) -> None:
        """Write the KEK to a new file with mode 0600; refuse to overwrite an existing one."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(f"{os.fspath(path)} already exists; refusing to overwrite") from None
        except OSError as exc:
            raise KeyFileError(f"{os.fspath(path)}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # the umask cannot loosen 0600, but be explicit
            handle.write(self._secret)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(Path(path).parent)

    def wrap(self, algorithm: Algorithm, secret: bytes, *, aad: bytes) -> bytes:
        """Encrypt `secret` under this KEK with `algorithm`; return nonce || ciphertext || tag."""
        nonce = new_nonce()
        return nonce + self._wrapping_cipher(algorithm).encrypt(nonce, secret, aad)

    def unwrap(self, algorithm: Algorithm, wrapped: bytes, *, aad: bytes) -> bytes:
        """Reverse `wrap`; raise KeyUnwrapError for a wrong KEK, wrong `aad` or corruption."""
        try:
            cipher = self._wrapping_cipher(algorithm)
            return cipher.decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], aad)
        except (AuthenticationError, ValueError):
            raise KeyUnwrapError() from None

    def _wrapping_cipher(self, algorithm: Algorithm) -> AeadCipher:
        digest: hashes.HashAlgorithm = (
            hashes.SM3() if algorithm is Algorithm.SM4_GCM else hashes.SHA256()
        )
        info = b"enclave-desk kek wrapping key " + algorithm.label.encode("ascii")
        hkdf = HKDF(algorithm=digest, length=algorithm.key_size, salt=None, info=info)
        return new_cipher(algorithm, hkdf.derive(self._secret))
