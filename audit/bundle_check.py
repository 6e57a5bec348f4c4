"""Verification of an export bundle, check group by check group (no DB, no network).

Groups, each reported on its own, all run even when an earlier one fails (so
a re-computed MANIFEST does not hide what the deeper checks find):

- manifest: every member listed once with the right SHA-256 and SM3, nothing
  unlisted, and MANIFEST signed by a trusted key of every trusted algorithm;
- checkpoints: each parses, is the size bundle.json says, has the bundle's
  origin, is signed (C2SP signed-note policy, `verify_checkpoint`) by the
  trusted keys; sizes strictly increase and times never decrease;
- consistency: one RFC 9162 consistency proof per consecutive checkpoint
  pair, each verifying;
- events: leaf indexes strictly increase and are exactly the selection in
  bundle.json; each event is canonical (`event_from_canonical`), its leaf
  hash is recomputed from its bytes and its inclusion proof verifies against
  the root of the checkpoint it names (which must cover it); event times do
  not go back by more than the allowed skew, nor lie after their
  checkpoint's time by more than it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from audit.bundle import CONSISTENCY
from audit.bundle import EVENTS
from audit.bundle import INFO
from audit.bundle import MANIFEST
from audit.bundle import signature_file
from audit.bundle_fields import Tampered
from audit.bundle_fields import b64_field
from audit.bundle_fields import bundle_keys
from audit.bundle_fields import int_field
from audit.bundle_fields import json_object
from audit.bundle_fields import list_field
from audit.bundle_fields import load_info
from audit.bundle_fields import selection_runs
from audit.bundle_fields import verifies
from audit.canonical import event_from_canonical
from audit.checkpoint import Checkpoint
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import verify_checkpoint
from audit.errors import AuditError
from audit.integrity import DEFAULT_MAX_SKEW_MS
from audit.merkle import leaf_hash
from audit.merkle import verify_consistency
from audit.merkle import verify_inclusion
from crypto.hashing import hash_function
from crypto.hashing import sha256
from crypto.hashing import sm3
from crypto.signing import Verifier

_MANIFEST_LINE = re.compile(r"([0-9a-f]{64}) ([0-9a-f]{64}) ([A-Za-z0-9._/-]+)")


@dataclass(frozen=True)
class Check:
    """The outcome of one check group."""

    group: str
    ok: bool
    detail: str


@dataclass
class BundleReport:
    """Every group's outcome, and where the keys came from."""

    key_source: str  # "trusted" (--trusted-key) or "bundle"
    keys: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when every group passed."""
        return all(c.ok for c in self.checks)

    def verdict(self) -> str:
        """ "VALID", or "TAMPERED: <group>: <first failure>"."""
        for check in self.checks:
            if not check.ok:
                return f"TAMPERED: {check.group}: {check.detail}"
        return "VALID"


class _Verification:
    def __init__(
        self, files: Mapping[str, bytes], info: dict[str, Any], keys: Sequence[Verifier], skew: int
    ) -> None:
        self.files = files
        self.info = info
        self.keys = keys
        self.skew = skew
        self.h = hash_function(info["hash"])
        self.checkpoints: dict[int, Checkpoint] = {}

    def manifest(self) -> str:
        text = self.files.get(MANIFEST)
        if text is None:
            raise Tampered("MANIFEST is missing")
        listed: dict[str, tuple[str, str]] = {}
        for number, line in enumerate(text.decode("ascii", "replace").split("\n")[:-1], start=1):
            match = _MANIFEST_LINE.fullmatch(line)
            if match is None or match[3] in listed:
                raise Tampered(f"MANIFEST line {number} is malformed or repeated")
            listed[match[3]] = (match[1], match[2])
        if not text.endswith(b"\n") or list(listed) != sorted(listed):
            raise Tampered("MANIFEST is not sorted, newline-terminated lines")
        members = {p for p in self.files if not p.startswith(MANIFEST)}
        for path in sorted(members | set(listed)):
            if path not in listed:
                raise Tampered(f"{path} is not listed in MANIFEST")
            if path not in members:
                raise Tampered(f"{path} is listed in MANIFEST but missing")
            data = self.files[path]
            if (sha256(data).hex(), sm3(data).hex()) != listed[path]:
                raise Tampered(f"{path} does not match its MANIFEST digests")
        for algorithm in sorted({k.algorithm for k in self.keys}):
            signature = self.files.get(signature_file(algorithm))
            candidates = [k for k in self.keys if k.algorithm == algorithm]
            if signature is None or not any(verifies(k, text, signature) for k in candidates):
                raise Tampered(f"{signature_file(algorithm)} is missing or does not verify")
        algorithms = ", ".join(sorted({k.algorithm for k in self.keys}))
        return f"{len(listed)} files, SHA-256 and SM3 match; signed ({algorithms})"

    def checkpoint_list(self) -> str:
        entries = self.info.get("checkpoints")
        if not isinstance(entries, list) or not entries:
            raise Tampered(f"{INFO} lists no checkpoints")
        previous: Checkpoint | None = None
        for entry in entries:
            path = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(path, str) or path not in self.files:
                raise Tampered(f"checkpoint file {path!r} listed in {INFO} is missing")
            try:
                cp = parse_checkpoint(self.files[path])
            except AuditError as exc:
                raise Tampered(f"{path}: {exc}") from None
            if cp.size != entry.get("size") or cp.origin != self.info.get("origin"):
                raise Tampered(f"{path}: size or origin differs from {INFO}")
            if previous is not None and (cp.size <= previous.size or cp.time_ms < previous.time_ms):
                raise Tampered(f"{path}: size must increase and time must not decrease")
            self.checkpoints[cp.size] = cp
            previous = cp
        for cp in self.checkpoints.values():
            try:
                verify_checkpoint(cp, self.keys)
            except AuditError as exc:
                raise Tampered(f"checkpoint {cp.size}: {exc}") from None
        sizes = sorted(self.checkpoints)
        return f"{len(sizes)} signed checkpoints, sizes {sizes[0]}..{sizes[-1]}"

    def consistency(self) -> str:
        sizes = sorted(self.checkpoints)
        lines = self.files.get(CONSISTENCY, b"").split(b"\n")
        if lines[-1] != b"" or len(lines) - 1 != len(sizes) - 1:
            raise Tampered(f"{CONSISTENCY} needs one line per consecutive checkpoint pair")
        pairs = list(itertools.pairwise(sizes))
        for number, (line, (a, b)) in enumerate(zip(lines, pairs, strict=False), start=1):
            where = f"{CONSISTENCY} line {number}"
            item = json_object(line, where)
            if set(item) != {"size1", "size2", "proof"} or (item["size1"], item["size2"]) != (a, b):
                raise Tampered(f"{where} is not the proof from {a} to {b}")
            proof = [b64_field(p, where) for p in list_field(item["proof"], where)]
            first, second = self.checkpoints[a], self.checkpoints[b]
            try:
                verify_consistency(self.h, a, b, proof, first.root, second.root)
            except AuditError as exc:
                raise Tampered(f"checkpoints {a} -> {b}: {exc}") from None
        return f"{len(sizes) - 1} consistency proofs between consecutive checkpoints"

    def events(self) -> str:
        selection = [
            index
            for start, end in selection_runs(self.info.get("selection"))
            for index in range(start, end)
        ]
        lines = self.files.get(EVENTS, b"").split(b"\n")
        if lines[-1] != b"":
            raise Tampered(f"{EVENTS} does not end with a newline")
        lines.pop()
        selected = frozenset(selection)
        seen: list[int] = []
        latest_time: int | None = None
        for number, line in enumerate(lines, start=1):
            item = json_object(line, f"{EVENTS} line {number}")
            index = item.get("index")
            where = f"leaf {index} ({EVENTS} line {number})"
            if set(item) != {"index", "checkpoint", "event", "proof"}:
                raise Tampered(f"{where}: unexpected keys")
            index = int_field(index, where)
            if seen and index <= seen[-1]:
                raise Tampered(f"{where}: leaf indexes must strictly increase (after {seen[-1]})")
            if index not in selected:
                raise Tampered(f"{where}: not in the selection {INFO} declares")
            seen.append(index)
            cp = self.checkpoints.get(int_field(item["checkpoint"], where))
            if cp is None or cp.size <= index:
                raise Tampered(f"{where}: names no checkpoint of the bundle that covers it")
            data = b64_field(item["event"], where)
            try:
                event = event_from_canonical(data)
                proof = [b64_field(p, where) for p in list_field(item["proof"], where)]
                verify_inclusion(self.h, index, cp.size, leaf_hash(self.h, data), proof, cp.root)
            except AuditError as exc:
                raise Tampered(f"{where}: {exc}") from None
            if latest_time is not None and event.time_ms < latest_time - self.skew:
                raise Tampered(f"{where}: time goes back more than {self.skew} ms")
            if event.time_ms > cp.time_ms + self.skew:
                raise Tampered(f"{where}: time is after its checkpoint {cp.size} was signed")
            latest_time = event.time_ms if latest_time is None else max(latest_time, event.time_ms)
        if seen != selection or self.info.get("event_count") != len(seen):
            missing = sorted(selected - set(seen))[:5]
            if not missing:
                raise Tampered(f"event_count in {INFO} disagrees with {EVENTS}")
            raise Tampered(f"events missing from {EVENTS}: leaf {', '.join(map(str, missing))}")
        span = f", leaf indexes {seen[0]}..{seen[-1]}" if seen else ""
        return f"{len(seen)} events, hashes and inclusion proofs verify{span}"


def verify_bundle(
    files: Mapping[str, bytes],
    trusted: Sequence[Verifier] | None = None,
    *,
    max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
) -> BundleReport:
    """Run every check group over a bundle's members; see the module docstring.

    Without `trusted` keys the bundle's own keys are used, which proves the
    bundle is intact but not who made it. Raises BundleFormatError only when
    the input is not a bundle at all.
    """
    info = load_info(files)
    report = BundleReport(key_source="trusted" if trusted else "bundle")
    try:
        found = bundle_keys(files)
    except Tampered as exc:
        found = {}
        report.checks.append(Check("keys", False, str(exc)))
    keys = list(trusted) if trusted else list(found.values())
    report.keys = [f"{k.algorithm}:{k.key_id()}" for k in keys]
    if not keys:
        return report
    run = _Verification(files, info, keys, max_skew_ms)
    groups: list[tuple[str, Callable[[], str]]] = [
        ("manifest", run.manifest),
        ("checkpoints", run.checkpoint_list),
        ("consistency", run.consistency),
        ("events", run.events),
    ]
    for name, group in groups:
        try:
            report.checks.append(Check(name, True, group()))
        except Tampered as exc:
            report.checks.append(Check(name, False, str(exc)))
    return report
