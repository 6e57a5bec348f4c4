"""Checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, signed with SM2 and Ed25519.

The note text (the bytes that are signed) is exactly four lines:

    <origin>\\n<tree size, decimal>\\n<base64 root>\\ntime <unix epoch ms, decimal>\\n

followed by an empty line and one signature line per key:

    — <key name> <base64(4-byte key ID || signature)>\\n

The key name is the origin. Ed25519 is signature type 0x01 exactly as C2SP
signed-note defines it. SM2 has no assigned type, so it uses 0xff (C2SP's
"type without an assigned byte") followed by the identifier "sm2-sm3":

    Ed25519 key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]
    SM2 key ID     = SHA-256(name || 0x0A || 0xff || "sm2-sm3" || 65-byte 04||X||Y)[:4]

Ed25519 signatures are the 64 raw bytes of RFC 8032; SM2 signatures are
DER SEQUENCE{r, s} over SM3 with the default user id 1234567812345678
(GB/T 32918.2), which stock `openssl dgst -sm3 -sigopt distid:...` checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from audit.errors import CheckpointFormatError
from audit.errors import CheckpointSignatureError
from crypto.errors import SignatureError
from crypto.signing import Signer
from crypto.signing import Verifier

ED25519_TYPE = b"\x01"
SM2_TYPE = b"\xff" + b"sm2-sm3"
SIGNATURE_TYPES = {"ed25519": ED25519_TYPE, "sm2": SM2_TYPE}
HASH_SIZE = 32
MAX_SIGNATURES = 64
EM_DASH = "\u2014"

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_KEY_NAME = re.compile(r"[^\s+]+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the algorithm's signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """Return the line as it appears in the note, newline included."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{EM_DASH} {self.name} {blob}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log `origin` had `size` leaves with `root` at `time_ms`."""

    origin: str
    size: int
    root: bytes
    time_ms: int
    signatures: tuple[NoteSignature, ...] = ()

    def body(self) -> bytes:
        """Return the note text: the exact bytes every signature covers."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\ntime {self.time_ms}\n".encode()

    def note(self) -> bytes:
        """Return the whole signed note: body, empty line, signature lines."""
        lines = "".join(s.line() for s in self.signatures)
        return self.body() + b"\n" + lines.encode("utf-8")


def key_id(name: str, verifier: Verifier) -> bytes:
    """Return the C2SP signed-note key ID of `verifier` under key name `name`."""
    try:
        kind = SIGNATURE_TYPES[verifier.algorithm]
    except KeyError:
        raise CheckpointSignatureError(f"no note signature type for {verifier.algorithm}") from None
    material = name.encode("utf-8") + b"\n" + kind + verifier.public_key_raw()
    return hashlib.sha256(material).digest()[:4]


def _check_origin(origin: str) -> None:
    if not _KEY_NAME.fullmatch(origin):
        raise CheckpointFormatError("origin must be non-empty, without spaces or '+'")


def sign_checkpoint(
    signers: Sequence[Signer], origin: str, size: int, root: bytes, time_ms: int
) -> Checkpoint:
    """Return a checkpoint for (origin, size, root, time_ms) signed by every signer, in order.

    Use one SM2 and one Ed25519 signer (dual signing) unless there is a reason
    not to; key names are the origin.
    """
    _check_origin(origin)
    if not signers:
        raise CheckpointSignatureError("a checkpoint needs at least one signer")
    if size < 0 or time_ms < 0 or len(root) != HASH_SIZE:
        raise CheckpointFormatError("size and time must be >= 0 and the root one hash long")
    unsigned = Checkpoint(origin, size, bytes(root), time_ms)
    body = unsigned.body()
    signatures = tuple(
        NoteSignature(origin, key_id(origin, s.verifier()), s.sign(body)) for s in signers
    )
    return Checkpoint(origin, size, bytes(root), time_ms, signatures)


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise CheckpointFormatError(f"{what} {text!r} is not a decimal without leading zeros")
    return int(text)


def _b64(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise CheckpointFormatError(f"{what} is not base64") from None
    if base64.b64encode(value).decode("ascii") != text:
        raise CheckpointFormatError(f"{what} is not canonical base64")
    return value


def _parse_signature(line: str) -> NoteSignature:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != EM_DASH or not _KEY_NAME.fullmatch(parts[1]):
        raise CheckpointFormatError(f"malformed signature line {line[:80]!r}")
    blob = _b64(parts[2], "signature")
    if len(blob) < 5:
        raise CheckpointFormatError("signature shorter than a key ID")
    return NoteSignature(parts[1], blob[:4], blob[4:])


def split_note(note: bytes | str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a C2SP signed note into its text (final newline included) and signature lines.

    Checks the generic signed-note format only: UTF-8, no control characters
    but newline, the text separated from the signatures by the last empty
    line, well-formed signature lines, at most MAX_SIGNATURES of them.
    """
    try:
        text = note.decode("utf-8") if isinstance(note, bytes) else note
    except UnicodeDecodeError:
        raise CheckpointFormatError("not UTF-8") from None
    if _CONTROL.search(text):
        raise CheckpointFormatError("control characters other than newline")
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise CheckpointFormatError("no empty line between text and signatures")
    sig_lines = text[split + 2 : -1].split("\n")
    if not 1 <= len(sig_lines) <= MAX_SIGNATURES:
        raise CheckpointFormatError(f"{len(sig_lines)} signature lines")
    return text[: split + 1], tuple(_parse_signature(line) for line in sig_lines)


def parse_checkpoint(note: bytes | str) -> Checkpoint:
    """Parse a signed checkpoint note. Checks the format only, never the signatures.

    Raises CheckpointFormatError for anything that is not exactly our layout.
    """
    body, signatures = split_note(note)
    lines = body[:-1].split("\n")
    if len(lines) != 4:
        raise CheckpointFormatError(f"expected 4 body lines, found {len(lines)}")
    origin, size_text, root_text, time_line = lines
    _check_origin(origin)
    size = _decimal(size_text, "tree size")
    root = _b64(root_text, "root")
    if len(root) != HASH_SIZE:
        raise CheckpointFormatError(f"root is {len(root)} bytes, expected {HASH_SIZE}")
    if not time_line.startswith("time "):
        raise CheckpointFormatError("fourth line must be 'time <unix ms>'")
    time_ms = _decimal(time_line[5:], "time")
    checkpoint = Checkpoint(origin, size, root, time_ms, signatures)
    if checkpoint.body().decode("utf-8") != body:
        raise CheckpointFormatError("body not in canonical form")
    return checkpoint


def verify_checkpoint(checkpoint: Checkpoint, verifiers: Sequence[Verifier]) -> None:
    """Check a checkpoint's signatures against trusted keys (key name = origin).

    Policy (C2SP signed-note): lines from unknown keys are ignored; a line
    whose name and key ID match a trusted key must verify; and for every
    algorithm among `verifiers` at least one signature by a trusted key of
    that algorithm must verify, so dual signing cannot be silently stripped
    to one algorithm. Raises CheckpointSignatureError naming what failed.
    """
    if not verifiers:
        raise CheckpointSignatureError("no trusted keys given")
    known = {key_id(checkpoint.origin, v): v for v in verifiers}
    body = checkpoint.body()
    verified: set[str] = set()
    for sig in checkpoint.signatures:
        verifier = known.get(sig.key_id) if sig.name == checkpoint.origin else None
        if verifier is None:
            continue
        try:
            verifier.verify(body, sig.signature)
        except SignatureError:
            raise CheckpointSignatureError(
                f"{verifier.algorithm} signature by key {verifier.key_id()} does not verify"
                f" (checkpoint size {checkpoint.size})"
            ) from None
        verified.add(verifier.algorithm)
    missing = sorted({v.algorithm for v in verifiers} - verified)
    if missing:
        raise CheckpointSignatureError(
            f"no valid {missing[0]} signature by a trusted key (checkpoint size {checkpoint.size})"
        )
