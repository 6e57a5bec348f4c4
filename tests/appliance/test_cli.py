"""The `enclave` console script, run as an operator would run it."""

import subprocess
import sys
from pathlib import Path

import pytest

ENCLAVE = str(Path(sys.executable).parent / "enclave")

KATS = (
    "SM4",
    "SM3",
    "SM4-GCM",
    "AES-256-GCM",
    "Ed25519",
    "SM2",
)


def enclave(*args, env=None, check=True):
    result = subprocess.run(
        [ENCLAVE, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"enclave {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "inst"
    enclave("init", "--data-dir", str(path))
    return path


def test_it_runs_every_known_answer_test_after_init(data_dir):
    result = enclave("crypto", "selftest", "--data-dir", str(data_dir))

    lines = result.stdout.splitlines()
    assert lines, "selftest printed nothing"
    assert all(line.startswith("PASS ") for line in lines), result.stdout
    for name in KATS:
        assert any(name.lower() in line.lower() for line in lines), f"no KAT mentions {name}"
    assert "instance keystore opens" in lines[-1]


def test_it_refuses_to_init_over_an_instance(data_dir):
    result = enclave("init", "--data-dir", str(data_dir), check=False)

    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_names_an_invalid_setting_and_stops(data_dir):
    env = {"ENCLAVE_SERVER_PORT": "eighty", "PATH": "/usr/bin:/bin"}

    result = enclave("settings", "show", "--data-dir", str(data_dir), env=env, check=False)

    assert result.returncode == 1
    assert "server.port: invalid value 'eighty'" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_shows_settings_without_secrets(data_dir):
    result = enclave("settings", "show", "--data-dir", str(data_dir))

    assert "server.port = 8080" in result.stdout
    assert "security.secret_key = (set)" in result.stdout
    secret = (data_dir / "keys" / "secret_key").read_text().strip()
    assert secret not in result.stdout


def test_it_rotates_and_lists_keys(data_dir):
    enclave("keys", "rotate", "--data-dir", str(data_dir), "--cipher", "aes-256-gcm")

    listing = enclave("keys", "list", "--data-dir", str(data_dir)).stdout.splitlines()

    assert len(listing) == 2
    assert "sm4-gcm" in listing[0]
    assert "aes-256-gcm" in listing[1]
    assert "(current)" in listing[1]


def test_it_destroys_a_retired_key_only_when_confirmed(data_dir):
    enclave("keys", "rotate", "--data-dir", str(data_dir))

    unconfirmed = enclave("keys", "destroy", "1", "--data-dir", str(data_dir), check=False)
    assert unconfirmed.returncode == 1
    assert "--yes" in unconfirmed.stderr

    enclave("keys", "destroy", "1", "--yes", "--data-dir", str(data_dir))
    listing = enclave("keys", "list", "--data-dir", str(data_dir)).stdout
    assert "destroyed" in listing.splitlines()[0]


def test_it_refuses_to_destroy_the_current_key(data_dir):
    result = enclave("keys", "destroy", "1", "--yes", "--data-dir", str(data_dir), check=False)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_it_explains_a_directory_that_is_not_an_instance(tmp_path):
    result = enclave("settings", "show", "--data-dir", str(tmp_path), check=False)

    assert result.returncode == 1
    assert "is not an Enclave Desk instance" in result.stderr
