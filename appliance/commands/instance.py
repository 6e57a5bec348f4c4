"""`enclave init`, `enclave migrate`, `enclave settings show`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import fail_cleanly
from appliance.commands._common import load_instance_settings
from appliance.settings import SCHEMA
from appliance.settings import SECTIONS
from appliance.settings import redact_url


@click.command()
@DATA_DIR_OPTION
@click.option(
    "--cipher",
    type=click.Choice(["sm4-gcm", "aes-256-gcm"]),
    default="sm4-gcm",
    show_default=True,
    help="Cipher for data at rest.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Derive the key-encryption key from the passphrase in this file (Argon2id) "
    "instead of generating a key file.",
)
@click.option(
    "--database-url",
    default="",
    help="postgresql://... to keep data in PostgreSQL (default: SQLite in the data directory).",
)
def init(data_dir: Path, cipher: str, passphrase_file: Path | None, database_url: str) -> None:
    """Create a new instance: settings, key material and database."""
    from appliance.instance import init_instance

    passphrase = None
    if passphrase_file is not None:
        passphrase = passphrase_file.read_text(encoding="utf-8").rstrip("\n")
    try:
        result = init_instance(
            data_dir, cipher=cipher, passphrase=passphrase, database_url=database_url
        )
    except Exception as exc:
        raise fail_cleanly(exc) from None
    click.echo(f"created instance {result.instance_id} in {result.data_dir}")
    click.echo(f"cipher: {result.cipher}; key-encryption key from: {result.kek_source}")
    click.echo("back up DATA_DIR/keys/ separately from database backups (see docs/crypto.md)")


@click.command()
@DATA_DIR_OPTION
def migrate(data_dir: Path) -> None:
    """Apply pending database migrations."""
    from appliance import migrations
    from appliance.commands._common import bind_instance
    from appliance.db import db
    from appliance.services.audit_log import sequence_pending
    from appliance.services.instance import do_record_migrations

    _, identity = bind_instance(data_dir)
    with db.connection_context():
        applied = migrations.migrate(db.obj)
    if applied:
        do_record_migrations([f"{m.version:04d}_{m.name}" for m in applied])
        sequence_pending(identity)
    for migration in applied:
        click.echo(f"applied {migration.version:04d} {migration.name}")
    if not applied:
        click.echo("database is up to date")


@click.group("settings")
def settings_group() -> None:
    """Inspect settings."""


@settings_group.command("show")
@DATA_DIR_OPTION
def show(data_dir: Path) -> None:
    """Print the effective settings (secrets are never printed)."""
    settings = load_instance_settings(data_dir)
    for section in SECTIONS:
        for name, value in asdict(getattr(settings, section)).items():
            key = f"{section}.{name}"
            shown = ("(set)" if value else "(empty)") if SCHEMA[key].secret else value
            if key == "database.url":
                shown = redact_url(value)
            click.echo(f"{key} = {shown}")
