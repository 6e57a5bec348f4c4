"""`enclave users …`, run in-process with click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from appliance.commands import cli
from appliance.services.sign_in import LoginOutcome
from appliance.services.sign_in import do_login
from appliance.settings import load_settings
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.audit_helpers import bind
from tests.appliance.directory_helpers import PASSWORD
from tests.appliance.directory_helpers import frozen_clock


@pytest.fixture
def users(instance_dir, tmp_path):
    runner = CliRunner()
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")

    def run(*args, input=None, password=True):
        extra = ["--password-file", str(password_file)] if password else []
        return runner.invoke(
            cli, ["users", *args, "--data-dir", str(instance_dir), *extra], input=input
        )

    return run


def listing(users):
    result = users("list", password=False)
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def events(instance_dir, action):
    bind(instance_dir)
    return [e for e in all_events() if e.action is action]


def sign_in(instance_dir, username, password):
    bind(instance_dir)
    policy = load_settings(instance_dir, environ={}).security
    return do_login(username=username, password=password, policy=policy).outcome


def test_it_adds_an_account_and_lists_it(users, instance_dir):
    result = users("add", "Ann", "--name", "Ann Li", "--role", "agent", "--group", "cards")

    assert result.exit_code == 0, result.output
    assert "created ann (id 1): roles agent; groups cards" in result.output
    assert listing(users) == [
        ["USERNAME", "NAME", "ROLES", "GROUPS", "STATUS"],
        ["ann", "Ann", "Li", "agent", "cards", "active"],
    ]
    [created] = events(instance_dir, EventType.USER_CREATED)
    assert created.actor.role == "operator"
    assert created.actor.id.startswith("os:")
    assert sign_in(instance_dir, "ann", PASSWORD) is LoginOutcome.SIGNED_IN


def test_it_prompts_twice_for_the_password_without_echoing_it(users, instance_dir):
    result = users(
        "add",
        "bob",
        "--name",
        "Bob",
        "--role",
        "supervisor",
        input=f"{PASSWORD}\n{PASSWORD}\n",
        password=False,
    )

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "groups general" in result.output
    assert sign_in(instance_dir, "bob", PASSWORD) is LoginOutcome.SIGNED_IN


def test_it_refuses_two_separated_roles_and_audits_the_refusal(users, instance_dir):
    result = users("add", "root", "--name", "Root", "--role", "sysadmin", "--role", "secadmin")

    assert result.exit_code == 1
    assert "三员分立" in result.output
    assert listing(users)[1:] == []
    [refused] = events(instance_dir, EventType.USER_CREATED)
    assert not refused.result.ok
    assert refused.target.id == "username:root"


def test_it_refuses_a_short_password_clearly(users, tmp_path):
    short = tmp_path / "short"
    short.write_text("too short\n")

    result = users(
        "add",
        "ann",
        "--name",
        "Ann",
        "--role",
        "agent",
        "--password-file",
        str(short),
        password=False,
    )

    assert result.exit_code == 1
    assert "password: must be at least 12 characters long" in result.output
    assert "too short" not in result.output


def test_it_refuses_a_taken_username_and_an_unknown_role(users):
    users("add", "ann", "--name", "Ann", "--role", "agent")

    taken = users("add", "ann", "--name", "Another Ann", "--role", "agent")
    unknown = users("add", "cid", "--name", "Cid", "--role", "wizard")

    assert taken.exit_code == 1
    assert "username 'ann' is already taken" in taken.output
    assert unknown.exit_code == 2
    assert "'wizard' is not one of" in unknown.output


def test_it_disables_an_account(users, instance_dir):
    users("add", "ann", "--name", "Ann", "--role", "agent")

    result = users("disable", "ann", password=False)

    assert result.exit_code == 0, result.output
    assert listing(users)[1][-1] == "disabled"
    assert len(events(instance_dir, EventType.USER_DISABLED)) == 1
    assert sign_in(instance_dir, "ann", PASSWORD) is LoginOutcome.INVALID
    again = users("disable", "ann", password=False)
    assert again.exit_code == 1
    assert "already disabled" in again.output


def test_it_shows_a_lockout_and_a_reset_lifts_it(users, instance_dir, tmp_path, monkeypatch):
    clock = frozen_clock(monkeypatch)
    users("add", "ann", "--name", "Ann", "--role", "agent")
    security = load_settings(instance_dir, environ={}).security
    for _ in range(security.lockout_threshold):
        sign_in(instance_dir, "ann", "not the password")
    clock.advance(minutes=security.lockout_minutes - 1, ms=1)
    assert " ".join(listing(users)[1][-4:]) == "locked (1 min left)"
    new_password = tmp_path / "new"
    new_password.write_text("an entirely new secret\n")

    result = users("reset-password", "ann", "--password-file", str(new_password), password=False)

    assert result.exit_code == 0, result.output
    assert listing(users)[1][-1] == "active"
    assert sign_in(instance_dir, "ann", "an entirely new secret") is LoginOutcome.SIGNED_IN
    [reset] = events(instance_dir, EventType.PASSWORD_RESET)
    assert reset.actor.role == "operator"
    assert "an entirely new secret" not in str(reset)


def test_it_changes_roles_and_groups(users, instance_dir):
    users("add", "ann", "--name", "Ann", "--role", "agent")

    result = users(
        "set-roles",
        "ann",
        "--role",
        "agent",
        "--role",
        "supervisor",
        "--group",
        "cards",
        password=False,
    )

    assert result.exit_code == 0, result.output
    assert listing(users)[1][2:4] == ["agent,supervisor", "cards"]
    [changed] = events(instance_dir, EventType.ROLE_CHANGED)
    assert changed.details["roles"] == {"from": ["agent"], "to": ["agent", "supervisor"]}


def test_it_names_an_unknown_account(users):
    result = users("disable", "nobody", password=False)

    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.output
