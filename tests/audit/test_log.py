"""MerkleLog over MemoryStorage: sequencing, roots, proofs, checkpoint signing and verify_all."""

from __future__ import annotations

import pytest

from audit.checkpoint import parse_checkpoint
from audit.errors import InconsistentCheckpointError
from audit.errors import StorageError
from audit.errors import TreeError
from audit.log import MerkleLog
from audit.merkle import leaf_hash
from audit.merkle import root_from_leaf_hashes
from audit.merkle import verify_consistency
from audit.merkle import verify_inclusion
from audit.storage import Batch
from audit.storage import MemoryStorage
from audit.storage import SequencedEntry
from crypto.signing import Signer
from crypto.signing import Verifier
from tests.audit.conftest import ORIGIN
from tests.audit.conftest import T0
from tests.audit.conftest import build_log
from tests.audit.conftest import event_bytes


@pytest.mark.parametrize("hash_name", ["sm3", "sha256"])
def test_it_integrates_events_and_proves_them(hash_name: str) -> None:
    log = MerkleLog(MemoryStorage(), hash_name)
    assert log.root() == log.h(b"")
    events = [event_bytes(n) for n in range(37)]
    assert log.integrate(events[:20]) == range(0, 20)
    assert log.integrate([]) == range(20, 20)
    assert log.integrate(events[20:]) == range(20, 37)
    leaves = [leaf_hash(log.h, e) for e in events]
    for size in range(1, 38):
        assert log.root(size) == root_from_leaf_hashes(log.h, leaves[:size])
    for index in (0, 5, 31, 36):
        assert log.event(index) == events[index]
        verify_inclusion(log.h, index, 37, leaves[index], log.inclusion_proof(index), log.root())
    for size1 in range(1, 38):
        proof = log.consistency_proof(size1, 37)
        verify_consistency(log.h, size1, 37, proof, log.root(size1), log.root())


def test_it_sequences_pending_events_in_insertion_order() -> None:
    storage = MemoryStorage()
    log = MerkleLog(storage)
    refs = [storage.add_pending(event_bytes(n)) for n in range(5)]
    assert refs == [1, 2, 3, 4, 5]
    assert log.sequence(limit=3) == range(0, 3)
    assert [p.ref for p in storage.pending] == [4, 5]
    assert log.sequence() == range(3, 5)
    assert log.sequence() == range(5, 5)
    assert [log.event(i) for i in range(5)] == [event_bytes(n) for n in range(5)]


def test_it_refuses_out_of_range_positions() -> None:
    log = build_log([], 4)
    with pytest.raises(TreeError):
        log.root(5)
    with pytest.raises(TreeError):
        log.inclusion_proof(4, 4)
    with pytest.raises(TreeError):
        log.consistency_proof(0, 4)
    with pytest.raises(TreeError):
        log.event(4)


def test_it_makes_storage_refuse_a_batch_that_does_not_continue_the_tree() -> None:
    storage = MemoryStorage()
    MerkleLog(storage).integrate([event_bytes(0)])
    entry = SequencedEntry(index=5, leaf_hash=b"x" * 32, data=b"{}")
    with pytest.raises(StorageError, match="tree size 1"):
        storage.append(Batch(entries=[entry], nodes=[]))
    assert storage.tree_size() == 1


def test_it_signs_checkpoints_that_extend_the_last(signers: list[Signer]) -> None:
    log = build_log(signers, 10, [4])
    checkpoint = log.sign_checkpoint(signers, ORIGIN, T0 + 20_000)
    assert (checkpoint.size, checkpoint.root) == (10, log.root())
    assert log.latest_checkpoint() == checkpoint
    assert [c.size for c in log.checkpoints()] == [4, 10]
    log.sign_checkpoint(signers, ORIGIN, T0 + 20_000)  # same size again is consistent


def test_it_signs_the_empty_tree_and_then_extends_it(signers: list[Signer]) -> None:
    log = MerkleLog(MemoryStorage())
    assert log.sign_checkpoint(signers, ORIGIN, T0).size == 0
    log.integrate([event_bytes(0)])
    assert log.sign_checkpoint(signers, ORIGIN, T0 + 1000).size == 1


def test_it_refuses_to_sign_a_rewritten_history(signers: list[Signer]) -> None:
    log = build_log(signers, 6, [6])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    storage.levels[2][0] = b"\x00" * 32  # history below the checkpoint rewritten
    with pytest.raises(InconsistentCheckpointError, match="does not extend"):
        log.sign_checkpoint(signers, ORIGIN, T0 + 60_000)
    assert len(storage.notes) == 1


def test_it_refuses_to_sign_a_shrunk_log_a_new_origin_or_an_earlier_time(
    signers: list[Signer],
) -> None:
    log = build_log(signers, 6, [6])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    with pytest.raises(InconsistentCheckpointError, match="origin"):
        log.sign_checkpoint(signers, "other.example/log", T0 + 60_000)
    with pytest.raises(InconsistentCheckpointError, match="time"):
        log.sign_checkpoint(signers, ORIGIN, T0)
    del storage.events[5:], storage.levels[0][5:]
    with pytest.raises(InconsistentCheckpointError, match="tree size 5 < last signed 6"):
        log.sign_checkpoint(signers, ORIGIN, T0 + 60_000)


def test_it_verifies_an_intact_log(signers: list[Signer], verifiers: list[Verifier]) -> None:
    log = build_log(signers, 40, [1, 8, 8, 21, 33])
    report = log.verify_all(verifiers)
    assert report.ok, report.summary()
    assert (report.size, report.events_checked, report.checkpoints_checked) == (40, 40, 5)
    assert report.unwitnessed == 7
    assert report.nodes_checked == 40 - (40).bit_count()
    assert report.summary().startswith("VALID: 40 events")


def test_it_names_the_first_bad_leaf(signers: list[Signer], verifiers: list[Verifier]) -> None:
    log = build_log(signers, 20, [20])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    storage.events[13] = storage.events[13].replace(b"web", b"wob")
    storage.events[7] = storage.events[7].replace(b"web", b"wob")
    report = log.verify_all(verifiers)
    assert report.failure is not None
    assert (report.failure.kind, report.failure.leaf_index) == ("leaf", 7)
    assert report.summary() == "TAMPERED: leaf (leaf 7): stored leaf hash != hash of event bytes"


def test_it_names_a_checkpoint_beyond_the_log(
    signers: list[Signer], verifiers: list[Verifier]
) -> None:
    log = build_log(signers, 9, [4, 9])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    del storage.events[8:], storage.levels[0][8:]
    report = log.verify_all(verifiers)
    assert report.failure is not None
    assert report.failure.checkpoint == 2
    assert "truncated" in report.failure.reason


def test_it_catches_back_dated_events(signers: list[Signer], verifiers: list[Verifier]) -> None:
    log = build_log(signers, 5, [])
    log.integrate([event_bytes(-3600)])  # one hour before its predecessors
    log.sign_checkpoint(signers, ORIGIN, T0 + 10_000)
    report = log.verify_all(verifiers)
    assert report.failure is not None
    assert (report.failure.kind, report.failure.leaf_index) == ("event", 5)
    assert log.verify_all(verifiers, max_skew_ms=4 * 3600 * 1000).ok


def test_it_catches_events_dated_after_their_checkpoint(
    signers: list[Signer], verifiers: list[Verifier]
) -> None:
    log = build_log(signers, 5, [])
    log.sign_checkpoint(signers, ORIGIN, T0 - 3_600_000)
    report = log.verify_all(verifiers)
    assert report.failure is not None
    assert "after checkpoint" in report.failure.reason


def test_it_stores_checkpoints_verbatim(signers: list[Signer]) -> None:
    log = build_log(signers, 3, [3])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    assert parse_checkpoint(storage.notes[0]).note() == storage.notes[0]


def test_it_names_a_corrupt_stored_node(signers: list[Signer], verifiers: list[Verifier]) -> None:
    log = build_log(signers, 16, [16])
    storage = log.storage
    assert isinstance(storage, MemoryStorage)
    storage.levels[2][1] = bytes(32)  # covers leaves 4..7
    report = log.verify_all(verifiers)
    assert report.failure is not None
    assert (report.failure.kind, report.failure.leaf_index) == ("node", 4)
    assert "(2, 1)" in report.failure.reason
