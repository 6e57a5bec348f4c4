"""Merkle hashing, proof generation from stored nodes, and the compact range appender."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from audit.errors import ProofError
from audit.merkle import HashFn
from audit.merkle import empty_root
from audit.merkle import largest_power_of_two_below
from audit.merkle import leaf_hash
from audit.merkle import node_hash
from audit.merkle import root_from_leaf_hashes
from audit.merkle import verify_consistency
from audit.merkle import verify_inclusion
from audit.tree import CompactRange
from audit.tree import NodeId
from audit.tree import build_proof
from audit.tree import consistency_plan
from audit.tree import inclusion_plan
from audit.tree import plan_nodes
from audit.tree import range_nodes
from crypto.hashing import hash_function

HASHES = {name: hash_function(name) for name in ("sm3", "sha256")}


def mth(h: HashFn, leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, written as the recursive definition reads."""
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = largest_power_of_two_below(len(leaves))
    return node_hash(h, mth(h, leaves[:k]), mth(h, leaves[k:]))


def path(h: HashFn, m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH, recursively."""
    if len(leaves) == 1:
        return []
    k = largest_power_of_two_below(len(leaves))
    if m < k:
        return [*path(h, m, leaves[:k]), mth(h, leaves[k:])]
    return [*path(h, m - k, leaves[k:]), mth(h, leaves[:k])]


def subproof(h: HashFn, m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF, recursively."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(h, leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(h, m, leaves[:k], whole), mth(h, leaves[k:])]
    return [*subproof(h, m - k, leaves[k:], False), mth(h, leaves[:k])]


def grow(h: HashFn, size: int) -> tuple[list[bytes], dict[NodeId, bytes]]:
    """Leaves of a tree of `size`, and every node the appender stores for it."""
    leaves = [leaf_hash(h, f"event {i}".encode()) for i in range(size)]
    nodes: dict[NodeId, bytes] = {}
    frontier = CompactRange(h)
    for i, value in enumerate(leaves):
        nodes[NodeId(0, i)] = value
        nodes.update(frontier.append(value))
    return leaves, nodes


def test_it_hashes_leaves_and_nodes_with_rfc9162_prefixes() -> None:
    h = HASHES["sha256"]
    assert leaf_hash(h, b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(h, b"L", b"R") == hashlib.sha256(b"\x01LR").digest()
    assert empty_root(h) == hashlib.sha256(b"").digest()
    # RFC 6962 test vector: the root of the empty tree.
    assert empty_root(h).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_it_covers_ranges_with_aligned_subtrees() -> None:
    assert range_nodes(0, 0) == []
    assert range_nodes(0, 13) == [NodeId(3, 0), NodeId(2, 2), NodeId(0, 12)]
    assert range_nodes(5, 12) == [NodeId(0, 5), NodeId(1, 3), NodeId(2, 2)]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=0, max_value=300), name=st.sampled_from(sorted(HASHES)))
def test_it_computes_the_root_of_the_recursive_definition(size: int, name: str) -> None:
    h = HASHES[name]
    leaves, nodes = grow(h, size)
    expected = mth(h, leaves)
    assert root_from_leaf_hashes(h, leaves) == expected
    frontier = CompactRange(h)
    for value in leaves:
        frontier.append(value)
    assert frontier.root() == expected
    for node, value in nodes.items():
        first = node.position << node.level
        assert value == mth(h, leaves[first : first + (1 << node.level)])


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=1, max_value=200), data=st.data())
def test_it_generates_inclusion_proofs_that_verify(size: int, data: st.DataObject) -> None:
    h = HASHES["sm3"]
    leaves, nodes = grow(h, size)
    root = mth(h, leaves)
    for index in range(size):
        proof = build_proof(h, inclusion_plan(index, size), nodes)
        assert proof == path(h, index, leaves)
        verify_inclusion(h, index, size, leaves[index], proof, root)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    with pytest.raises(ProofError):
        proof = build_proof(h, inclusion_plan(index, size), nodes)
        verify_inclusion(h, index, size, leaves[other], proof, root)


@settings(max_examples=40, deadline=None)
@given(size2=st.integers(min_value=1, max_value=130))
def test_it_generates_consistency_proofs_that_verify(size2: int) -> None:
    h = HASHES["sha256"]
    leaves, nodes = grow(h, size2)
    root2 = mth(h, leaves)
    for size1 in range(1, size2 + 1):
        proof = build_proof(h, consistency_plan(size1, size2), nodes)
        assert proof == subproof(h, size1, leaves, True)
        verify_consistency(h, size1, size2, proof, mth(h, leaves[:size1]), root2)
        if size1 < size2:
            with pytest.raises(ProofError):
                verify_consistency(
                    h, size1, size2, proof, mth(h, leaves[: size1 - 1] or [h(b"x")]), root2
                )


def test_it_reads_few_stored_nodes_per_proof() -> None:
    size = 1_000_003
    for index in (0, 1, 524_287, 999_999, size - 1):
        plan = inclusion_plan(index, size)
        assert len(plan) <= 21
        assert len(plan_nodes(plan)) <= 2 * 21
    assert len(plan_nodes(consistency_plan(777_777, size))) <= 2 * 21


def test_it_emits_each_completed_subtree_once_when_appending() -> None:
    h = HASHES["sha256"]
    frontier = CompactRange(h)
    emitted = [node for i in range(8) for node, _ in frontier.append(leaf_hash(h, bytes([i])))]
    assert emitted == [
        NodeId(1, 0),
        NodeId(1, 1),
        NodeId(2, 0),
        NodeId(1, 2),
        NodeId(1, 3),
        NodeId(2, 1),
        NodeId(3, 0),
    ]
    with pytest.raises(ValueError, match="frontier"):
        CompactRange(h, 3, [b"only one"])


@pytest.mark.parametrize(
    ("size1", "size2", "reason"),
    [(0, 5, "empty tree"), (6, 5, "size1"), (3, 3, "empty proof")],
)
def test_it_refuses_consistency_outside_policy(size1: int, size2: int, reason: str) -> None:
    h = HASHES["sha256"]
    with pytest.raises(ProofError, match=reason):
        verify_consistency(h, size1, size2, [h(b"p")], h(b"a"), h(b"a"))


def test_it_refuses_hashes_of_the_wrong_length() -> None:
    h = HASHES["sha256"]
    with pytest.raises(ProofError, match="bytes"):
        verify_inclusion(h, 0, 2, h(b"leaf"), [b"short"], h(b"root"))
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(h, 2, 2, h(b"leaf"), [h(b"x")], h(b"root"))
