"""Enclave Desk's standalone cryptography library.

- `hashing`: SM3, SHA-256, HMAC-SM3 and `BlindIndex` (equality search on encrypted fields).
- `signing`: one `Signer`/`Verifier` interface over SM2 (gmssl-pyx, C) and Ed25519,
  keys in PEM that stock `openssl` reads and writes.
- `aead` + `envelope`: SM4-GCM (default) and AES-256-GCM in a versioned 18-byte-header
  envelope whose associated data binds each ciphertext to where it is stored.
- `keys` + `keystore` + `keyring`: KEK (key file or Argon2id passphrase) → wrapped data
  keys in one JSON keystore; rotation, re-encryption and crypto-shredding.
- `selftest`: known-answer tests for every primitive in use.

It imports only the standard library, `cryptography`, `gmssl_pyx` and `gmssl`; never the
app, the web stack or the ORM (tests/crypto/test_imports.py). See docs/crypto.md.
"""

from crypto.aead import Algorithm
from crypto.envelope import EnvelopeHeader
from crypto.envelope import open_
from crypto.envelope import parse_header
from crypto.envelope import seal
from crypto.errors import AuthenticationError
from crypto.errors import CryptoError
from crypto.errors import EnvelopeError
from crypto.errors import InvalidKeyError
from crypto.errors import KeyDestroyedError
from crypto.errors import KeyFileError
from crypto.errors import KeyNotFoundError
from crypto.errors import KeyStateError
from crypto.errors import KeyUnwrapError
from crypto.errors import SignatureError
from crypto.errors import UnsupportedAlgorithmError
from crypto.hashing import HASH_NAMES
from crypto.hashing import BlindIndex
from crypto.hashing import hash_function
from crypto.hashing import hmac_sm3
from crypto.hashing import sha256
from crypto.hashing import sm3
from crypto.keyring import KeyRing
from crypto.keys import DataKey
from crypto.keys import KdfParams
from crypto.keys import KeyEncryptionKey
from crypto.selftest import SelfTestResult
from crypto.selftest import run_selftest
from crypto.selftest import selftest_passed
from crypto.signing import SIGNATURE_ALGORITHMS
from crypto.signing import SM2_BACKEND
from crypto.signing import Signer
from crypto.signing import Verifier
from crypto.signing import generate_signer
from crypto.signing import load_signer_pem
from crypto.signing import load_verifier_pem

__all__ = [
    "HASH_NAMES",
    "SIGNATURE_ALGORITHMS",
    "SM2_BACKEND",
    "Algorithm",
    "AuthenticationError",
    "BlindIndex",
    "CryptoError",
    "DataKey",
    "EnvelopeError",
    "EnvelopeHeader",
    "InvalidKeyError",
    "KdfParams",
    "KeyDestroyedError",
    "KeyEncryptionKey",
    "KeyFileError",
    "KeyNotFoundError",
    "KeyRing",
    "KeyStateError",
    "KeyUnwrapError",
    "SelfTestResult",
    "SignatureError",
    "Signer",
    "UnsupportedAlgorithmError",
    "Verifier",
    "generate_signer",
    "hash_function",
    "hmac_sm3",
    "load_signer_pem",
    "load_verifier_pem",
    "open_",
    "parse_header",
    "run_selftest",
    "seal",
    "selftest_passed",
    "sha256",
    "sm3",
]
