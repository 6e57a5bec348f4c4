"""Shared pieces of the commands: loading an instance with readable failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from appliance.errors import AppError
from appliance.instance import InstanceError
from appliance.services.audit_log import LogIdentity
from appliance.settings import INSTANCE_FILE
from appliance.settings import Settings
from appliance.settings import SettingsError
from appliance.settings import load_settings
from audit.events import Actor
from audit.events import EventType
from audit.events import Target
from crypto.errors import CryptoError

T = TypeVar("T")


def load_instance_settings(data_dir: Path) -> Settings:
    """Settings of the instance at `data_dir`, or a clean CLI error."""
    if not (data_dir / INSTANCE_FILE).is_file():
        raise click.ClickException(
            f"{data_dir} is not an Enclave Desk instance (no {INSTANCE_FILE}); "
            "create one with `enclave init --data-dir DIR`"
        )
    try:
        return load_settings(data_dir)
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


def fail_cleanly(exc: Exception) -> click.ClickException:
    """Turn an expected failure into a one-line CLI error (never a traceback)."""
    # InstanceError covers SelfTestFailed (appliance.app) too.
    if isinstance(exc, SettingsError | InstanceError | CryptoError):
        return click.ClickException(str(exc))
    if isinstance(exc, AppError):  # a service's refusal (bad name, duplicate user, ...)
        return click.ClickException(exc.message)
    raise exc


def bind_instance(data_dir: Path) -> tuple[Settings, LogIdentity]:
    """Load the instance's settings, bind its database; return (settings, log identity)."""
    from appliance.db import bind_database
    from appliance.db import db
    from appliance.services.audit_log import AuditKeyError
    from appliance.services.audit_log import load_identity

    settings = load_instance_settings(data_dir)
    bind_database(settings)
    # Hold one connection for the whole command, closed at exit: opening one per
    # transaction costs ~7x the audited write itself (tests/bench/bench_audit_db.py).
    db.connect(reuse_if_open=True)
    try:
        return settings, load_identity(settings.keys_dir)
    except AuditKeyError as exc:
        raise click.ClickException(str(exc)) from None


def operator_and_identity(data_dir: Path) -> tuple[Actor, LogIdentity]:
    """Bind the instance; return the operator as audit actor and the log identity."""
    from appliance.services.audit_trail import operator_actor

    _, identity = bind_instance(data_dir)
    return operator_actor(), identity


def run_audited(
    action: Callable[[], T], event: EventType, target: Target, identity: LogIdentity, actor: Actor
) -> T:
    """Run a service; audit an expected refusal as a failure of `event`; then sequence the log."""
    from appliance.services.audit_log import sequence_pending
    from appliance.services.keys import do_record_refusal

    try:
        return action()
    except Exception as exc:
        error = fail_cleanly(exc)  # re-raises anything unexpected
        do_record_refusal(event, target, error.message, actor=actor)
        raise error from None
    finally:
        sequence_pending(identity)
