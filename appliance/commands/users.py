"""`enclave users add|list|disable|reset-password|set-roles`: the local directory.

Every change is audited with the operator (OS user on this host) as actor; a
refused change (taken username, weak password, 三员分立 violation) is audited
as a failure. Passwords come from a file or a hidden prompt, never from argv,
where `ps` and shell history would keep them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import TypeVar

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import bind_instance
from appliance.commands._common import operator_and_identity
from appliance.commands._common import run_audited
from appliance.permissions import ROLES
from audit.events import EventType
from audit.events import Target

if TYPE_CHECKING:
    from appliance.services.directory import Principal

T = TypeVar("T")

ROLE_OPTION = click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="A role (repeat for several); at most one of sysadmin, secadmin, auditadmin.",
)
PASSWORD_FILE_OPTION = click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the password from this file (first line) instead of prompting.",
)


@click.group()
def users() -> None:
    """Manage the local directory: agents and administrators who sign in."""


@users.command()
@DATA_DIR_OPTION
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name shown to colleagues.")
@ROLE_OPTION
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="A queue/group the account works in (repeat for several; default: general).",
)
@PASSWORD_FILE_OPTION
def add(
    data_dir: Path,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    groups: tuple[str, ...],
    password_file: Path | None,
) -> None:
    """Create an account."""
    from appliance.services.directory import do_create_user

    password = _password(password_file)
    actor, identity = operator_and_identity(data_dir)
    principal = run_audited(
        lambda: do_create_user(
            username=username,
            display_name=display_name,
            password=password,
            roles=roles,
            groups=groups or ("general",),
            actor=actor,
        ),
        EventType.USER_CREATED,
        _target(username),
        identity,
        actor,
    )
    click.echo(f"created {_describe(principal)}")


@users.command("list")
@DATA_DIR_OPTION
def list_accounts(data_dir: Path) -> None:
    """List accounts: username, name, roles, groups, status. Never prints password hashes."""
    from appliance import clock
    from appliance.queries.directory import list_users

    bind_instance(data_dir)
    now = clock.now_ms()
    rows = [("USERNAME", "NAME", "ROLES", "GROUPS", "STATUS")]
    for user in list_users():
        status = user.status(now)
        if status == "locked" and user.locked_until_ms is not None:
            minutes = -(-(user.locked_until_ms - now) // 60_000)
            status = f"locked ({minutes} min left)"
        rows.append(
            (user.username, user.display_name, ",".join(user.roles), ",".join(user.groups), status)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]))


@users.command()
@DATA_DIR_OPTION
@click.argument("username")
def disable(data_dir: Path, username: str) -> None:
    """Disable an account; its open sessions end at their next request."""
    from appliance.services.directory import do_disable_user

    actor, identity = operator_and_identity(data_dir)
    run_audited(
        lambda: do_disable_user(username=username, actor=actor),
        EventType.USER_DISABLED,
        _target(username),
        identity,
        actor,
    )
    click.echo(f"disabled {username.lower()}; its sessions are ended")


@users.command("reset-password")
@DATA_DIR_OPTION
@click.argument("username")
@PASSWORD_FILE_OPTION
def reset_password(data_dir: Path, username: str, password_file: Path | None) -> None:
    """Set a new password; ends the account's sessions and lifts a lockout."""
    from appliance.services.directory import do_reset_password

    password = _password(password_file)
    actor, identity = operator_and_identity(data_dir)
    run_audited(
        lambda: do_reset_password(username=username, password=password, actor=actor),
        EventType.PASSWORD_RESET,
        _target(username),
        identity,
        actor,
    )
    click.echo(f"password of {username.lower()} reset; its sessions are ended")


@users.command("set-roles")
@DATA_DIR_OPTION
@click.argument("username")
@ROLE_OPTION
@click.option("--group", "groups", multiple=True, help="Replace the groups too (repeatable).")
def set_roles(
    data_dir: Path, username: str, roles: tuple[str, ...], groups: tuple[str, ...]
) -> None:
    """Replace an account's roles (and, with --group, its groups)."""
    from appliance.services.directory import do_change_roles

    actor, identity = operator_and_identity(data_dir)
    principal = run_audited(
        lambda: do_change_roles(username=username, roles=roles, groups=groups or None, actor=actor),
        EventType.ROLE_CHANGED,
        _target(username),
        identity,
        actor,
    )
    click.echo(f"changed {_describe(principal)}")


def _describe(principal: Principal) -> str:
    roles, groups = ",".join(sorted(principal.roles)), ",".join(sorted(principal.groups))
    return f"{principal.username} (id {principal.id}): roles {roles}; groups {groups}"


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _target(username: str) -> Target:
    # Refusals are recorded by the name given: the account may not exist.
    return Target("user", f"username:{username.strip().lower()}")
