"""Every single mutation of a log is caught, by verify_all AND by the standalone verifier.

Seeded, so a failure replays: the message names the seed, the log and the mutation.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from audit.bundle import bundle_files
from audit.bundle import manifest_bytes
from audit.bundle import pack
from audit.bundle_check import verify_bundle
from audit.storage import MemoryStorage
from audit.verify import main
from crypto.signing import Signer
from crypto.signing import Verifier
from tests.audit.conftest import ORIGIN
from tests.audit.conftest import T0
from tests.audit.conftest import build_log
from tests.audit.mutations import FORGERIES
from tests.audit.mutations import KINDS
from tests.audit.mutations import mutate_bundle
from tests.audit.mutations import mutate_storage
from tests.audit.mutations import random_mutation

SEED = 20261121
LOGS = 20
MUTATIONS_PER_LOG = 55
CLI_EVERY = 50  # also pack a tar and run main() on every 50th mutation


def test_it_detects_every_single_mutation(
    signers: list[Signer],
    verifiers: list[Verifier],
    other_signers: list[Signer],
    tmp_path: Path,
    capsys: object,
) -> None:
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    count = 0
    for number in range(LOGS):
        size = rng.randint(2, 40)
        extra = rng.sample(range(1, size), k=min(size - 1, rng.randint(0, 3)))
        hash_name = rng.choice(["sm3", "sha256"])
        log = build_log(signers, size, sorted({*extra, size}), hash_name)
        base = log.storage
        assert isinstance(base, MemoryStorage)
        assert log.verify_all(verifiers).ok
        files = bundle_files(log, range(size), signers, ORIGIN, created_ms=T0)
        assert verify_bundle(files, verifiers).valid
        for _ in range(MUTATIONS_PER_LOG):
            m = random_mutation(log, rng, other_signers)
            where = f"seed {SEED}, log {number} (size {size}, {hash_name}), mutation {m}"
            seen[m.kind if m.kind != "forge" else f"forge:{m.forgery}"] += 1
            count += 1

            report = mutate_storage(base, hash_name, m).verify_all(verifiers)
            assert not report.ok, f"verify_all missed it: {where}"

            tampered = mutate_bundle(files, m, rng)
            for keys in (verifiers, None):
                result = verify_bundle(tampered, keys)
                assert not result.valid, f"bundle verifier missed it: {where}"

            # The attacker re-computes MANIFEST (but cannot sign it): the
            # deeper checks must still find the change on their own.
            tampered["MANIFEST"] = manifest_bytes(tampered)
            result = verify_bundle(tampered, verifiers)
            deeper = [c for c in result.checks if not c.ok and c.group != "manifest"]
            assert deeper, f"only the manifest signature caught it: {where}"

            if count % CLI_EVERY == 0:
                path = tmp_path / f"m{count}.tar"
                pack(tampered, path)
                assert main([str(path)]) == 1, where
    assert count >= 1000
    assert {k for k in seen if not k.startswith("forge")} == set(KINDS) - {"forge"}
    assert {k.split(":")[1] for k in seen if k.startswith("forge")} == set(FORGERIES)
