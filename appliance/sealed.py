"""Field encryption for the appliance's tables, bound to where the value lives.

The associated data of every ciphertext names its table, row and field
("message:<conversation>:<seq>:body"), so a ciphertext copied to another row or
column fails to decrypt instead of showing the wrong person's data.
"""

from __future__ import annotations

from appliance.runtime import current_runtime


def seal(plaintext: str, *, context: str) -> bytes:
    return current_runtime().keyring.encrypt(plaintext.encode("utf-8"), context=context.encode())


def unseal(sealed: bytes, *, context: str) -> str:
    plaintext = current_runtime().keyring.decrypt(bytes(sealed), context=context.encode())
    return plaintext.decode("utf-8")


def blind_index(value: str, *, field: str) -> str:
    """Hex blind index of `value` (keyed HMAC-SM3), for lookups on encrypted data."""
    return current_runtime().keyring.blind_index().compute(value, field=field).hex()


def message_context(conversation_id: str, seq: int) -> str:
    return f"message:{conversation_id}:{seq}:body"


def visitor_context(visitor_id: str, field: str) -> str:
    return f"visitor:{visitor_id}:{field}"
