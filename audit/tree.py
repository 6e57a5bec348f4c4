"""Which node hashes the log stores, and how proofs are assembled from them.

This code cannot do I/O. Layout (the storage keeps exactly this): the hash of
every *complete, aligned* subtree, at every level. Node (level, position) covers
leaves [position * 2**level, (position + 1) * 2**level) and exists once the
tree size reaches (position + 1) * 2**level; level 0 is the leaf hashes. A node, once
written, never changes, so the tables are INSERT-only. That is about 2n hashes
for n leaves (64 bytes per event with a 32-byte hash), and buys proofs that
need no rehashing of leaves: every proof is O(log n) stored nodes plus at most
one "ephemeral" node (an incomplete right edge) folded from O(log n) of them.
We rejected tiles (only every k-th level stored) because in Python each
missing level costs up to 2**k hashes per proof element, which misses the
1 ms budget for a proof at a million leaves.

Appends go through `CompactRange`, the frontier of complete subtrees covering
[0, size) (RFC 9162 / transparency-dev "compact range"): appending a leaf
merges at most log2(n) nodes and emits every node it completes, amortised
one node hash per leaf.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import NamedTuple

from audit.merkle import HashFn
from audit.merkle import empty_root
from audit.merkle import largest_power_of_two_below
from audit.merkle import node_hash


class NodeId(NamedTuple):
    """A complete, aligned subtree: leaves [position << level, (position + 1) << level)."""

    level: int
    position: int


# One element of a proof: the hash of a range of leaves, given as the stored
# complete subtrees that cover it, left to right (one node, or several for the
# ephemeral right-edge node).
ProofPlan = list[list[NodeId]]


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """Return the complete aligned subtrees covering [begin, end), left to right.

    For [0, size) this is one node per set bit of size, largest first.
    """
    nodes: list[NodeId] = []
    while begin < end:
        # The largest aligned block starting at `begin` that fits in the range.
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while begin + (1 << level) > end:
            level -= 1
        nodes.append(NodeId(level, begin >> level))
        begin += 1 << level
    return nodes


def fold(h: HashFn, hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of `range_nodes(b, e)` into MTH(D[b:e]), right to left."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(h, left, result)
    return result


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Return the nodes of PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), leaf side first."""
    plan: ProofPlan = []
    start, n, m = 0, size, index
    while n > 1:
        k = largest_power_of_two_below(n)
        if m < k:
            plan.append(range_nodes(start + k, start + n))
            n = k
        else:
            plan.append(range_nodes(start, start + k))
            start, n, m = start + k, n - k, m - k
    plan.reverse()
    return plan


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Return the nodes of PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1), lowest first."""
    plan: ProofPlan = []
    start, n, m, whole = 0, size2, size1, True
    while m != n:
        k = largest_power_of_two_below(n)
        if m <= k:
            plan.append(range_nodes(start + k, start + n))
            n = k
        else:
            plan.append(range_nodes(start, start + k))
            start, n, m, whole = start + k, n - k, m - k, False
    if not whole:
        # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's right edge.
        plan.append(range_nodes(start, start + n))
    plan.reverse()
    return plan


def plan_nodes(plan: ProofPlan) -> list[NodeId]:
    """Return every distinct node a plan needs, for one batched storage read."""
    return list(dict.fromkeys(node for element in plan for node in element))


def build_proof(h: HashFn, plan: ProofPlan, hashes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Turn a plan into proof hashes, given the hashes of `plan_nodes(plan)`."""
    return [fold(h, [hashes[node] for node in element]) for element in plan]


class CompactRange:
    """The frontier of [0, size): one hash per set bit of size, the largest subtree first.

    `append` adds a leaf and returns the interior nodes it completes, which
    the sequencer writes in the same batch as the leaf.
    """

    __slots__ = ("_h", "_hashes", "size")

    def __init__(self, h: HashFn, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        self._h = h
        self.size = size
        self._hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return the (node, hash) pairs completed at levels >= 1."""
        completed: list[tuple[NodeId, bytes]] = []
        value, index, level = leaf, self.size, 0
        # An odd index is a right child: its left sibling is the frontier's last entry.
        while index & 1:
            value = node_hash(self._h, self._hashes.pop(), value)
            index >>= 1
            level += 1
            completed.append((NodeId(level, index), value))
        self._hashes.append(value)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """Return MTH(D[0:size]); h("") for the empty tree."""
        if not self._hashes:
            return empty_root(self._h)
        return fold(self._h, self._hashes)
