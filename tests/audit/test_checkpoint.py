"""C2SP signed-note checkpoints: exact layout, key IDs, dual signatures, verification policy."""

from __future__ import annotations

import base64
import hashlib

import pytest

from audit.checkpoint import Checkpoint
from audit.checkpoint import NoteSignature
from audit.checkpoint import key_id
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import sign_checkpoint
from audit.checkpoint import split_note
from audit.checkpoint import verify_checkpoint
from audit.errors import CheckpointFormatError
from audit.errors import CheckpointSignatureError
from crypto.ed25519 import Ed25519Verifier
from crypto.signing import Signer
from crypto.signing import Verifier
from tests.audit.conftest import ORIGIN

ROOT = hashlib.sha256(b"root").digest()

# golang.org/x/mod/sumdb/note's published example (note_test.go): a real
# Ed25519 signed note from an independent implementation.
GO_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_it_matches_the_go_signed_note_implementation() -> None:
    name, key_hash, material = GO_KEY.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01
    verifier = Ed25519Verifier.from_raw(raw[1:])
    assert key_id(name, verifier).hex() == key_hash
    text, signatures = split_note(GO_NOTE)
    assert text.startswith("If you think") and text.endswith("problem is.\n")
    (signature,) = signatures
    assert (signature.name, signature.key_id.hex()) == (name, key_hash)
    verifier.verify(text.encode(), signature.signature)


def test_it_writes_the_note_byte_for_byte(signers: list[Signer]) -> None:
    checkpoint = sign_checkpoint(signers, ORIGIN, 42, ROOT, 1_795_248_000_123)
    body = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\ntime 1795248000123\n".encode()
    assert checkpoint.body() == body
    note = checkpoint.note()
    lines = note[len(body) :].decode().split("\n")
    assert lines[0] == "" and lines[-1] == "" and len(lines) == 4
    for line, signer in zip(lines[1:3], signers, strict=True):
        dash, name, blob = line.split(" ")
        assert (dash, name) == ("\u2014", ORIGIN)
        raw = base64.b64decode(blob)
        assert raw[:4] == key_id(ORIGIN, signer.verifier())
        signer.verifier().verify(body, raw[4:])
    assert parse_checkpoint(note) == checkpoint


def test_it_derives_key_ids_as_documented(verifiers: list[Verifier]) -> None:
    sm2, ed25519 = verifiers
    name = ORIGIN.encode()
    assert (
        key_id(ORIGIN, ed25519)
        == hashlib.sha256(name + b"\n\x01" + ed25519.public_key_raw()).digest()[:4]
    )
    assert (
        key_id(ORIGIN, sm2)
        == hashlib.sha256(name + b"\n\xffsm2-sm3" + sm2.public_key_raw()).digest()[:4]
    )
    assert len(sm2.public_key_raw()) == 65 and sm2.public_key_raw()[0] == 4


def test_it_verifies_dual_signatures(signers: list[Signer], verifiers: list[Verifier]) -> None:
    checkpoint = sign_checkpoint(signers, ORIGIN, 7, ROOT, 5)
    verify_checkpoint(checkpoint, verifiers)
    verify_checkpoint(checkpoint, verifiers[:1])
    verify_checkpoint(checkpoint, verifiers[1:])


def _with(checkpoint: Checkpoint, **changes: object) -> Checkpoint:
    fields = {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": checkpoint.root,
        "time_ms": checkpoint.time_ms,
        "signatures": checkpoint.signatures,
    }
    fields.update(changes)
    return Checkpoint(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"size": 8},
        {"root": hashlib.sha256(b"other").digest()},
        {"time_ms": 6},
    ],
)
def test_it_refuses_a_changed_body(
    signers: list[Signer], verifiers: list[Verifier], change: dict[str, object]
) -> None:
    checkpoint = _with(sign_checkpoint(signers, ORIGIN, 7, ROOT, 5), **change)
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_checkpoint(parse_checkpoint(checkpoint.note()), verifiers)


def test_it_refuses_a_stripped_or_foreign_signature(
    signers: list[Signer], other_signers: list[Signer], verifiers: list[Verifier]
) -> None:
    good = sign_checkpoint(signers, ORIGIN, 7, ROOT, 5)
    only_sm2 = _with(good, signatures=good.signatures[:1])
    with pytest.raises(CheckpointSignatureError, match="no valid ed25519"):
        verify_checkpoint(only_sm2, verifiers)
    forged = sign_checkpoint(other_signers, ORIGIN, 7, ROOT, 5)
    with pytest.raises(CheckpointSignatureError, match="no valid"):
        verify_checkpoint(forged, verifiers)
    # A foreign signature carrying our key ID must verify, and does not.
    impostor = _with(
        forged,
        signatures=tuple(
            NoteSignature(s.name, g.key_id, s.signature)
            for s, g in zip(forged.signatures, good.signatures, strict=True)
        ),
    )
    with pytest.raises(CheckpointSignatureError, match="does not verify"):
        verify_checkpoint(impostor, verifiers)
    # Unknown signatures are ignored (C2SP: witnesses, key rotation).
    cosigned = _with(good, signatures=good.signatures + forged.signatures)
    verify_checkpoint(cosigned, verifiers)


def test_it_refuses_flipped_signature_bits(
    signers: list[Signer], verifiers: list[Verifier]
) -> None:
    good = sign_checkpoint(signers, ORIGIN, 7, ROOT, 5)
    for which in range(2):
        sigs = list(good.signatures)
        raw = bytearray(sigs[which].signature)
        raw[len(raw) // 2] ^= 0x10
        sigs[which] = NoteSignature(sigs[which].name, sigs[which].key_id, bytes(raw))
        with pytest.raises(CheckpointSignatureError):
            verify_checkpoint(_with(good, signatures=tuple(sigs)), verifiers)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda n: n.replace("\n\n", "\n"), "empty line"),
        (lambda n: n.replace("time ", "tick "), "time"),
        (lambda n: n.replace("\n42\n", "\n042\n"), "leading zeros"),
        (lambda n: n.replace("\n42\n", "\n-1\n"), "decimal"),
        (lambda n: n.replace("time", "x\ntime", 1), "4 body lines"),
        (lambda n: n.replace("=\ntime", "\ntime", 1), "base64"),
        (lambda n: n.replace("\u2014 ", "- ", 1), "signature line"),
        (lambda n: n.replace("\n", "\r\n", 1), "control"),
        (lambda n: n[:-1], "empty line"),
        (lambda n: "bad origin" + n[len(ORIGIN) :], "origin"),
    ],
)
def test_it_refuses_malformed_notes(signers: list[Signer], mutate: object, reason: str) -> None:
    note = sign_checkpoint(signers, ORIGIN, 42, ROOT, 5).note().decode()
    with pytest.raises(CheckpointFormatError, match=reason):
        parse_checkpoint(mutate(note))  # type: ignore[operator]


def test_it_refuses_bytes_that_are_not_utf8() -> None:
    with pytest.raises(CheckpointFormatError, match="UTF-8"):
        parse_checkpoint(b"\xff\n\n")
