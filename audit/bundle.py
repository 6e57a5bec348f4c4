"""The export bundle: one uncompressed POSIX tar an auditor verifies offline.

Members (docs/audit.md, "Export bundle", has the byte-level description):

    bundle.json              what was exported: origin, hash, selection, checkpoints, keys
    events.jsonl             one line per event: index, checkpoint size, base64 bytes, proof
    consistency.jsonl        one line per consecutive checkpoint pair: sizes and proof
    checkpoints/NNNNNN.checkpoint   signed notes, verbatim as the log stored them
    keys/<alg>-<key id>.pem  public keys (SubjectPublicKeyInfo PEM)
    MANIFEST                 "<sha256 hex> <sm3 hex> <path>\\n" for every member above
    MANIFEST.<alg>.sig       signature of MANIFEST's bytes (SM2: DER, Ed25519: raw 64 bytes)

Tar rather than zip: `tar -xf` exists on every auditor's machine (Windows
10+ included), the format has no central directory that can disagree with
its entries, and members are written in a fixed order with fixed metadata
so the same export yields the same bytes.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import tarfile
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import rfc8785

from audit.checkpoint import Checkpoint
from audit.errors import BundleFormatError
from audit.errors import TreeError
from audit.log import MerkleLog
from crypto.hashing import sha256
from crypto.hashing import sm3
from crypto.signing import Signer

FORMAT = "enclave-audit-bundle"
VERSION = 1
MANIFEST = "MANIFEST"
INFO = "bundle.json"
EVENTS = "events.jsonl"
CONSISTENCY = "consistency.jsonl"
MAX_MEMBER_BYTES = 1 << 32


def b64(data: bytes) -> str:
    """Standard base64 (RFC 4648 §4), as used everywhere in the bundle."""
    return base64.b64encode(data).decode("ascii")


def json_line(value: Mapping[str, Any]) -> bytes:
    """Serialise one JSON object as an RFC 8785 line, newline included."""
    return rfc8785.dumps(value) + b"\n"


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """Return MANIFEST for `files`: every member except MANIFEST*, sorted by path."""
    lines = [
        f"{sha256(data).hex()} {sm3(data).hex()} {path}\n"
        for path, data in sorted(files.items())
        if not path.startswith(MANIFEST)
    ]
    return "".join(lines).encode("ascii")


def signature_file(algorithm: str) -> str:
    """Name of the member holding MANIFEST's signature by an `algorithm` key."""
    return f"{MANIFEST}.{algorithm}.sig"


def sign_manifest(files: dict[str, bytes], signers: Sequence[Signer]) -> None:
    """(Re)write MANIFEST and its signature members in `files`, in place."""
    for path in [p for p in files if p.startswith(MANIFEST)]:
        del files[path]
    manifest = manifest_bytes(files)
    files[MANIFEST] = manifest
    for signer in signers:
        files[signature_file(signer.algorithm)] = signer.sign(manifest)


def _covering(checkpoints: Sequence[Checkpoint], index: int) -> Checkpoint:
    for checkpoint in checkpoints:
        if checkpoint.size > index:
            return checkpoint
    raise TreeError(f"leaf {index} is not covered by a signed checkpoint yet; sign one first")


def _selection(indexes: Sequence[int]) -> list[list[int]]:
    """Compress sorted indexes into [start, end) runs."""
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][1] == index:
            runs[-1][1] = index + 1
        else:
            runs.append([index, index + 1])
    return runs


def bundle_files(
    log: MerkleLog,
    leaf_indexes: Sequence[int],
    signers: Sequence[Signer],
    origin: str,
    *,
    created_ms: int,
    anchor_sizes: Sequence[int] = (),
) -> dict[str, bytes]:
    """Build the members of a bundle (see the module docstring) as a dict.

    Each event is proved against the first checkpoint covering it, which
    bounds when it was logged; the bundle holds those checkpoints, the latest
    one, any stored checkpoint whose size is in `anchor_sizes` (say, the one
    the auditor kept from last time), and consistency proofs between each
    consecutive pair.
    """
    indexes = sorted(set(leaf_indexes))
    if len(indexes) != len(leaf_indexes):
        raise TreeError("leaf indexes must be distinct")
    algorithms = [s.algorithm for s in signers]
    if not signers or len(set(algorithms)) != len(algorithms):
        raise TreeError("need one signer per algorithm, at least one")
    stored = [c for c in log.checkpoints() if c.origin == origin]
    by_size = {c.size: c for c in stored if c.size > 0}  # the last one signed at each size
    ordered = sorted(by_size.values(), key=lambda c: c.size)
    chosen: dict[int, Checkpoint] = {}
    for index in indexes:
        cp = _covering(ordered, index)
        chosen[cp.size] = cp
    for size in anchor_sizes:
        if size not in by_size:
            raise TreeError(f"no stored checkpoint of size {size}")
        chosen[size] = by_size[size]
    if ordered:
        chosen[ordered[-1].size] = ordered[-1]
    checkpoints = [chosen[size] for size in sorted(chosen)]
    files: dict[str, bytes] = {}
    cp_files = []
    for number, cp in enumerate(checkpoints, start=1):
        name = f"checkpoints/{number:06d}.checkpoint"
        files[name] = cp.note()
        cp_files.append({"file": name, "size": cp.size})
    lines = []
    for index in indexes:
        cp = _covering(checkpoints, index)
        proof = log.inclusion_proof(index, cp.size)
        event = log.event(index)
        lines.append(
            json_line(
                {
                    "index": index,
                    "checkpoint": cp.size,
                    "event": b64(event),
                    "proof": [b64(p) for p in proof],
                }
            )
        )
    files[EVENTS] = b"".join(lines)
    files[CONSISTENCY] = b"".join(
        json_line(
            {
                "size1": a.size,
                "size2": b.size,
                "proof": [b64(p) for p in log.consistency_proof(a.size, b.size)],
            }
        )
        for a, b in itertools.pairwise(checkpoints)
    )
    keys = []
    for signer in signers:
        verifier = signer.verifier()
        name = f"keys/{verifier.algorithm}-{verifier.key_id()}.pem"
        files[name] = verifier.public_key_pem()
        keys.append({"file": name, "algorithm": verifier.algorithm})
    info = {
        "format": FORMAT,
        "version": VERSION,
        "origin": origin,
        "hash": log.hash_name,
        "created_ms": created_ms,
        "tree_size": log.size,
        "event_count": len(indexes),
        "selection": _selection(indexes),
        "checkpoints": cp_files,
        "keys": keys,
        "manifest_signatures": [signature_file(a) for a in algorithms],
    }
    files[INFO] = json_line(info)
    sign_manifest(files, signers)
    return files


def pack(files: Mapping[str, bytes], out: str | os.PathLike[str], mtime: int = 0) -> None:
    """Write `files` as a deterministic uncompressed POSIX tar at `out`."""
    order = sorted(files, key=lambda p: (p.startswith(MANIFEST), p))
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in order:
            data = files[path]
            member = tarfile.TarInfo(path)
            member.size = len(data)
            member.mtime = mtime
            member.mode = 0o644
            tar.addfile(member, io.BytesIO(data))


def write_bundle(
    log: MerkleLog,
    leaf_indexes: Sequence[int],
    out_path: str | os.PathLike[str],
    signers: Sequence[Signer],
    origin: str,
    *,
    created_ms: int,
    anchor_sizes: Sequence[int] = (),
) -> dict[str, bytes]:
    """Export the events at `leaf_indexes` with their proofs to a tar at `out_path`.

    Every event must be covered by a stored checkpoint (sign one first).
    Returns the members written, for the caller's own record.
    """
    files = bundle_files(
        log, leaf_indexes, signers, origin, created_ms=created_ms, anchor_sizes=anchor_sizes
    )
    pack(files, out_path, mtime=created_ms // 1000)
    return files


def read_bundle(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """Return the members of a bundle tar as {path: bytes}, without extracting anything.

    Raises BundleFormatError if the file is unreadable, not a tar, or holds
    anything but regular files with plain relative names, or a name twice.
    Directory entries and a leading "./" are accepted, so a bundle that an
    auditor unpacked and repacked with `tar -C dir -cf x.tar .` still reads.
    """
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise BundleFormatError(f"member {name!r} is not a regular file")
                if name.startswith("/") or ".." in name.split("/") or name in files:
                    raise BundleFormatError(f"member name {name!r} is unsafe or repeated")
                if member.size > MAX_MEMBER_BYTES:
                    raise BundleFormatError(f"member {name!r} is too large")
                handle = tar.extractfile(member)
                if handle is None:
                    raise BundleFormatError(f"member {name!r} is unreadable")
                files[name] = handle.read()
    except (OSError, tarfile.TarError) as exc:
        raise BundleFormatError(f"{os.fspath(path)}: {exc}") from None
    if INFO not in files:
        raise BundleFormatError(f"no {INFO}: not an audit export bundle")
    return files
