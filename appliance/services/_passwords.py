"""Password hashing: Argon2id (RFC 9106), stored as a PHC string.

The PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash) carries its own cost
parameters, so raising them later needs no migration: old hashes keep verifying
and are rehashed at the next successful sign-in (`needs_rehash`).

The cost is OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): about 25 ms
on one core, which bounds what a burst of sign-in attempts can cost the server.
Hashing is slow on purpose, so callers do it outside database transactions.
"""

from __future__ import annotations

import os
import re

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

MEMORY_KIB = 19456
ITERATIONS = 2
LANES = 1
SALT_BYTES = 16
HASH_BYTES = 32

_PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def hash_password(password: str) -> str:
    """A fresh PHC string for `password` (random salt, current cost)."""
    kdf = Argon2id(
        salt=os.urandom(SALT_BYTES),
        length=HASH_BYTES,
        iterations=ITERATIONS,
        lanes=LANES,
        memory_cost=MEMORY_KIB,
    )
    return kdf.derive_phc_encoded(password.encode("utf-8"))


def verify_password(encoded: str, password: str) -> bool:
    """Whether `password` matches the PHC string `encoded` (False for a malformed string)."""
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8"), encoded)
    except InvalidKey:
        return False
    return True


def needs_rehash(encoded: str) -> bool:
    """Whether `encoded` was made with other parameters than today's."""
    match = _PARAMS.match(encoded)
    if match is None:
        return True
    return tuple(map(int, match.groups())) != (MEMORY_KIB, ITERATIONS, LANES)


# Verified against when the username is unknown, so that an unknown name costs
# as long as a wrong password and response times do not reveal who exists.
_DUMMY_HASH: str | None = None


def burn_verification(password: str) -> None:
    """Spend the time of one verification without a real account."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(os.urandom(16).hex())
    verify_password(_DUMMY_HASH, password)
