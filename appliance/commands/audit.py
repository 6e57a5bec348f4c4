"""`enclave audit search|export|verify|checkpoint|keys`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from typing import cast

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import bind_instance

if TYPE_CHECKING:
    from appliance.queries.audit import AuditFilter

Command = TypeVar("Command", bound=Callable[..., Any])
FORMATS = ("table", "jsonl")


@click.group()
def audit() -> None:
    """Search, export and verify the tamper-evident audit trail."""


def _time(value: str | None, *, end: bool) -> int | None:
    """ISO-8601 date or date-time (UTC if no offset) as epoch ms; a bare --to date
    includes that whole day."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value) == 10:  # YYYY-MM-DD
        moment += timedelta(days=1)
    return int(moment.timestamp() * 1000)


def _filter_options(command: Command) -> Command:
    """Add the six filter options and hand the command one `selection: AuditFilter`."""

    @functools.wraps(command)
    def with_selection(
        *args: Any,
        from_: str | None,
        to: str | None,
        actor: str | None,
        action: str | None,
        target: str | None,
        result: str | None,
        **kwargs: Any,
    ) -> Any:
        selection = _selection(from_, to, actor, action, target, result)
        return command(*args, selection=selection, **kwargs)

    options = [
        click.option(
            "--from", "from_", metavar="WHEN", help="From this ISO-8601 time (inclusive)."
        ),
        click.option(
            "--to",
            metavar="WHEN",
            help="Until this ISO-8601 time (exclusive; a date alone includes that day).",
        ),
        click.option("--actor", help="Actor id, e.g. agent:alice or os:root@host."),
        click.option("--action", help="Event name (LOGIN_FAILED) or code (302)."),
        click.option("--target", help="Target type, or type:id (data_key:2)."),
        click.option("--result", type=click.Choice(["success", "failure"])),
    ]
    decorated: Any = with_selection
    for option in reversed(options):
        decorated = option(decorated)
    return cast(Command, decorated)


def _selection(
    from_: str | None,
    to: str | None,
    actor: str | None,
    action: str | None,
    target: str | None,
    result: str | None,
) -> AuditFilter:
    from appliance.queries.audit import AuditFilter
    from audit.events import EventType

    kind = None
    if action is not None:
        try:
            kind = EventType(int(action)) if action.isdigit() else EventType[action.upper()]
        except (KeyError, ValueError):
            raise click.BadParameter(
                f"unknown audit action {action!r}", param_hint="--action"
            ) from None
    target_type, _, target_id = (target or "").partition(":")
    return AuditFilter(
        from_ms=_time(from_, end=False),
        to_ms=_time(to, end=True),
        actor=actor,
        action=kind,
        target_type=target_type or None,
        target_id=target_id or None,
        ok=None if result is None else result == "success",
    )


@audit.command()
@DATA_DIR_OPTION
@_filter_options
@click.option("--format", "format_", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
def search(data_dir: Path, selection: AuditFilter, format_: str, limit: int) -> None:
    """Search audit events by time, actor, action, target and result (the search is audited)."""
    from appliance.services.audit_access import check_search
    from appliance.services.audit_trail import operator_actor
    from audit.canonical import event_to_json

    bind_instance(data_dir)
    found = check_search(selection, limit=limit, actor=operator_actor())
    if format_ == "jsonl":
        for item in found:
            click.echo(
                json.dumps(
                    {"leaf_index": item.leaf_index, **event_to_json(item.event)},
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
        return
    click.echo(f"{'LEAF':>6}  {'TIME (UTC)':<24} {'ACTION':<22} {'RESULT':<8} {'ACTOR':<28} TARGET")
    for item in found:
        event = item.event
        leaf = "-" if item.leaf_index is None else str(item.leaf_index)
        time = datetime.fromtimestamp(event.time_ms / 1000, UTC).isoformat(timespec="milliseconds")
        outcome = "success" if event.result.ok else "failure"
        click.echo(
            f"{leaf:>6}  {time[:23]:<24} {event.action.name:<22} {outcome:<8} "
            f"{event.actor.id:<28} {event.target.type}:{event.target.id}"
        )
    if len(found) == limit:
        click.echo(f"(stopped at --limit {limit}; narrow the filters or raise the limit)", err=True)


@audit.command()
@DATA_DIR_OPTION
@_filter_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Bundle file to write (a tar archive).",
)
def export(data_dir: Path, selection: AuditFilter, out: Path) -> None:
    """Export matching events with inclusion proofs, signed checkpoints and a signed manifest."""
    from appliance.services.audit_access import NothingToExport
    from appliance.services.audit_access import check_export
    from appliance.services.audit_trail import operator_actor

    if out.exists():
        raise click.ClickException(f"{out} exists; refusing to overwrite")
    _, identity = bind_instance(data_dir)
    try:
        exported = check_export(identity, selection, out, actor=operator_actor())
    except NothingToExport as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"exported {exported.events} events to {exported.path}")
    click.echo(f"sha256 {exported.sha256}")
    click.echo(f"verify offline with: enclave-audit-verify {exported.path}")


@audit.command()
@DATA_DIR_OPTION
def verify(data_dir: Path) -> None:
    """Recheck the live log end to end; exit 1 and name the first bad index if tampered."""
    from appliance.services.audit_access import check_verify
    from appliance.services.audit_trail import operator_actor

    _, identity = bind_instance(data_dir)
    report = check_verify(identity, actor=operator_actor())
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


@audit.command()
@DATA_DIR_OPTION
def checkpoint(data_dir: Path) -> None:
    """Sequence pending events and sign a checkpoint now."""
    from appliance.services.audit_access import check_checkpoint
    from appliance.services.audit_trail import operator_actor

    _, identity = bind_instance(data_dir)
    size, new = check_checkpoint(identity, actor=operator_actor())
    click.echo(f"checkpoint at tree size {size}" + ("" if new else " (unchanged)"))


@audit.command()
@DATA_DIR_OPTION
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the public keys here as PEM files (default: print them).",
)
def keys(data_dir: Path, out_dir: Path | None) -> None:
    """Show the checkpoint signing public keys, for auditors to pin (--trusted-key)."""
    _, identity = bind_instance(data_dir)
    for verifier in identity.verifiers:
        pem = verifier.public_key_pem()
        if out_dir is None:
            click.echo(f"# {verifier.algorithm} key {verifier.key_id()}")
            click.echo(pem.decode("ascii"), nl=False)
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"audit-{verifier.algorithm}.pub.pem"
        path.write_bytes(pem)
        click.echo(f"wrote {path}")
