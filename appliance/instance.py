"""An instance: one data directory holding settings, key material and the database.

    DATA_DIR/               0700
      enclave.toml          0600  instance settings (overrides of config/defaults.toml)
      enclave.db            0600  SQLite database (when no database.url is set)
      keys/                 0700
        kek.key             0600  key-encryption key (kek_source = "file")
        kek.params.json     0600  Argon2id salt and cost (kek_source = "passphrase")
        keystore.json       0600  data keys, wrapped by the KEK
        audit-sm2.pem       0600  checkpoint signing key (SM2)
        audit-ed25519.pem   0600  checkpoint signing key (Ed25519)
        secret_key          0600  signs session cookies and visitor tokens

`init_instance` builds all of it in a sibling temporary directory and renames it
into place, so a failed init leaves nothing half-made behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from appliance import migrations
from appliance.db import bind_database
from appliance.services.audit_log import LogIdentity
from appliance.services.audit_log import create_signing_keys
from appliance.services.audit_log import origin_for
from appliance.services.audit_log import sequence_pending
from appliance.services.audit_log import sign_checkpoint_if_grown
from appliance.services.instance import do_record_instance
from appliance.settings import INSTANCE_FILE
from appliance.settings import Settings
from appliance.settings import load_settings
from crypto.aead import Algorithm
from crypto.hashing import HASH_NAMES
from crypto.keyring import KeyRing
from crypto.keys import KdfParams
from crypto.keys import KeyEncryptionKey

KEK_FILE = "kek.key"
KDF_PARAMS_FILE = "kek.params.json"
KEYSTORE_FILE = "keystore.json"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class InstanceError(Exception):
    """The instance cannot be created or opened; the message says why."""


@dataclass(frozen=True)
class InitResult:
    data_dir: Path
    instance_id: str
    cipher: str
    kek_source: str


def init_instance(
    data_dir: Path | str,
    *,
    cipher: str = "sm4-gcm",
    passphrase: str | None = None,
    database_url: str = "",
    audit_hash: str = "sm3",
) -> InitResult:
    """Create a new instance in `data_dir`; refuse if one (or anything) is there."""
    data_dir = Path(data_dir).resolve()
    algorithm = Algorithm.from_label(cipher)
    if audit_hash not in HASH_NAMES:
        raise InstanceError(f"audit hash {audit_hash!r}: expected one of {', '.join(HASH_NAMES)}")
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise InstanceError(f"{data_dir} already exists and is not empty; refusing to overwrite")

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = data_dir.with_name(f".{data_dir.name}.init-{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)
    try:
        instance_id = _populate(staging, algorithm, passphrase, database_url, audit_hash)
        if data_dir.exists():
            data_dir.rmdir()  # empty, checked above
        staging.rename(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InitResult(
        data_dir=data_dir,
        instance_id=instance_id,
        cipher=algorithm.label,
        kek_source="passphrase" if passphrase is not None else "file",
    )


def _populate(
    root: Path, algorithm: Algorithm, passphrase: str | None, database_url: str, audit_hash: str
) -> str:
    keys = root / "keys"
    keys.mkdir(mode=0o700)

    if passphrase is None:
        kek = KeyEncryptionKey.generate()
        kek.write_file(keys / KEK_FILE)
    else:
        if not passphrase:
            raise InstanceError("the KEK passphrase must not be empty")
        params = KdfParams()  # a fresh random salt
        _write_private(keys / KDF_PARAMS_FILE, params.to_json())
        kek = KeyEncryptionKey.from_passphrase(passphrase, params)
    keyring = KeyRing.create(keys / KEYSTORE_FILE, kek, algorithm)
    _write_private(keys / SECRET_KEY_FILE, secrets.token_urlsafe(48) + "\n")

    lines = [
        "# Instance settings written by `enclave init`; they override config/defaults.toml.",
        "[crypto]",
        f'cipher = "{algorithm.label}"',
        f'kek_source = "{"file" if passphrase is None else "passphrase"}"',
        "",
        "[security]",
        f'secret_key_file = "keys/{SECRET_KEY_FILE}"',
    ]
    if database_url:
        lines += ["", "[database]", f"url = {json.dumps(database_url)}"]
    _write_private(root / INSTANCE_FILE, "\n".join(lines) + "\n")

    overrides = {"crypto.kek_passphrase": passphrase} if passphrase is not None else {}
    settings = load_settings(root, environ={}, overrides=overrides)
    signers = create_signing_keys(keys)
    instance_id = str(uuid.uuid4())
    identity = LogIdentity(origin_for(instance_id), audit_hash, signers)
    database = bind_database(settings)
    try:
        applied = migrations.migrate(database)
        do_record_instance(
            instance_id=instance_id,
            origin=identity.origin,
            hash_name=audit_hash,
            cipher=algorithm.label,
            kek_source="file" if passphrase is None else "passphrase",
            data_key_id=keyring.current_key_id,
            signers=signers,
            migrations=[f"{m.version:04d}_{m.name}" for m in applied],
        )
        sequence_pending(identity, database)
        sign_checkpoint_if_grown(identity, database)
    finally:
        database.close()
    db_file = root / "enclave.db"
    if db_file.exists():
        db_file.chmod(0o600)
    return instance_id


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def load_kek(settings: Settings) -> KeyEncryptionKey:
    """The instance's key-encryption key, from its file or its passphrase."""
    keys = settings.keys_dir
    if settings.crypto.kek_source == "file":
        return KeyEncryptionKey.from_file(keys / KEK_FILE)
    try:
        params = KdfParams.from_json((keys / KDF_PARAMS_FILE).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstanceError(f"cannot read {keys / KDF_PARAMS_FILE}: {exc.strerror}") from None
    return KeyEncryptionKey.from_passphrase(settings.crypto.kek_passphrase, params)


def load_keyring(settings: Settings) -> KeyRing:
    """Open the instance keystore with its KEK."""
    if not (settings.keys_dir / KEYSTORE_FILE).exists():
        raise InstanceError(
            f"{settings.data_dir} is not an Enclave Desk instance (no keys/{KEYSTORE_FILE}); "
            "run `enclave init` first"
        )
    return KeyRing.load(settings.keys_dir / KEYSTORE_FILE, load_kek(settings))
