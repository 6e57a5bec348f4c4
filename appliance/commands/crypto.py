"""`enclave crypto selftest`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from appliance.settings import DATA_DIR_ENV


@click.group()
def crypto() -> None:
    """Cryptographic module checks."""


@crypto.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=DATA_DIR_ENV,
    default=None,
    help="Also check that this instance's keystore opens.",
)
def selftest(data_dir: Path | None) -> None:
    """Run the known-answer tests; one PASS/FAIL line each, non-zero exit on any failure."""
    from crypto.selftest import run_selftest

    results = run_selftest()
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        detail = f"  ({result.detail})" if result.detail and not result.passed else ""
        click.echo(f"{status}  {result.name}{detail}")
    ok = all(r.passed for r in results)
    if data_dir is not None and os.path.isdir(data_dir):
        ok = _check_keystore(data_dir) and ok
    if not ok:
        raise SystemExit(1)


def _check_keystore(data_dir: Path) -> bool:
    from appliance.commands._common import load_instance_settings
    from appliance.instance import InstanceError
    from appliance.instance import load_keyring
    from crypto.errors import CryptoError

    settings = load_instance_settings(data_dir)
    name = "instance keystore opens and round-trips"
    try:
        keyring = load_keyring(settings)
        probe = b"enclave selftest"
        context = b"selftest"
        passed = keyring.decrypt(keyring.encrypt(probe, context=context), context=context) == probe
    except (CryptoError, InstanceError) as exc:
        click.echo(f"FAIL  {name}  ({exc})")
        return False
    click.echo(f"{'PASS' if passed else 'FAIL'}  {name}  ({keyring.algorithm.label})")
    return passed
