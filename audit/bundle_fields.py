"""Reading the pieces of a bundle for the verifier: every malformed piece is `Tampered`.

Only `load_info` raises BundleFormatError (exit 2, "not a bundle"): once the
input is recognisably a bundle, anything wrong in it is evidence of tampering.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from audit.bundle import FORMAT
from audit.bundle import INFO
from audit.bundle import VERSION
from audit.errors import BundleFormatError
from crypto.errors import CryptoError
from crypto.hashing import HASH_NAMES
from crypto.signing import Verifier
from crypto.signing import load_verifier_pem


class Tampered(Exception):
    """One check failed; the message says what and where."""


def b64_field(text: object, what: str) -> bytes:
    """Decode a standard base64 string field."""
    if not isinstance(text, str):
        raise Tampered(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Tampered(f"{what} is not base64") from None


def int_field(value: object, what: str) -> int:
    """Return a non-negative JSON integer field (booleans refused)."""
    if type(value) is not int or value < 0:
        raise Tampered(f"{what} is not a non-negative integer")
    return value


def json_object(line: bytes, what: str) -> dict[str, Any]:
    """Parse one JSON line that must be an object."""
    try:
        value = json.loads(line)
    except ValueError:
        raise Tampered(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Tampered(f"{what} is not a JSON object")
    return value


def load_info(files: Mapping[str, bytes]) -> dict[str, Any]:
    """Parse bundle.json far enough to know it is a bundle; else BundleFormatError."""
    try:
        info = json.loads(files[INFO])
    except (KeyError, ValueError):
        raise BundleFormatError(f"{INFO} is missing or not JSON") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise BundleFormatError(f"{INFO} does not describe an {FORMAT}")
    if info.get("version") != VERSION:
        raise BundleFormatError(
            f"bundle version {info.get('version')!r}; this verifier reads {VERSION}"
        )
    if info.get("hash") not in HASH_NAMES:
        raise BundleFormatError(f"unknown hash {info.get('hash')!r}")
    return info


def bundle_keys(files: Mapping[str, bytes]) -> dict[str, Verifier]:
    """Load every keys/*.pem member; a malformed one is tampering."""
    keys = {}
    for path in sorted(p for p in files if p.startswith("keys/") and p.endswith(".pem")):
        try:
            keys[path] = load_verifier_pem(files[path])
        except CryptoError:
            raise Tampered(f"{path} is not a public key") from None
    if not keys:
        raise Tampered("the bundle holds no public keys")
    return keys


def list_field(value: object, what: str) -> list[object]:
    """Return a JSON array field (a proof)."""
    if not isinstance(value, list):
        raise Tampered(f"{what}: proof is not a list")
    return value


def selection_runs(value: object) -> list[tuple[int, int]]:
    """Return bundle.json's selection as strictly increasing, non-adjacent [start, end) runs."""
    if not isinstance(value, list):
        raise Tampered(f"{INFO} has no selection")
    runs: list[tuple[int, int]] = []
    for run in value:
        if not (isinstance(run, list) and len(run) == 2):
            raise Tampered(f"{INFO} selection is malformed")
        start, end = int_field(run[0], "selection"), int_field(run[1], "selection")
        if end <= start or (runs and start <= runs[-1][1]):
            raise Tampered(f"{INFO} selection is not increasing runs")
        runs.append((start, end))
    return runs


def verifies(key: Verifier, message: bytes, signature: bytes) -> bool:
    """True if `signature` over `message` verifies under `key`."""
    try:
        key.verify(message, signature)
    except CryptoError:
        return False
    return True
