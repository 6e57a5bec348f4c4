"""Single mutations of a log, applied the same way to its storage and to its export bundle.

A mutation is what an attacker with write access to the database (or to an
exported file) but without the signing keys could do: modify an event byte,
delete, insert or reorder events, truncate the log, or forge a checkpoint
(changed root, size or time; a signature by another key; flipped signature
bytes; a stripped signature).
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass

from audit.canonical import canonical_bytes
from audit.checkpoint import Checkpoint
from audit.checkpoint import NoteSignature
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import sign_checkpoint
from audit.log import MerkleLog
from audit.merkle import leaf_hash
from audit.storage import MemoryStorage
from crypto.signing import Signer
from tests.audit.conftest import make_event

KINDS = ("modify", "delete", "insert", "swap", "truncate", "forge")
FORGERIES = ("root", "size", "time", "other_key", "flip", "strip")


@dataclass(frozen=True)
class Mutation:
    """One mutation, fully determined (so a failure message can replay it)."""

    kind: str
    i: int = 0
    j: int = 0
    bit: int = 0
    forgery: str = ""
    rebuild: bool = False
    note: bytes = b""  # the forged checkpoint note, for kind == "forge"
    new_event: bytes = b""  # the fabricated event, for kind == "insert"

    def __str__(self) -> str:
        extra = f" forgery={self.forgery}" if self.kind == "forge" else ""
        return f"{self.kind} i={self.i} j={self.j} bit={self.bit} rebuild={self.rebuild}{extra}"


def _forge(note: bytes, how: str, rng: random.Random, other: list[Signer]) -> bytes:
    cp = parse_checkpoint(note)
    if how == "root":
        cp = Checkpoint(cp.origin, cp.size, rng.randbytes(32), cp.time_ms, cp.signatures)
    elif how == "size":
        size = rng.choice([n for n in range(max(0, cp.size - 3), cp.size + 4) if n != cp.size])
        cp = Checkpoint(cp.origin, size, cp.root, cp.time_ms, cp.signatures)
    elif how == "time":
        time_ms = cp.time_ms + rng.choice([-1, 1]) * rng.randint(1, 10**9)
        cp = Checkpoint(cp.origin, cp.size, cp.root, time_ms, cp.signatures)
    elif how == "other_key":
        changed = rng.random() < 0.5
        root = rng.randbytes(32) if changed else cp.root
        cp = sign_checkpoint(other, cp.origin, cp.size, root, cp.time_ms)
    elif how == "flip":
        sigs = list(cp.signatures)
        k = rng.randrange(len(sigs))
        raw = bytearray(sigs[k].signature)
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        sigs[k] = NoteSignature(sigs[k].name, sigs[k].key_id, bytes(raw))
        cp = Checkpoint(cp.origin, cp.size, cp.root, cp.time_ms, tuple(sigs))
    else:  # strip one of the two algorithms' signatures
        k = rng.randrange(len(cp.signatures))
        kept = cp.signatures[:k] + cp.signatures[k + 1 :]
        cp = Checkpoint(cp.origin, cp.size, cp.root, cp.time_ms, kept)
    return cp.note()


def random_mutation(log: MerkleLog, rng: random.Random, other: list[Signer]) -> Mutation:
    """Draw one mutation that changes something for a log of at least 2 events."""
    size = log.size
    kind = rng.choice(KINDS)
    i = rng.randrange(size)
    j = rng.choice([n for n in range(size) if n != i])
    rebuild = rng.random() < 0.5
    if kind == "modify":
        return Mutation(kind, i=i, bit=rng.randrange(len(log.event(i)) * 8), rebuild=rebuild)
    if kind == "insert":
        fake = make_event(i, details={"n": i, "forged": True}, request_id=f"fake-{rng.random()}")
        return Mutation(kind, i=i, rebuild=rebuild, new_event=canonical_bytes(fake))
    if kind == "truncate":
        return Mutation(kind, i=rng.randint(1, size), rebuild=rebuild)
    if kind == "forge":
        notes = log.storage.checkpoints()
        c = rng.randrange(len(notes))
        forgery = rng.choice(FORGERIES)
        return Mutation(kind, i=c, forgery=forgery, note=_forge(notes[c], forgery, rng, other))
    return Mutation(kind, i=i, j=j, rebuild=rebuild)


def _events_after(events: list[bytes], m: Mutation) -> list[bytes]:
    events = list(events)
    if m.kind == "modify":
        raw = bytearray(events[m.i])
        raw[m.bit // 8] ^= 1 << (m.bit % 8)
        events[m.i] = bytes(raw)
    elif m.kind == "delete":
        del events[m.i]
    elif m.kind == "insert":
        events.insert(m.i, m.new_event)
    elif m.kind == "swap":
        events[m.i], events[m.j] = events[m.j], events[m.i]
    elif m.kind == "truncate":
        del events[len(events) - m.i :]
    return events


def mutate_storage(base: MemoryStorage, hash_name: str, m: Mutation) -> MerkleLog:
    """Return a log over a mutated copy of `base`.

    With `rebuild`, the attacker rewrites the event table AND recomputes every
    leaf and node hash so the tree is self-consistent; only the signed
    checkpoints stand in the way. Without it, only the event rows (and, where
    it keeps the rows aligned, the leaf hashes) change.
    """
    notes = list(base.notes)
    if m.kind == "forge":
        notes[m.i] = m.note
    storage = MemoryStorage()
    log = MerkleLog(storage, hash_name)
    events = _events_after(base.events, m)
    if m.rebuild:
        log.integrate(events)
    else:
        storage.events = events
        storage.levels = [list(level) for level in base.levels]
        leaves = storage.levels[0]
        h = log.h
        if m.kind == "delete":
            del leaves[m.i]
        elif m.kind == "insert":
            leaves.insert(m.i, leaf_hash(h, m.new_event))
        elif m.kind == "swap":
            leaves[m.i], leaves[m.j] = leaves[m.j], leaves[m.i]
        elif m.kind == "truncate":
            del leaves[len(leaves) - m.i :]
    storage.notes = notes
    return log


def mutate_bundle(files: dict[str, bytes], m: Mutation, rng: random.Random) -> dict[str, bytes]:
    """Apply the same mutation to an export of every event of the log."""
    files = dict(files)
    lines = files["events.jsonl"].split(b"\n")[:-1]
    if m.kind == "forge":
        files[f"checkpoints/{m.i + 1:06d}.checkpoint"] = m.note
        return files
    if m.kind == "modify":
        record = json.loads(lines[m.i])
        raw = bytearray(base64.b64decode(record["event"]))
        raw[m.bit // 8] ^= 1 << (m.bit % 8)
        record["event"] = base64.b64encode(bytes(raw)).decode()
        lines[m.i] = json.dumps(record).encode()
    elif m.kind == "delete":
        del lines[m.i]
    elif m.kind == "insert":
        record = json.loads(lines[m.i])
        record["event"] = base64.b64encode(m.new_event).decode()
        lines.insert(m.i, json.dumps(record).encode())
    elif m.kind == "swap":
        if rng.random() < 0.5:
            lines[m.i], lines[m.j] = lines[m.j], lines[m.i]
        else:
            a, b = json.loads(lines[m.i]), json.loads(lines[m.j])
            a["event"], b["event"] = b["event"], a["event"]
            lines[m.i], lines[m.j] = json.dumps(a).encode(), json.dumps(b).encode()
    elif m.kind == "truncate":
        del lines[len(lines) - m.i :]
    files["events.jsonl"] = b"".join(line + b"\n" for line in lines)
    return files
