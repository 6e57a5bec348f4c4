"""Every transparency-dev/merkle inclusion and consistency vector, including the negative ones."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from audit.errors import ProofError
from audit.merkle import verify_consistency
from audit.merkle import verify_inclusion

VECTORS = Path(__file__).parent / "vectors"
FILES = sorted(VECTORS.rglob("*.json"))
EXPECTED_COUNT = 196  # 98 inclusion + 98 consistency, as published


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _run(vector: dict[str, Any]) -> None:
    proof = [_b(p) for p in vector["proof"] or []]
    if "leafIdx" in vector:
        verify_inclusion(
            sha256,
            vector["leafIdx"],
            vector["treeSize"],
            _b(vector["leafHash"]),
            proof,
            _b(vector["root"]),
        )
    else:
        verify_consistency(
            sha256,
            vector["size1"],
            vector["size2"],
            proof,
            _b(vector["root1"]),
            _b(vector["root2"]),
        )


def test_it_ships_every_vector() -> None:
    assert len(FILES) == EXPECTED_COUNT
    kinds = {f.relative_to(VECTORS).parts[0] for f in FILES}
    assert kinds == {"inclusion", "consistency"}
    assert (VECTORS / "NOTICE").read_text().count("Apache License") == 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(VECTORS)))
def test_it_agrees_with_transparency_dev(path: Path) -> None:
    vector = json.loads(path.read_text())
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            _run(vector)
    else:
        _run(vector)
