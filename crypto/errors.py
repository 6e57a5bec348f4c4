"""The errors this library raises: one small, typed hierarchy.

Every error carries a stable `code` (for logs, HTTP answers and socket acks)
and a fixed, human-readable message. Messages are written here, not at the
raise site, so no caller can interpolate key material or plaintext into them:
the only free text an error may carry is a short, non-secret `detail` such as
a key id or a file path.
"""

from __future__ import annotations

from typing import ClassVar


class CryptoError(Exception):
    """Base class of every error raised by `crypto`."""

    code: ClassVar[str] = "crypto_error"
    message: ClassVar[str] = "cryptographic operation failed"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        text = self.message if detail is None else f"{self.message}: {detail}"
        super().__init__(text)


class UnsupportedAlgorithmError(CryptoError, ValueError):
    """An algorithm name or id this library does not implement."""

    code = "unsupported_algorithm"
    message = "unsupported algorithm"


class InvalidKeyError(CryptoError, ValueError):
    """Key material of the wrong size or shape was handed to a constructor."""

    code = "invalid_key"
    message = "invalid key material"


class EnvelopeError(CryptoError):
    """The envelope is malformed: truncated, unknown version or unknown algorithm."""

    code = "envelope_malformed"
    message = "malformed encrypted envelope"


class AuthenticationError(CryptoError):
    """The AEAD tag did not verify: wrong key, wrong context, or tampered data."""

    code = "authentication_failed"
    message = "ciphertext failed authentication (wrong key, wrong context or tampered)"


class KeyNotFoundError(CryptoError):
    """The envelope names a data key id that the keystore does not hold."""

    code = "key_not_found"
    message = "data key not found"


class KeyDestroyedError(CryptoError):
    """The data key was crypto-shredded; what it encrypted is unrecoverable."""

    code = "key_destroyed"
    message = "data key was destroyed"


class KeyUnwrapError(CryptoError):
    """A wrapped key did not unwrap: wrong key-encryption key or corrupt keystore."""

    code = "key_unwrap_failed"
    message = "could not unwrap key (wrong key-encryption key or corrupt keystore)"


class KeyFileError(CryptoError):
    """A key or keystore file is missing, malformed, unsafe or already exists."""

    code = "key_file"
    message = "key file problem"


class SignatureError(CryptoError):
    """A signature did not verify, or was malformed."""

    code = "signature_invalid"
    message = "signature verification failed"


class KeyStateError(CryptoError):
    """The operation is not allowed in the key's current state (e.g. destroying the current key)."""

    code = "key_state"
    message = "operation not allowed for this key"
