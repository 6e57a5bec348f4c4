"""Full re-verification of a stored log: what `MerkleLog.verify_all()` runs.

One pass over the leaves, in order, stopping at the first failure so the
report names the earliest place the log went wrong:

- each leaf hash is recomputed from the stored event bytes and compared with
  the stored leaf hash;
- the tree is rebuilt with a compact range and every stored node hash is
  compared with the rebuilt one as soon as it is complete;
- event times may not go backwards by more than `max_skew_ms`, and may not
  be later than the first checkpoint covering them by more than that (both
  catch back-dated inserts);
- when the rebuilt tree reaches a checkpoint's size, the checkpoint is
  parsed, its signatures verified, its root compared with the rebuilt root,
  and it is checked against the previous checkpoint: same origin, size and
  time not decreasing, and a consistency proof from the stored nodes that
  verifies;
- finally, a checkpoint larger than the log means the log was truncated.

Leaves after the latest checkpoint are covered by no signature yet; the
report counts them (`unwitnessed`) rather than calling them bad.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit.checkpoint import Checkpoint
from audit.checkpoint import parse_checkpoint
from audit.checkpoint import verify_checkpoint
from audit.errors import AuditError
from audit.merkle import empty_root
from audit.merkle import verify_consistency
from audit.tree import CompactRange
from audit.tree import NodeId
from crypto.signing import Verifier

if TYPE_CHECKING:
    from audit.log import MerkleLog

DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000
CHUNK = 1 << 14


@dataclass(frozen=True)
class Failure:
    """The first thing found wrong: a kind, a reason, and where."""

    kind: str  # "event" | "leaf" | "node" | "checkpoint" | "storage"
    reason: str
    leaf_index: int | None = None
    checkpoint: int | None = None  # 1-based position in signing order

    def __str__(self) -> str:
        where = []
        if self.leaf_index is not None:
            where.append(f"leaf {self.leaf_index}")
        if self.checkpoint is not None:
            where.append(f"checkpoint #{self.checkpoint}")
        return f"{self.kind} ({', '.join(where) or 'log'}): {self.reason}"


@dataclass(frozen=True)
class VerificationReport:
    """What `verify_all` checked, and the first failure if any."""

    size: int
    events_checked: int
    nodes_checked: int
    checkpoints_checked: int
    unwitnessed: int
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return self.failure is None

    def summary(self) -> str:
        """One line for a log file or the CLI."""
        if self.failure is not None:
            return f"TAMPERED: {self.failure}"
        return (
            f"VALID: {self.events_checked} events, {self.nodes_checked} nodes,"
            f" {self.checkpoints_checked} checkpoints; {self.unwitnessed} leaves after"
            " the latest checkpoint"
        )


class _Stop(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def event_time_ms(data: bytes) -> int:
    """Return an event's time_ms with a cheap parse (no canonical-form check)."""
    try:
        value = json.loads(data)["time_ms"]
    except (ValueError, TypeError, KeyError):
        raise ValueError("not a readable event") from None
    if type(value) is not int:
        raise ValueError("time_ms is not an integer")
    return value


def completed_nodes(begin: int, end: int) -> list[NodeId]:
    """Nodes at level >= 1 that become complete while leaves [begin, end) are appended.

    Node (l, p) completes with leaf (p + 1) * 2**l - 1, so p runs over
    [begin >> l, end >> l).
    """
    ids: list[NodeId] = []
    level = 1
    while (1 << level) <= end:
        ids.extend(NodeId(level, p) for p in range(begin >> level, end >> level))
        level += 1
    return ids


class _Walk:
    """State of one verification pass."""

    def __init__(self, log: MerkleLog, verifiers: Sequence[Verifier], max_skew_ms: int) -> None:
        self.log = log
        self.h = log.h
        self.verifiers = verifiers
        self.skew = max_skew_ms
        self.frontier = CompactRange(self.h)
        self.checkpoints: list[Checkpoint] = []
        self.next_cp = 0
        self.roots: dict[int, bytes] = {0: empty_root(self.h)}
        self.max_time: int | None = None
        self.nodes_checked = 0

    def run(self) -> None:
        for number, note in enumerate(self.log.storage.checkpoints(), start=1):
            try:
                self.checkpoints.append(parse_checkpoint(note))
            except AuditError as exc:
                raise _Stop(Failure("checkpoint", str(exc), checkpoint=number)) from None
        size = self.log.storage.tree_size()
        self._reach(0)
        for begin in range(0, size, CHUNK):
            self._chunk(begin, min(begin + CHUNK, size))
        if self.next_cp < len(self.checkpoints):
            cp = self.checkpoints[self.next_cp]
            raise _Stop(
                Failure(
                    "checkpoint",
                    f"signed tree size {cp.size} but the log has {size} leaves (truncated?)",
                    checkpoint=self.next_cp + 1,
                )
            )

    def _chunk(self, begin: int, end: int) -> None:
        storage = self.log.storage
        try:
            events = storage.get_events(begin, end)
            leaves = storage.get_nodes([NodeId(0, i) for i in range(begin, end)])
            ids = completed_nodes(begin, end)
            stored = dict(zip(ids, storage.get_nodes(ids), strict=True))
        except AuditError as exc:
            raise _Stop(Failure("storage", str(exc), leaf_index=begin)) from None
        h = self.h
        for offset, data in enumerate(events):
            index = begin + offset
            value = h(b"\x00" + data)
            if value != leaves[offset]:
                raise _Stop(Failure("leaf", "stored leaf hash != hash of event bytes", index))
            self._check_time(index, data)
            for node, computed in self.frontier.append(value):
                self.nodes_checked += 1
                if stored.get(node) != computed:
                    first = node.position << node.level
                    reason = f"stored hash of node {tuple(node)} is wrong"
                    raise _Stop(Failure("node", reason, first))
            self._reach(index + 1)

    def _check_time(self, index: int, data: bytes) -> None:
        try:
            time_ms = event_time_ms(data)
        except ValueError as exc:
            raise _Stop(Failure("event", str(exc), index)) from None
        if self.max_time is not None and time_ms < self.max_time - self.skew:
            reason = f"time {time_ms} is more than {self.skew} ms before an earlier event"
            raise _Stop(Failure("event", reason, index))
        self.max_time = time_ms if self.max_time is None else max(self.max_time, time_ms)
        if self.next_cp < len(self.checkpoints):
            cp = self.checkpoints[self.next_cp]
            if time_ms > cp.time_ms + self.skew:
                reason = f"time {time_ms} is after checkpoint {cp.size} signed at {cp.time_ms}"
                raise _Stop(Failure("event", reason, index, self.next_cp + 1))

    def _reach(self, size: int) -> None:
        """Check every checkpoint of exactly `size` now that the tree has that size."""
        while self.next_cp < len(self.checkpoints):
            cp = self.checkpoints[self.next_cp]
            if cp.size > size:
                return
            number = self.next_cp + 1
            if cp.size < size:
                reason = f"size {cp.size} is below the previous checkpoint's"
                raise _Stop(Failure("checkpoint", reason, checkpoint=number))
            self._check_checkpoint(cp, number)
            self.next_cp += 1

    def _check_checkpoint(self, cp: Checkpoint, number: int) -> None:
        def stop(reason: str) -> _Stop:
            return _Stop(Failure("checkpoint", reason, checkpoint=number))

        try:
            verify_checkpoint(cp, self.verifiers)
        except AuditError as exc:
            raise stop(str(exc)) from None
        if cp.root != self.frontier.root():
            raise stop(f"root of size {cp.size} does not match the rebuilt tree")
        if number > 1:
            prev = self.checkpoints[number - 2]
            if cp.origin != prev.origin:
                raise stop(f"origin {cp.origin!r} differs from {prev.origin!r}")
            if cp.time_ms < prev.time_ms:
                raise stop("time is before the previous checkpoint's")
            if prev.size > 0:
                try:
                    proof = self.log.consistency_proof(prev.size, cp.size)
                    verify_consistency(self.h, prev.size, cp.size, proof, prev.root, cp.root)
                except AuditError as exc:
                    raise stop(f"not consistent with checkpoint #{number - 1}: {exc}") from None


def verify_log(
    log: MerkleLog, verifiers: Sequence[Verifier], *, max_skew_ms: int = DEFAULT_MAX_SKEW_MS
) -> VerificationReport:
    """Re-verify every event, node and checkpoint of `log`; see the module docstring."""
    walk = _Walk(log, verifiers, max_skew_ms)
    failure: Failure | None = None
    try:
        walk.run()
    except _Stop as stop:
        failure = stop.failure
    size = walk.frontier.size
    witnessed = walk.checkpoints[walk.next_cp - 1].size if walk.next_cp else 0
    return VerificationReport(
        size=log.storage.tree_size(),
        events_checked=size,
        nodes_checked=walk.nodes_checked,
        checkpoints_checked=walk.next_cp,
        unwitnessed=max(0, log.storage.tree_size() - witnessed),
        failure=failure,
    )
