"""`enclave keys list|rotate|destroy`."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import fail_cleanly
from appliance.commands._common import load_instance_settings


@click.group()
def keys() -> None:
    """Manage data keys (wrapped by the key-encryption key)."""


@keys.command("list")
@DATA_DIR_OPTION
def list_keys(data_dir: Path) -> None:
    """List data keys: id, cipher, status, creation time. Never prints key bytes."""
    keyring = _keyring(data_dir)
    for key in keyring.describe():
        current = "  (current)" if key["id"] == keyring.current_key_id else ""
        click.echo(f"{key['id']:>4}  {key['algorithm']:<12} {key['status']:<10} "
                   f"{key['created_at']}{current}")


@keys.command()
@DATA_DIR_OPTION
@click.option(
    "--cipher",
    type=click.Choice(["sm4-gcm", "aes-256-gcm"]),
    default=None,
    help="Cipher of the new key (default: crypto.cipher from settings).",
)
def rotate(data_dir: Path, cipher: str | None) -> None:
    """Create a new current data key; older keys keep decrypting existing data."""
    from crypto.aead import Algorithm

    settings = load_instance_settings(data_dir)
    keyring = _keyring(data_dir)
    algorithm = Algorithm.from_label(cipher or settings.crypto.cipher)
    try:
        key_id = keyring.rotate(algorithm)
    except Exception as exc:
        raise fail_cleanly(exc) from None
    click.echo(f"data key {key_id} ({algorithm.label}) is now current")


@keys.command()
@DATA_DIR_OPTION
@click.argument("key_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm: data under this key becomes unrecoverable.")
def destroy(data_dir: Path, key_id: int, yes: bool) -> None:
    """Crypto-shred a retired data key: whatever it encrypted becomes unreadable."""
    if not yes:
        raise click.ClickException(
            f"destroying key {key_id} makes its data unrecoverable; re-run with --yes to confirm"
        )
    keyring = _keyring(data_dir)
    try:
        keyring.destroy(key_id)
    except Exception as exc:
        raise fail_cleanly(exc) from None
    click.echo(f"data key {key_id} destroyed")


def _keyring(data_dir: Path):  # type: ignore[no-untyped-def]
    from appliance.instance import load_keyring

    settings = load_instance_settings(data_dir)
    try:
        return load_keyring(settings)
    except Exception as exc:
        raise fail_cleanly(exc) from None
