"""`enclave keys list|rotate|destroy`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import TypeVar

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import fail_cleanly
from appliance.commands._common import load_instance_settings
from appliance.commands._common import operator_and_identity
from appliance.commands._common import run_audited
from audit.events import EventType
from audit.events import Target

if TYPE_CHECKING:
    from crypto.keyring import KeyRing

T = TypeVar("T")


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
        click.echo(
            f"{key['id']:>4}  {key['algorithm']:<12} {key['status']:<10} "
            f"{key['created_at']}{current}"
        )


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
    from appliance.services.keys import do_rotate_data_key
    from crypto.aead import Algorithm

    settings = load_instance_settings(data_dir)
    keyring = _keyring(data_dir)
    algorithm = Algorithm.from_label(cipher or settings.crypto.cipher)
    actor, identity = operator_and_identity(data_dir)
    key_id = run_audited(
        lambda: do_rotate_data_key(keyring, algorithm, actor=actor),
        EventType.DATA_KEY_ROTATED,
        Target("data_key", "new"),
        identity,
        actor,
    )
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
    from appliance.services.keys import do_destroy_data_key

    keyring = _keyring(data_dir)
    actor, identity = operator_and_identity(data_dir)
    run_audited(
        lambda: do_destroy_data_key(keyring, key_id, actor=actor),
        EventType.DATA_KEY_DESTROYED,
        Target("data_key", str(key_id)),
        identity,
        actor,
    )
    click.echo(f"data key {key_id} destroyed")


def _keyring(data_dir: Path) -> KeyRing:
    from appliance.instance import load_keyring

    settings = load_instance_settings(data_dir)
    try:
        return load_keyring(settings)
    except Exception as exc:
        raise fail_cleanly(exc) from None
