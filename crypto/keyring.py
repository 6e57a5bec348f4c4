"""KeyRing: the data keys of one installation, persisted in one keystore file.

New values are sealed under the current key; every older key that has not
been destroyed still opens what it sealed, so rotation needs no downtime and
re-encryption can run in the background. Destroying a key (crypto-shredding)
removes its wrapped bytes and leaves a tombstone.

Concurrency: the unwrapped keys live in one immutable snapshot that is
replaced wholesale, so encrypt/decrypt read it without a lock from any thread
or greenlet. Changes take a threading lock (greenlet-aware under gevent's
monkey-patching) plus an advisory file lock, re-read the file, and write it
back atomically, so an admin CLI and the server can both rotate safely.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from crypto import envelope
from crypto import keystore
from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.errors import KeyDestroyedError
from crypto.errors import KeyNotFoundError
from crypto.errors import KeyStateError
from crypto.hashing import BLIND_INDEX_KEY_SIZE
from crypto.hashing import BlindIndex
from crypto.keys import DataKey
from crypto.keys import KdfParams
from crypto.keys import KeyEncryptionKey

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(clock: Clock) -> str:
    return clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    store: keystore.Keystore
    stamp: tuple[int, int, int] | None
    keys: dict[int, DataKey]
    destroyed: frozenset[int]
    current: DataKey
    blind_index: BlindIndex


class KeyRing:
    """The data keys of one keystore file, unwrapped with one KEK. Use `create` or `load`."""

    def __init__(self, path: Path, kek: KeyEncryptionKey, snapshot: _Snapshot, clock: Clock):
        self._path = path
        self._kek = kek
        self._snapshot = snapshot
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        snap = self._snapshot
        return (
            f"KeyRing(path={str(self._path)!r}, current_key_id={snap.current.key_id}, "
            f"keys={len(snap.store.keys)})"
        )

    __str__ = __repr__

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        kek: KeyEncryptionKey,
        algorithm: Algorithm = Algorithm.SM4_GCM,
        *,
        kdf: KdfParams | None = None,
        clock: Clock = _utcnow,
    ) -> KeyRing:
        """Create a new keystore at `path` with one active data key; refuse to overwrite.

        `algorithm` also picks how the KEK wraps keys (SM4-GCM or AES-256-GCM).
        `kdf`, when the KEK came from a passphrase, may be stored here (it is not
        secret) so the passphrase can be turned back into the KEK.
        """
        path = Path(path)
        record = keystore.KeyRecord(1, algorithm, _iso(clock), keystore.ACTIVE)
        record = replace(record, wrapped=_wrap_new_key(kek, algorithm, record))
        blind = kek.wrap(algorithm, os.urandom(BLIND_INDEX_KEY_SIZE), aad=keystore.BLIND_INDEX_AAD)
        store = keystore.Keystore(algorithm, 1, blind, (record,), kdf)
        keystore.write(path, store, create=True)
        return cls.load(path, kek, clock=clock)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], kek: KeyEncryptionKey, *, clock: Clock = _utcnow
    ) -> KeyRing:
        """Open an existing keystore; raise KeyUnwrapError if `kek` is not the one that wrote it."""
        path = Path(path)
        return cls(path, kek, _unwrap(kek, *keystore.read(path)), clock)

    @staticmethod
    def kdf_params(path: str | os.PathLike[str]) -> KdfParams | None:
        """Return the passphrase KDF parameters stored in a keystore, or None."""
        return keystore.read(Path(path))[0].kdf

    @property
    def path(self) -> Path:
        """The keystore file."""
        return self._path

    @property
    def algorithm(self) -> Algorithm:
        """The algorithm new values are sealed with (the current key's)."""
        return self._snapshot.current.algorithm

    @property
    def current_key_id(self) -> int:
        """The id of the key new values are sealed with."""
        return self._snapshot.current.key_id

    @property
    def key_ids(self) -> tuple[int, ...]:
        """Every key id in the keystore, destroyed ones included, in creation order."""
        return tuple(record.key_id for record in self._snapshot.store.keys)

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Seal `plaintext` under the current key, bound to `context`; return the envelope."""
        return envelope.seal(self._snapshot.current, plaintext, context=context)

    def decrypt(self, sealed: bytes, *, context: bytes) -> bytes:
        """Open an envelope sealed by any live key of this keystore.

        Raises EnvelopeError, AuthenticationError, KeyNotFoundError or
        KeyDestroyedError.
        """
        return envelope.open_(self._resolve, sealed, context=context)

    def needs_reencrypt(self, sealed: bytes) -> bool:
        """True when the envelope is not under the current key; EnvelopeError if malformed."""
        return envelope.parse_header(sealed).key_id != self._snapshot.current.key_id

    def reencrypt(self, sealed: bytes, *, context: bytes) -> bytes:
        """Return the envelope re-sealed under the current key; unchanged if it already is."""
        if not self.needs_reencrypt(sealed):
            return sealed
        return self.encrypt(self.decrypt(sealed, context=context), context=context)

    def rotate(self, algorithm: Algorithm | None = None) -> int:
        """Add a new data key and make it current; the previous one is retired, not removed.

        Returns the new key id. `algorithm` defaults to the current one.
        """

        def change(store: keystore.Keystore) -> keystore.Keystore:
            new_id = max(r.key_id for r in store.keys) + 1
            chosen = algorithm or _current_record(store).algorithm
            record = keystore.KeyRecord(new_id, chosen, _iso(self._clock), keystore.ACTIVE)
            record = replace(record, wrapped=_wrap_new_key(self._kek, store.wrap_algorithm, record))
            retired = tuple(
                replace(r, status=keystore.RETIRED) if r.status == keystore.ACTIVE else r
                for r in store.keys
            )
            return replace(store, current_key_id=new_id, keys=(*retired, record))

        return self._mutate(change).current.key_id

    def destroy(self, key_id: int) -> None:
        """Crypto-shred a key: its wrapped bytes leave the keystore, a tombstone stays.

        Everything it sealed becomes unrecoverable (KeyDestroyedError) in this
        and, after their next reload, every other process. Backups of the
        keystore still hold it (see docs/crypto.md). The current key cannot be
        destroyed (KeyStateError): rotate first. Destroying twice is a no-op.
        """

        def change(store: keystore.Keystore) -> keystore.Keystore:
            if key_id == store.current_key_id:
                raise KeyStateError(f"key {key_id} is current; rotate before destroying it")
            if key_id not in {r.key_id for r in store.keys}:
                raise KeyNotFoundError(f"key id {key_id}")
            keys = tuple(
                replace(r, status=keystore.DESTROYED, wrapped=None, destroyed_at=_iso(self._clock))
                if r.key_id == key_id and r.status != keystore.DESTROYED
                else r
                for r in store.keys
            )
            return replace(store, keys=keys)

        self._mutate(change)

    def blind_index(self) -> BlindIndex:
        """Return the blind index keyed by this keystore's blind-index key."""
        return self._snapshot.blind_index

    def describe(self) -> list[dict[str, Any]]:
        """Return id, algorithm, status, created_at (and destroyed_at) per key; no secrets."""
        current = self._snapshot.current.key_id
        return [
            {
                "id": r.key_id,
                "algorithm": r.algorithm.label,
                "status": r.status,
                "created_at": r.created_at,
                "destroyed_at": r.destroyed_at,
                "current": r.key_id == current,
            }
            for r in self._snapshot.store.keys
        ]

    def reload(self) -> None:
        """Re-read the keystore from disk (another process may have rotated or destroyed)."""
        with self._lock:
            self._snapshot = _unwrap(self._kek, *keystore.read(self._path))

    def _resolve(self, key_id: int) -> DataKey:
        snap = self._snapshot
        # Another process may have rotated: reload once, and only if the file changed,
        # so a flood of envelopes naming bogus ids does not become a flood of reads.
        unknown = key_id not in snap.keys and key_id not in snap.destroyed
        if unknown and keystore.stamp(self._path) != snap.stamp:
            self.reload()
            snap = self._snapshot
        if key_id in snap.destroyed:
            raise KeyDestroyedError(f"key id {key_id}")
        key = snap.keys.get(key_id)
        if key is None:
            raise KeyNotFoundError(f"key id {key_id}")
        return key

    def _mutate(self, change: Callable[[keystore.Keystore], keystore.Keystore]) -> _Snapshot:
        with self._lock, keystore.locked(self._path):
            store, _ = keystore.read(self._path)
            keystore.write(self._path, change(store), create=False)
            self._snapshot = _unwrap(self._kek, *keystore.read(self._path))
            return self._snapshot


def _current_record(store: keystore.Keystore) -> keystore.KeyRecord:
    return next(r for r in store.keys if r.key_id == store.current_key_id)


def _wrap_new_key(kek: KeyEncryptionKey, wrap: Algorithm, record: keystore.KeyRecord) -> bytes:
    aad = keystore.data_key_aad(record.key_id, record.algorithm)
    return kek.wrap(wrap, generate_key(record.algorithm), aad=aad)


def _unwrap(
    kek: KeyEncryptionKey, store: keystore.Keystore, stamp: tuple[int, int, int] | None
) -> _Snapshot:
    keys: dict[int, DataKey] = {}
    for record in store.keys:
        if record.wrapped is not None:
            aad = keystore.data_key_aad(record.key_id, record.algorithm)
            secret = kek.unwrap(store.wrap_algorithm, record.wrapped, aad=aad)
            keys[record.key_id] = DataKey(record.key_id, record.algorithm, secret)
    blind = kek.unwrap(store.wrap_algorithm, store.blind_index_key, aad=keystore.BLIND_INDEX_AAD)
    return _Snapshot(
        store=store,
        stamp=stamp,
        keys=keys,
        destroyed=frozenset(r.key_id for r in store.keys if r.wrapped is None),
        current=keys[store.current_key_id],
        blind_index=BlindIndex(blind),
    )
