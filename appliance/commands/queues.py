"""`enclave queues add|list|show|set|remove|skills`: queues (skill groups) and agents' skills.

Every change is audited with the operator (OS user on this host) as actor; a
refused change (bad field, unknown queue, overflow cycle, queue in use) is
audited as a failure. The fields and their rules are the HTTP API's
(services/queues.py); options given build the same JSON fields. An empty value
(`--skill ""`, `--language ""`, `--overflow ""`) clears the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import bind_instance
from appliance.commands._common import operator_and_identity
from appliance.commands._common import run_audited
from audit.events import EventType
from audit.events import Target

if TYPE_CHECKING:
    from appliance.queries.routing import QueueConfig

F = TypeVar("F", bound=Callable[..., Any])

STRATEGIES = ("least_busy", "round_robin", "longest_idle", "manual")

# option name -> (queue field, language key or None); values are strings or ints as given.
_TEXT_OPTIONS = {
    "name_zh": ("display_name", "zh-CN"),
    "name_en": ("display_name", "en"),
    "welcome_zh": ("welcome_message", "zh-CN"),
    "welcome_en": ("welcome_message", "en"),
    "queue_msg_zh": ("queue_message", "zh-CN"),
    "queue_msg_en": ("queue_message", "en"),
}
_PLAIN_OPTIONS = {
    "strategy": "strategy",
    "min_level": "min_level",
    "max_length": "max_queue_length",
    "max_wait": "max_wait_seconds",
    "offer_timeout": "offer_timeout_seconds",
    "prefer_last_agent": "prefer_last_agent",
}


def queue_options(command: F) -> F:
    """The options shared by `add` and `set`: each one given becomes one queue field."""
    options = [
        click.option("--name-zh", help="Display name in Chinese (zh-CN)."),
        click.option("--name-en", help="Display name in English."),
        click.option("--strategy", type=click.Choice(STRATEGIES), help="How an agent is chosen."),
        click.option("--skill", help='Skill an agent needs to serve this queue ("" clears).'),
        click.option("--min-level", type=int, help="Lowest skill level (1-5) that qualifies."),
        click.option("--language", help='Language the agent must speak, e.g. zh-CN ("" clears).'),
        click.option(
            "--prefer-last-agent/--no-prefer-last-agent",
            default=None,
            help="Offer a returning customer to the agent who served them last.",
        ),
        click.option("--max-length", type=int, help="Most conversations waiting (0: no limit)."),
        click.option("--max-wait", type=int, help="Longest wait in seconds (0: no limit)."),
        click.option(
            "--overflow",
            help='Overflow, in order: queues, then optionally leave_message ("" clears).',
        ),
        click.option(
            "--hours",
            "hours_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Business hours as a JSON file (see docs/routing.md).",
        ),
        click.option("--always-open", is_flag=True, help="No business hours: always open."),
        click.option("--welcome-zh", help="Welcome message in Chinese."),
        click.option("--welcome-en", help="Welcome message in English."),
        click.option("--queue-msg-zh", help="Message while waiting, in Chinese."),
        click.option("--queue-msg-en", help="Message while waiting, in English."),
        click.option(
            "--offer-timeout",
            type=int,
            help="Seconds an agent has to accept an offer (0: assign directly; up to 600).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def queues() -> None:
    """Manage queues (skill groups) and the skills and languages of agents."""


@queues.command()
@DATA_DIR_OPTION
@click.argument("name")
@queue_options
def add(data_dir: Path, name: str, **options: Any) -> None:
    """Create a queue; a queue is the group agents belong to (`users add --group`)."""
    from appliance.services.queues import do_create_queue

    fields = _fields(options)
    actor, identity = operator_and_identity(data_dir)
    queue = run_audited(
        lambda: do_create_queue(name, fields, actor=actor),
        EventType.ROUTING_RULE_CHANGED,
        _target(name),
        identity,
        actor,
    )
    click.echo(f"created queue {_describe(queue)}")


@queues.command("set")
@DATA_DIR_OPTION
@click.argument("name")
@queue_options
def set_queue(data_dir: Path, name: str, **options: Any) -> None:
    """Change some fields of a queue; the others stay as they are."""
    from appliance.services.queues import do_update_queue

    fields = _fields(options)
    if not fields:
        raise click.UsageError("give at least one option to change")
    actor, identity = operator_and_identity(data_dir)
    queue = run_audited(
        lambda: do_update_queue(name, fields, actor=actor),
        EventType.ROUTING_RULE_CHANGED,
        _target(name),
        identity,
        actor,
    )
    click.echo(f"updated queue {_describe(queue)}")


@queues.command("list")
@DATA_DIR_OPTION
def list_all(data_dir: Path) -> None:
    """List queues: name, strategy, skill, language, limits, overflow, hours."""
    from appliance.queries.routing import list_queues

    bind_instance(data_dir)
    rows = [("NAME", "STRATEGY", "SKILL", "LANGUAGE", "MAX-LEN", "MAX-WAIT", "OVERFLOW", "HOURS")]
    for queue in list_queues():
        skill = (
            "-" if queue.required_skill is None else f"{queue.required_skill}>={queue.min_level}"
        )
        rows.append(
            (
                queue.name,
                queue.strategy,
                skill,
                queue.language or "-",
                str(queue.max_queue_length or "-"),
                f"{queue.max_wait_seconds}s" if queue.max_wait_seconds else "-",
                ",".join(queue.overflow) or "-",
                "always" if queue.hours is None else queue.hours.time_zone,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


@queues.command()
@DATA_DIR_OPTION
@click.argument("name")
def show(data_dir: Path, name: str) -> None:
    """Print one queue as JSON (the HTTP API's form; --hours takes its "hours" part)."""
    from appliance.queries.routing import get_queue

    bind_instance(data_dir)
    queue = get_queue(name.strip().lower())
    if queue is None:
        raise click.ClickException(f"no queue named {name!r}")
    click.echo(json.dumps(queue.as_json(), ensure_ascii=False, indent=2))


@queues.command()
@DATA_DIR_OPTION
@click.argument("name")
def remove(data_dir: Path, name: str) -> None:
    """Remove a queue that nobody waits in and no other queue overflows into."""
    from appliance.services.queues import do_remove_queue

    actor, identity = operator_and_identity(data_dir)
    run_audited(
        lambda: do_remove_queue(name, actor=actor),
        EventType.ROUTING_RULE_CHANGED,
        _target(name),
        identity,
        actor,
    )
    click.echo(f"removed queue {name.strip().lower()}")


@queues.command()
@DATA_DIR_OPTION
@click.argument("username")
@click.option(
    "--set",
    "assignments",
    required=True,
    help='The agent\'s skills, replacing any before: skill:level,... (levels 1-5; "" for none).',
)
@click.option("--languages", help="The languages the agent serves in, e.g. zh-CN,en.")
def skills(data_dir: Path, username: str, assignments: str, languages: str | None) -> None:
    """Replace an agent's skills (and, with --languages, languages)."""
    from appliance.services.queues import do_set_agent_skills

    levels = _skill_levels(assignments)
    langs = None if languages is None else _split(languages)
    actor, identity = operator_and_identity(data_dir)
    profile = run_audited(
        lambda: do_set_agent_skills(username=username, skills=levels, languages=langs, actor=actor),
        EventType.AGENT_SKILLS_CHANGED,
        Target("user", f"username:{username.strip().lower()}"),
        identity,
        actor,
    )
    shown = ",".join(f"{skill}:{level}" for skill, level in sorted(profile.skills.items()))
    click.echo(
        f"skills of {username.strip().lower()}: {shown or 'none'}; "
        f"languages {','.join(sorted(profile.languages)) or 'none'}"
    )


def _fields(options: dict[str, Any]) -> dict[str, Any]:
    """The queue fields the given options set (options left out are absent)."""
    fields: dict[str, Any] = {}
    for option, (field, language) in _TEXT_OPTIONS.items():
        if options[option] is not None:
            fields.setdefault(field, {})[language] = options[option]
    for option, field in _PLAIN_OPTIONS.items():
        if options[option] is not None:
            fields[field] = options[option]
    for option, field in (("skill", "required_skill"), ("language", "language")):
        if options[option] is not None:
            fields[field] = options[option] or None
    if options["overflow"] is not None:
        fields["overflow"] = _split(options["overflow"])
    if options["hours_file"] is not None and options["always_open"]:
        raise click.UsageError("give --hours FILE or --always-open, not both")
    if options["always_open"]:
        fields["hours"] = None
    elif options["hours_file"] is not None:
        fields["hours"] = _read_json(options["hours_file"])
    return fields


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"{path} is not a readable JSON file ({exc})"
        raise click.BadParameter(problem, param_hint="--hours") from None


def _skill_levels(raw: str) -> dict[str, int]:
    levels: dict[str, int] = {}
    for item in _split(raw):
        skill, _, level = item.partition(":")
        if not level.strip().isdigit():
            raise click.BadParameter(f"{item!r}: expected skill:level", param_hint="--set")
        if skill.strip() in levels:
            raise click.BadParameter(f"{skill.strip()!r} is given twice", param_hint="--set")
        levels[skill.strip()] = int(level)
    return levels


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _describe(queue: QueueConfig) -> str:
    overflow = " -> ".join(queue.overflow) or "none"
    hours = "always open" if queue.hours is None else f"hours in {queue.hours.time_zone}"
    return f"{queue.name} ({queue.strategy}; overflow {overflow}; {hours})"


def _target(name: str) -> Target:
    # Refusals are recorded by the name given: the queue may not exist.
    return Target("queue", name.strip().lower())
