"""RFC 9162 (CT v2, formerly RFC 6962) Merkle tree hashing and proof verification.

This code cannot do I/O. The hash is a parameter (`HashFn`), so one tree
shape serves SM3 (the appliance default, for GB/T 39786) and SHA-256 (what
the transparency-dev test vectors use). Domain separation follows RFC 9162
§2.1.1: a leaf is h(0x00 || data), an interior node h(0x01 || left || right),
and the empty tree's root is h("").

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally, with the
input policy of transparency-dev/merkle `proof/verify.go`: inclusion needs
0 <= index < size; consistency needs 0 < size1 <= size2 (a proof from the
empty tree proves nothing); equal sizes need an empty proof and equal roots;
every leaf and proof hash must be exactly one digest long.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from collections.abc import Sequence

from audit.errors import ProofError

HashFn = Callable[[bytes], bytes]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(h: HashFn, data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash h(0x00 || data)."""
    return h(LEAF_PREFIX + data)


def node_hash(h: HashFn, left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash h(0x01 || left || right)."""
    return h(NODE_PREFIX + left + right)


def empty_root(h: HashFn) -> bytes:
    """Return the root of the empty tree, h("") (RFC 9162 §2.1.1)."""
    return h(b"")


def largest_power_of_two_below(n: int) -> int:
    """Return k, the largest power of two with k < n (RFC 9162's split point); n > 1."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(h: HashFn, leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash MTH(D[n]) of a whole list of leaf hashes.

    Pairs adjacent hashes level by level; a lone right-most hash is carried up
    unchanged, which yields exactly RFC 9162's split at the largest power of
    two below n. O(n) hashes; used by tests and small trees, never by proof
    generation (which reads stored node hashes instead).
    """
    if not leaf_hashes:
        return empty_root(h)
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(h, level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _check_lengths(size: int, *hashes: bytes) -> None:
    for value in hashes:
        if len(value) != size:
            raise ProofError(f"hash of {len(value)} bytes, expected {size}")


def root_from_inclusion_proof(
    h: HashFn, index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4).

    Raises ProofError when the inputs cannot form a proof (index out of range,
    wrong hash length, proof too long or too short).
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside tree of size {size}")
    _check_lengths(len(h(b"")), leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(h, p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(h, r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    return r


def verify_inclusion(
    h: HashFn, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf` is the leaf hash at `index` in the tree of `size` with `root`.

    Returns None on success; raises ProofError otherwise.
    """
    if not _same(root_from_inclusion_proof(h, index, size, leaf, proof), root):
        raise ProofError(f"inclusion proof for leaf {index} does not match the root of {size}")


def verify_consistency(
    h: HashFn, size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of `size2` with `root2` extends the tree of `size1` with `root1`.

    RFC 9162 §2.1.4.2 with transparency-dev's policy: requires 0 < size1 <= size2.
    Returns None on success; raises ProofError otherwise.
    """
    if size1 > size2:
        raise ProofError(f"size1 {size1} > size2 {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if not _same(root1, root2):
            raise ProofError(f"different roots for the same size {size1}")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_lengths(len(h(b"")), *proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # size1 is a power of two: its root is itself a node of the larger tree.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(h, c, fr)
            sr = node_hash(h, c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(h, sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof too short")
    if not _same(fr, root1):
        raise ProofError(f"consistency proof does not match the root of {size1}")
    if not _same(sr, root2):
        raise ProofError(f"consistency proof does not match the root of {size2}")
