"""The keystore file: one JSON document holding every wrapped key, written atomically.

Format (version 1), field by field, is documented in docs/crypto.md. The file
holds no plaintext secret: data keys and the blind-index key are wrapped by
the KEK, and each wrap's associated data names what is wrapped (key id and
algorithm), so a wrapped key moved to another entry does not unwrap.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto._fs import fsync_dir
from crypto.aead import Algorithm
from crypto.errors import KeyFileError
from crypto.keys import KdfParams

FORMAT = "enclave-desk-keystore"
VERSION = 1
ACTIVE, RETIRED, DESTROYED = "active", "retired", "destroyed"
STATUSES = (ACTIVE, RETIRED, DESTROYED)
BLIND_INDEX_AAD = b"enclave-desk keystore v1\x00blind-index-key"


def data_key_aad(key_id: int, algorithm: Algorithm) -> bytes:
    """The associated data of a wrapped data key: binds it to its id and algorithm."""
    return b"enclave-desk keystore v1\x00data-key\x00%d\x00%s" % (key_id, algorithm.label.encode())


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One data key as stored: `wrapped` is None once the key is destroyed."""

    key_id: int
    algorithm: Algorithm
    created_at: str
    status: str
    wrapped: bytes | None = None
    destroyed_at: str | None = None


@dataclass(frozen=True, slots=True)
class Keystore:
    """The whole keystore document."""

    wrap_algorithm: Algorithm
    current_key_id: int
    blind_index_key: bytes
    keys: tuple[KeyRecord, ...]
    kdf: KdfParams | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def to_bytes(store: Keystore) -> bytes:
    """Serialise the keystore to stable, human-readable JSON."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "wrap_algorithm": store.wrap_algorithm.label,
        "kdf": None if store.kdf is None else json.loads(store.kdf.to_json()),
        "current_key_id": store.current_key_id,
        "blind_index_key": {"wrapped": _b64(store.blind_index_key)},
        "data_keys": [
            {
                "id": record.key_id,
                "algorithm": record.algorithm.label,
                "created_at": record.created_at,
                "status": record.status,
                "wrapped": None if record.wrapped is None else _b64(record.wrapped),
                "destroyed_at": record.destroyed_at,
            }
            for record in store.keys
        ],
    }
    return json.dumps(document, indent=2).encode("utf-8") + b"\n"


def from_bytes(data: bytes) -> Keystore:
    """Parse a keystore document; raise KeyFileError if it is malformed in any way."""
    try:
        document = json.loads(data)
        if document["format"] != FORMAT or document["version"] != VERSION:
            raise KeyFileError("not a version-1 Enclave Desk keystore")
        records = tuple(_record(entry) for entry in document["data_keys"])
        kdf = document.get("kdf")
        store = Keystore(
            wrap_algorithm=Algorithm.from_label(document["wrap_algorithm"]),
            current_key_id=int(document["current_key_id"]),
            blind_index_key=base64.b64decode(document["blind_index_key"]["wrapped"], validate=True),
            keys=records,
            kdf=None if kdf is None else KdfParams.from_json(json.dumps(kdf)),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise KeyFileError("keystore is malformed") from None
    current = [r for r in records if r.key_id == store.current_key_id]
    if len({r.key_id for r in records}) != len(records) or len(current) != 1:
        raise KeyFileError("keystore key ids are inconsistent")
    if current[0].status != ACTIVE:
        raise KeyFileError("keystore's current key is not active")
    return store


def _record(entry: dict[str, Any]) -> KeyRecord:
    status = entry["status"]
    wrapped = entry["wrapped"]
    if status not in STATUSES or (wrapped is None) != (status == DESTROYED):
        raise ValueError("bad key status")
    return KeyRecord(
        key_id=int(entry["id"]),
        algorithm=Algorithm.from_label(entry["algorithm"]),
        created_at=str(entry["created_at"]),
        status=status,
        wrapped=None if wrapped is None else base64.b64decode(wrapped, validate=True),
        destroyed_at=entry.get("destroyed_at"),
    )


def read(path: Path) -> tuple[Keystore, tuple[int, int, int]]:
    """Read the keystore; return it and a (inode, size, mtime_ns) stamp for change detection."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_IMODE(info.st_mode) & 0o077:
                raise KeyFileError(f"{path} is accessible to group or others; chmod 600 it")
            data = handle.read()
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None
    return from_bytes(data), (info.st_ino, info.st_size, info.st_mtime_ns)


def stamp(path: Path) -> tuple[int, int, int] | None:
    """Return the (inode, size, mtime_ns) of `path`, or None if it cannot be read."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def write(path: Path, store: Keystore, *, create: bool) -> None:
    """Write atomically: temp file (0600) + fsync + rename, then fsync the directory.

    With `create`, the final step is a hard link instead of a rename, which
    fails if `path` exists: two concurrent creates cannot overwrite each other.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(to_bytes(store))
            handle.flush()
            os.fsync(handle.fileno())
        if create:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise KeyFileError(f"{path} already exists; refusing to overwrite") from None
        else:
            os.replace(temp, path)
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    fsync_dir(path.parent)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock beside the keystore for a read-modify-write.

    Rotation and destruction may run in an admin CLI while the app serves;
    the lock keeps two writers from losing each other's keys. Readers never
    take it: the atomic rename means they always see a whole file.
    """
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
