"""The `enclave` command line.

Commands import what they need lazily: `enclave serve` monkey-patches gevent
before Flask, peewee or the socket libraries are imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from appliance.settings import DATA_DIR_ENV

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=DATA_DIR_ENV,
    required=True,
    help=f"Instance data directory (or set {DATA_DIR_ENV}).",
)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        from gevent import monkey

        monkey.patch_all()
    from appliance.commands import cli

    cli.main(args=args, prog_name="enclave")


@click.group()
@click.version_option(package_name="enclave-desk", prog_name="enclave")
def group() -> None:
    """Enclave Desk: on-premises customer service for banks."""
