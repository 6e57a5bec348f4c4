from pathlib import Path

import pytest

from crypto.aead import Algorithm
from crypto.keyring import KeyRing
from crypto.keys import KeyEncryptionKey


@pytest.fixture
def kek() -> KeyEncryptionKey:
    return KeyEncryptionKey.generate()


@pytest.fixture(params=list(Algorithm), ids=lambda a: a.label)
def algorithm(request: pytest.FixtureRequest) -> Algorithm:
    return Algorithm(request.param)


@pytest.fixture
def keyring(tmp_path: Path, kek: KeyEncryptionKey, algorithm: Algorithm) -> KeyRing:
    return KeyRing.create(tmp_path / "keystore.json", kek, algorithm)
