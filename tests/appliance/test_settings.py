"""Settings: defaults < instance file < environment; unknown or invalid stops start-up."""

import re
from pathlib import Path

import pytest

from appliance.settings import SCHEMA
from appliance.settings import SettingsError
from appliance.settings import defaults_path
from appliance.settings import env_name
from appliance.settings import load_settings


def write_instance(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(exist_ok=True)
    (data_dir / "enclave.toml").write_text(text)
    return data_dir


def test_it_loads_the_documented_defaults(tmp_path):
    settings = load_settings(tmp_path, environ={})

    assert settings.server.port == 8080
    assert settings.server.host == "127.0.0.1"
    assert settings.crypto.cipher == "sm4-gcm"
    assert settings.database.sqlite_synchronous == "FULL"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'enclave.db'}"


def test_it_documents_every_setting_with_a_comment():
    text = defaults_path().read_text()
    section = None
    documented = set()
    previous = ""
    for line in text.splitlines():
        if match := re.fullmatch(r"\[(\w+)\]", line):
            section = match.group(1)
        elif match := re.fullmatch(r"(\w+) = .*", line):
            assert previous.startswith("#"), f"{section}.{match.group(1)} has no comment above it"
            documented.add(f"{section}.{match.group(1)}")
        previous = line

    assert documented == set(SCHEMA)


def test_it_lets_the_instance_file_override_defaults(tmp_path):
    write_instance(tmp_path, '[server]\nport = 9090\n[crypto]\ncipher = "aes-256-gcm"\n')

    settings = load_settings(tmp_path, environ={})

    assert settings.server.port == 9090
    assert settings.crypto.cipher == "aes-256-gcm"


def test_it_lets_the_environment_override_the_instance_file(tmp_path):
    write_instance(tmp_path, "[server]\nport = 9090\n")

    settings = load_settings(
        tmp_path, environ={"ENCLAVE_SERVER_PORT": "9443", "ENCLAVE_SERVER_BEHIND_TLS": "true"}
    )

    assert settings.server.port == 9443
    assert settings.server.behind_tls is True


def test_it_reads_secrets_from_files(tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "secret_key").write_text("s3cret-from-file\n")
    write_instance(tmp_path, '[security]\nsecret_key_file = "keys/secret_key"\n')

    settings = load_settings(tmp_path, environ={})

    assert settings.security.secret_key == "s3cret-from-file"


def test_it_reads_secrets_from_files_named_in_the_environment(tmp_path):
    secret = tmp_path / "pass"
    secret.write_text("correct horse\n")

    settings = load_settings(
        tmp_path,
        environ={
            "ENCLAVE_CRYPTO_KEK_SOURCE": "passphrase",
            "ENCLAVE_CRYPTO_KEK_PASSPHRASE_FILE": str(secret),
        },
    )

    assert settings.crypto.kek_passphrase == "correct horse"


def test_it_never_shows_secrets_in_repr(tmp_path):
    settings = load_settings(tmp_path, environ={"ENCLAVE_SECURITY_SECRET_KEY": "topsecret"})

    assert "topsecret" not in repr(settings)


@pytest.mark.parametrize(
    ("instance", "environ", "message"),
    [
        ("[server]\nprot = 1\n", {}, "server.prot: unknown setting"),
        ("[nonsense]\nx = 1\n", {}, "nonsense.x: unknown setting"),
        ("[server]\nport = 70000\n", {}, "server.port: invalid value 70000"),
        ('[server]\nport = "80"\n', {}, "server.port: invalid value '80'"),
        ("[server]\nport = true\n", {}, "server.port: invalid value True"),
        ('[crypto]\ncipher = "des"\n', {}, "crypto.cipher: invalid value 'des'"),
        ('[database]\nurl = "mysql://x"\n', {}, "database.url: invalid value 'mysql://x'"),
        ("", {"ENCLAVE_SERVER_PORTT": "1"}, "ENCLAVE_SERVER_PORTT: unknown setting"),
        ("", {"ENCLAVE_SERVER_PORT": "eighty"}, "server.port: invalid value 'eighty'"),
        ("", {"ENCLAVE_SERVER_BEHIND_TLS": "yes"}, "server.behind_tls: invalid value 'yes'"),
        ("", {"ENCLAVE_LOGGING_LEVEL": "LOUD"}, "logging.level: invalid value 'LOUD'"),
        (
            "",
            {"ENCLAVE_SERVER_PORT_FILE": "/x"},
            "server.port_file: unknown setting in ENCLAVE_SERVER_PORT_FILE",
        ),
        ("[server\n", {}, "not valid TOML"),
        ('[crypto]\nkek_source = "passphrase"\n', {}, "crypto.kek_passphrase: no value"),
    ],
)
def test_it_stops_on_unknown_or_invalid_settings(tmp_path, instance, environ, message):
    write_instance(tmp_path, instance)

    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(tmp_path, environ=environ)


def test_it_names_the_source_of_a_bad_value(tmp_path):
    with pytest.raises(SettingsError, match="from ENCLAVE_SERVER_PORT"):
        load_settings(tmp_path, environ={"ENCLAVE_SERVER_PORT": "0"})


def test_it_never_echoes_a_secret_in_an_error(tmp_path):
    write_instance(tmp_path, "[security]\nsecret_key = 12345\n")

    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={})

    assert "12345" not in str(caught.value)
    assert "security.secret_key: invalid value (secret)" in str(caught.value)


def test_it_fails_clearly_on_a_missing_secret_file(tmp_path):
    write_instance(tmp_path, '[security]\nsecret_key_file = "nope"\n')

    with pytest.raises(SettingsError, match=r"security\.secret_key: cannot read secret file"):
        load_settings(tmp_path, environ={})


def test_it_maps_every_setting_to_an_environment_variable():
    assert env_name("server.port") == "ENCLAVE_SERVER_PORT"
    assert env_name("crypto.kek_passphrase") == "ENCLAVE_CRYPTO_KEK_PASSPHRASE"
