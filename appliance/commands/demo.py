"""`enclave demo setup`: demo accounts for the demo pages (what `make run` uses), and the
instance settings that make an instance a demo one: the pages on (demo.enabled) and the
demo queues offered as pre-chat topics."""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.settings import INSTANCE_FILE

CREDENTIALS_FILE = "demo-credentials.txt"

# username, display name, role, queues served, skills (level 1-5).
DEMO_ACCOUNTS: tuple[tuple[str, str, str, tuple[str, ...], dict[str, int]], ...] = (
    ("demo-agent", "Demo Agent", "agent", ("general", "cards"), {"cards": 4}),
    ("demo-wealth", "Demo Wealth Advisor", "agent", ("general", "wealth"), {"wealth": 4}),
    ("demo-supervisor", "Demo Supervisor", "supervisor", ("general", "cards", "wealth"), {}),
)
# Roles added to an account's main one: demo-agent may reveal masked PII (the demo shows
# the audited reveal); demo-wealth may not.
DEMO_EXTRA_ROLES: dict[str, tuple[str, ...]] = {"demo-agent": ("pii_viewer",)}
# Two demo queues needing different skills (docs/routing.md, "The demo queues"):
# a visitor who asks about a lost card reaches demo-agent, one who asks about
# funds or deposits reaches demo-wealth; anything else goes to "general".
DEMO_QUEUES: dict[str, dict[str, Any]] = {
    "cards": {
        "display_name": {"zh-CN": "银行卡", "en": "Cards"},
        "required_skill": "cards",
        "min_level": 3,
        "overflow": ["general"],
        "welcome_message": {
            "zh-CN": "您好，这里是银行卡服务，请问有什么可以帮您？",
            "en": "Hello, this is card services. How can we help?",
        },
    },
    "wealth": {
        "display_name": {"zh-CN": "理财", "en": "Wealth"},
        "strategy": "longest_idle",
        "required_skill": "wealth",
        "min_level": 3,
        "overflow": ["general"],
        "welcome_message": {
            "zh-CN": "您好，这里是理财服务，请问有什么可以帮您？",
            "en": "Hello, this is wealth services. How can we help?",
        },
    },
}

# The widget's pre-chat topics (docs/widget.md, "The pre-chat form"): the two demo queues,
# plus "something else" (visitor.prechat_other_topic, on by default).
DEMO_PRECHAT_TOPICS = "cards,wealth"

# Shared canned replies (docs/http-api.md, "Canned replies"): "/" + shortcut in the composer.
DEMO_CANNED_REPLIES: tuple[dict[str, str], ...] = (
    {
        "shortcut": "welcome",
        "title": "Greeting",
        "body": "Hello, thank you for contacting us. How can I help you today?",
        "language": "en",
    },
    {
        "shortcut": "nihao",
        "title": "问候",
        "body": "您好，感谢您的咨询，请问有什么可以帮您？",
        "language": "zh-CN",
    },
    {
        "shortcut": "lostcard",
        "title": "Lost card",
        "body": "I have noted your lost card. For your safety it is now blocked; a new card "
        "will be sent to your registered address within 5 working days.",
        "language": "en",
    },
)


@click.group()
def demo() -> None:
    """Demo accounts for trying the appliance (not for production instances)."""


@demo.command()
@DATA_DIR_OPTION
def setup(data_dir: Path) -> None:
    """Create the demo agent and supervisor with random passwords; serve the demo pages.

    Writes them to DATA_DIR/demo-credentials.txt (mode 0600) and prints them. Run
    again, it only prints that file: the accounts already exist. The instance file
    gets demo.enabled = true and the demo queues as pre-chat topics, unless it sets
    those already.
    """
    credentials = data_dir / CREDENTIALS_FILE
    if not credentials.is_file():
        _create_accounts(data_dir, credentials)
    instance_file = data_dir / INSTANCE_FILE
    _configure(instance_file, "demo", "enabled", "true")
    _configure(instance_file, "visitor", "prechat_topics", f'"{DEMO_PRECHAT_TOPICS}"')
    click.echo(credentials.read_text(encoding="utf-8"), nl=False)


def _create_accounts(data_dir: Path, credentials: Path) -> None:
    from appliance import errors
    from appliance.commands._common import bind_instance
    from appliance.services.audit_log import sequence_pending
    from appliance.services.audit_trail import operator_actor
    from appliance.services.canned_replies import do_create_canned_reply
    from appliance.services.directory import do_create_user
    from appliance.services.queues import do_create_queue
    from appliance.services.queues import do_set_agent_skills

    _, identity = bind_instance(data_dir)
    actor = operator_actor()
    lines = [f"Demo accounts (from `enclave demo setup`; kept in {credentials}):\n"]
    try:
        for name, fields in DEMO_QUEUES.items():
            do_create_queue(name, fields, actor=actor)
        for username, display_name, role, queues, skills in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            do_create_user(
                username=username,
                display_name=display_name,
                password=password,
                roles=[role, *DEMO_EXTRA_ROLES.get(username, ())],
                groups=list(queues),
                actor=actor,
            )
            if skills:
                do_set_agent_skills(username=username, skills=skills, actor=actor)
            lines.append(f"  {role:<10}  user {username:<20}  password {password}\n")
        for reply in DEMO_CANNED_REPLIES:
            do_create_canned_reply(scope="shared", fields=reply, principal=None, actor=actor)
    except errors.Conflict:
        raise click.ClickException(
            f"the demo accounts exist but {credentials} does not, so their passwords are "
            "unknown; reset them with the user commands or start a fresh instance"
        ) from None
    except errors.AppError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        sequence_pending(identity)
    _write_private(credentials, "".join(lines))


def _configure(instance_file: Path, section: str, name: str, value: str) -> None:
    """Set `section.name` to the TOML literal `value` in the instance file, unless that
    file sets it already (an operator's choice stays)."""
    text = instance_file.read_text(encoding="utf-8")
    if name in tomllib.loads(text).get(section, {}):
        return
    setting = f"{name} = {value}"
    lines = text.splitlines()
    headers = [line.strip() for line in lines]
    if f"[{section}]" in headers:
        lines.insert(headers.index(f"[{section}]") + 1, setting)
    else:
        lines += ["", f"[{section}]", setting]
    instance_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a new file readable by its owner only (never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
