"""Fixtures for the audit library: keys, a fixed cast of events, logs built from them."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import pytest

from audit.canonical import canonical_bytes
from audit.events import Actor
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import Result
from audit.events import Target
from audit.log import MerkleLog
from audit.storage import MemoryStorage
from crypto.signing import Signer
from crypto.signing import Verifier
from crypto.signing import generate_signer

ORIGIN = "bank.example/enclave-desk/audit"
T0 = 1_795_248_000_000  # 2026-11-21T08:00:00.000Z

AGENT = Actor(id="agent:17", role="agent", ip="10.1.2.3", session_id="s-1")
AUDITOR = Actor(id="auditor:3", role="audit_admin", ip="10.1.9.9", session_id="s-9")


def make_event(n: int, **overrides: object) -> AuditEvent:
    """The n-th event of a plausible day: one second apart, cycling through a few actions."""
    actions = [
        EventType.LOGIN_SUCCEEDED,
        EventType.CONVERSATION_ASSIGNED,
        EventType.MESSAGE_POSTED,
        EventType.PII_REVEALED,
        EventType.CONVERSATION_CLOSED,
    ]
    fields: dict[str, object] = {
        "time_ms": T0 + n * 1000,
        "actor": AGENT,
        "action": actions[n % len(actions)],
        "target": Target(type="conversation", id=str(1000 + n)),
        "result": Result(ok=True),
        "request_id": f"req-{n}",
        "details": {"n": n, "channel": "web", "字段": "手机号"},
    }
    fields.update(overrides)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def event_bytes(n: int) -> bytes:
    return canonical_bytes(make_event(n))


@pytest.fixture(scope="session")
def signers() -> list[Signer]:
    """The log's dual signing keys: SM2 and Ed25519."""
    return [generate_signer("sm2"), generate_signer("ed25519")]


@pytest.fixture(scope="session")
def verifiers(signers: list[Signer]) -> list[Verifier]:
    return [s.verifier() for s in signers]


@pytest.fixture(scope="session")
def other_signers() -> list[Signer]:
    """Someone else's keys, for forged signatures."""
    return [generate_signer("sm2"), generate_signer("ed25519")]


BuildLog = Callable[..., MerkleLog]


def build_log(
    signers: Sequence[Signer],
    size: int,
    checkpoint_sizes: Sequence[int] = (),
    hash_name: str = "sm3",
) -> MerkleLog:
    """A log of `size` events with checkpoints signed at each of `checkpoint_sizes`."""
    log = MerkleLog(MemoryStorage(), hash_name)
    for cp_size in sorted(checkpoint_sizes):
        log.integrate([event_bytes(n) for n in range(log.size, cp_size)])
        log.sign_checkpoint(signers, ORIGIN, T0 + cp_size * 1000 + 500)
    log.integrate([event_bytes(n) for n in range(log.size, size)])
    return log
