"""`enclave init`: a complete instance, private permissions, never over an existing one."""

import stat

import pytest

from appliance import migrations
from appliance.db import open_database
from appliance.instance import InstanceError
from appliance.instance import init_instance
from appliance.instance import load_keyring
from appliance.models import Instance
from appliance.settings import load_settings
from crypto.aead import Algorithm
from crypto.errors import CryptoError


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_it_creates_settings_keys_and_database(tmp_path):
    result = init_instance(tmp_path / "inst")
    root = result.data_dir

    assert mode(root) == 0o700
    assert mode(root / "keys") == 0o700
    for name in (
        "enclave.toml",
        "enclave.db",
        "keys/kek.key",
        "keys/keystore.json",
        "keys/secret_key",
    ):
        assert mode(root / name) == 0o600, name
    settings = load_settings(root, environ={})
    assert settings.crypto.cipher == "sm4-gcm"
    assert len(settings.security.secret_key) >= 48
    database = open_database(settings)
    assert migrations.pending(database) == []
    with Instance.bind_ctx(database):
        assert Instance.get().instance_id == result.instance_id


def test_it_uses_the_chosen_cipher(tmp_path):
    root = init_instance(tmp_path / "inst", cipher="aes-256-gcm").data_dir

    keyring = load_keyring(load_settings(root, environ={}))

    assert keyring.algorithm == Algorithm.AES_256_GCM
    assert keyring.decrypt(keyring.encrypt(b"x", context=b"c"), context=b"c") == b"x"


def test_it_derives_the_kek_from_a_passphrase(tmp_path):
    root = init_instance(tmp_path / "inst", passphrase="correct horse battery").data_dir

    assert not (root / "keys" / "kek.key").exists()
    assert mode(root / "keys" / "kek.params.json") == 0o600
    right = load_settings(
        root, environ={}, overrides={"crypto.kek_passphrase": "correct horse battery"}
    )
    keyring = load_keyring(right)
    assert keyring.current_key_id >= 1
    wrong = load_settings(root, environ={}, overrides={"crypto.kek_passphrase": "wrong"})
    with pytest.raises(CryptoError):
        load_keyring(wrong)


def test_it_refuses_to_overwrite_an_existing_instance(tmp_path):
    root = init_instance(tmp_path / "inst").data_dir
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    with pytest.raises(InstanceError, match="already exists"):
        init_instance(root)

    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_it_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "inst").mkdir()
    (tmp_path / "inst" / "notes.txt").write_text("mine")

    with pytest.raises(InstanceError, match="not empty"):
        init_instance(tmp_path / "inst")


def test_it_leaves_nothing_behind_when_init_fails(tmp_path):
    # Nothing listens on port 1: the database step fails after keys were made.
    with pytest.raises(Exception):  # noqa: B017 - the driver's own connection error
        init_instance(tmp_path / "inst", database_url="postgresql://nobody@127.0.0.1:1/none")

    assert list(tmp_path.iterdir()) == []


def test_it_refuses_an_empty_passphrase(tmp_path):
    with pytest.raises(InstanceError, match="must not be empty"):
        init_instance(tmp_path / "inst", passphrase="")
    assert list(tmp_path.iterdir()) == []
