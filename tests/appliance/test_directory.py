"""The local directory services: accounts, passwords, lockout and sessions, on both databases."""

from __future__ import annotations

import threading

import pytest

from appliance import errors
from appliance.db import db
from appliance.models import Agent
from appliance.permissions import Permission
from appliance.queries.directory import list_users
from appliance.services import _passwords
from appliance.services.directory import do_change_roles
from appliance.services.directory import do_disable_user
from appliance.services.directory import do_reset_password
from appliance.services.directory import get_principal
from appliance.services.directory import open_session
from appliance.services.directory import principal_from_session
from appliance.services.sign_in import LoginOutcome
from appliance.services.sign_in import do_login
from appliance.settings import load_settings
from audit.canonical import canonical_bytes
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.audit_helpers import bind
from tests.appliance.directory_helpers import ADMIN
from tests.appliance.directory_helpers import PASSWORD
from tests.appliance.directory_helpers import frozen_clock
from tests.appliance.directory_helpers import make_agent

NEW_PASSWORD = "a different long secret"


@pytest.fixture
def policy(any_instance_dir):
    bind(any_instance_dir)
    return load_settings(any_instance_dir, environ={}).security


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def events(action):
    return [e for e in all_events() if e.action is action]


def agent_row(username):
    with db.connection_context():
        return Agent.get(Agent.username == username)


def attempt(policy, password, username="ann"):
    return do_login(username=username, password=password, policy=policy, ip="10.0.0.7")


def test_it_creates_an_account_and_audits_it_without_the_password(policy):
    ann = make_agent("Ann", roles=("agent", "supervisor"), groups=("cards", "general"))

    assert ann.username == "ann"
    assert ann.roles == {"agent", "supervisor"}
    assert ann.groups == {"cards", "general"}
    assert ann.can(Permission.CONVERSATION_VIEW_GROUP)
    assert not ann.can(Permission.USERS_MANAGE)
    assert get_principal(ann.id) == ann
    [created] = events(EventType.USER_CREATED)
    assert created.actor == ADMIN
    assert created.target.id == f"agent:{ann.id}"
    assert created.details == {
        "username": "ann",
        "roles": ["agent", "supervisor"],
        "groups": ["cards", "general"],
    }
    assert PASSWORD.encode() not in b"".join(canonical_bytes(e) for e in all_events())


def test_it_stores_an_argon2id_hash_never_the_password(policy):
    make_agent("ann")

    stored = agent_row("ann").password_hash

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored
    assert _passwords.verify_password(stored, PASSWORD)
    assert not _passwords.verify_password(stored, PASSWORD + "!")


def test_it_refuses_a_taken_username_whatever_its_case(policy):
    make_agent("ann")

    with pytest.raises(errors.Conflict, match="already taken"):
        make_agent("ANN")
    assert len(list_users()) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "ann smith"}, "username: expected 1-64"),
        ({"username": "x" * 65}, "username: expected 1-64"),
        ({"password": "short pass1"}, "at least 12 characters"),
        ({"roles": ()}, "at least one role"),
        ({"roles": ("wizard",)}, "unknown role 'wizard'"),
        ({"roles": ("sysadmin", "auditadmin")}, "三员分立"),
        ({"groups": ("no spaces",)}, "not a group name"),
    ],
)
def test_it_refuses_invalid_accounts_and_changes_nothing(policy, fields, message):
    with pytest.raises(errors.InvalidPayload, match=message):
        make_agent(**{"username": "ann", **fields})

    assert list_users() == []
    assert events(EventType.USER_CREATED) == []


def test_it_signs_in_with_the_right_password_and_audits_it(policy):
    ann = make_agent("ann")

    result = attempt(policy, PASSWORD, username=" Ann ")

    assert result.outcome is LoginOutcome.SIGNED_IN
    assert result.principal == ann
    [success] = events(EventType.LOGIN_SUCCEEDED)
    assert success.actor.id == f"agent:{ann.id}"
    assert success.actor.ip == "10.0.0.7"
    assert success.target.id == f"agent:{ann.id}"


def test_it_audits_every_refusal_with_its_reason_and_one_answer_for_all(policy):
    make_agent("ann")
    make_agent("bob")
    do_disable_user(username="bob", actor=ADMIN)

    outcomes = [
        attempt(policy, "wrong password!").outcome,
        attempt(policy, PASSWORD, username="nobody").outcome,
        attempt(policy, PASSWORD, username="bob").outcome,
        attempt(policy, PASSWORD, username="not a name at all").outcome,
    ]

    assert outcomes == [LoginOutcome.INVALID] * 4
    failed = events(EventType.LOGIN_FAILED)
    assert [(e.target.id, e.result.reason) for e in failed] == [
        (f"agent:{agent_row('ann').id}", "wrong password"),
        ("username:nobody", "unknown user"),
        (f"agent:{agent_row('bob').id}", "account disabled"),
        ("username:(invalid)", "unknown user"),
    ]
    assert all(e.actor.id == "anonymous" and e.actor.ip == "10.0.0.7" for e in failed)
    assert all(not e.result.ok for e in failed)


def test_it_locks_after_the_threshold_even_against_the_right_password(policy, clock):
    make_agent("ann")
    for _ in range(policy.lockout_threshold - 1):
        assert attempt(policy, "wrong password!").outcome is LoginOutcome.INVALID

    locking = attempt(policy, "wrong password!")

    assert locking.outcome is LoginOutcome.LOCKED
    assert locking.locked_until_ms == clock.ms + policy.lockout_minutes * 60_000
    assert attempt(policy, PASSWORD).outcome is LoginOutcome.LOCKED
    [locked] = events(EventType.ACCOUNT_LOCKED)
    assert locked.details["locked_until_ms"] == locking.locked_until_ms
    assert events(EventType.LOGIN_FAILED)[-1].result.reason == "account locked"

    clock.advance(minutes=policy.lockout_minutes, ms=-1)
    assert attempt(policy, PASSWORD).outcome is LoginOutcome.LOCKED
    clock.advance(ms=1)
    assert attempt(policy, PASSWORD).outcome is LoginOutcome.SIGNED_IN


def test_it_resets_the_failure_count_on_success(policy):
    make_agent("ann")
    for _ in range(policy.lockout_threshold - 1):
        attempt(policy, "wrong password!")
    attempt(policy, PASSWORD)

    for _ in range(policy.lockout_threshold - 1):
        assert attempt(policy, "wrong password!").outcome is LoginOutcome.INVALID
    assert agent_row("ann").failed_logins == policy.lockout_threshold - 1
    assert events(EventType.ACCOUNT_LOCKED) == []


def test_it_counts_parallel_guesses_exactly(policy):
    make_agent("ann")
    outcomes = []

    def guess():
        outcomes.append(attempt(policy, "wrong password!").outcome)

    threads = [threading.Thread(target=guess) for _ in range(3 * policy.lockout_threshold)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(events(EventType.ACCOUNT_LOCKED)) == 1
    reasons = [e.result.reason for e in events(EventType.LOGIN_FAILED)]
    assert reasons.count("wrong password") == policy.lockout_threshold
    assert len(outcomes) == len(threads)
    assert attempt(policy, PASSWORD).outcome is LoginOutcome.LOCKED


def test_a_password_reset_lifts_the_lock_and_retires_the_old_password(policy):
    make_agent("ann")
    for _ in range(policy.lockout_threshold):
        attempt(policy, "wrong password!")

    do_reset_password(username="ann", password=NEW_PASSWORD, actor=ADMIN)

    assert attempt(policy, PASSWORD).outcome is LoginOutcome.INVALID
    assert attempt(policy, NEW_PASSWORD).outcome is LoginOutcome.SIGNED_IN
    [reset] = events(EventType.PASSWORD_RESET)
    assert reset.details == {"username": "ann", "sessions_revoked": True, "unlocked": True}
    assert NEW_PASSWORD.encode() not in b"".join(canonical_bytes(e) for e in all_events())


def test_it_rehashes_a_password_stored_with_older_parameters(policy, monkeypatch):
    monkeypatch.setattr(_passwords, "ITERATIONS", 1)
    make_agent("ann")
    monkeypatch.undo()
    assert _passwords.needs_rehash(agent_row("ann").password_hash)

    assert attempt(policy, PASSWORD).outcome is LoginOutcome.SIGNED_IN

    assert not _passwords.needs_rehash(agent_row("ann").password_hash)
    assert events(EventType.LOGIN_SUCCEEDED)[0].details["rehashed"] is True


def signed_in_session(policy, username="ann"):
    result = attempt(policy, PASSWORD, username=username)
    session = {"csrf": "token"}
    open_session(session, result.principal, epoch=result.session_epoch, sid="s-1")
    return session


def test_a_session_lives_while_active_and_expires_when_idle(policy, clock):
    ann = make_agent("ann")
    session = signed_in_session(policy)

    for _ in range(3):  # activity keeps it alive well past one idle period
        clock.advance(minutes=policy.session_idle_minutes)
        assert principal_from_session(session, policy=policy) == ann
        assert session["last_seen_ms"] == clock.ms

    clock.advance(minutes=policy.session_idle_minutes, ms=1)
    with pytest.raises(errors.SessionExpired):
        principal_from_session(session, policy=policy)
    assert session == {"csrf": "token"}
    with pytest.raises(errors.Unauthorized):
        principal_from_session(session, policy=policy)


@pytest.mark.parametrize(
    "end",
    [
        lambda: do_disable_user(username="ann", actor=ADMIN),
        lambda: do_reset_password(username="ann", password=NEW_PASSWORD, actor=ADMIN),
    ],
    ids=["disable", "reset-password"],
)
def test_disabling_or_resetting_ends_open_sessions(policy, end):
    make_agent("ann")
    session = signed_in_session(policy)

    end()

    with pytest.raises(errors.SessionExpired):
        principal_from_session(session, policy=policy)


def test_a_disabled_account_has_no_principal_and_cannot_be_disabled_twice(policy):
    ann = make_agent("ann")

    do_disable_user(username="ann", actor=ADMIN)

    assert get_principal(ann.id) is None
    with pytest.raises(errors.Conflict, match="already disabled"):
        do_disable_user(username="ann", actor=ADMIN)
    with pytest.raises(errors.NotFound):
        do_disable_user(username="nobody", actor=ADMIN)
    [disabled] = events(EventType.USER_DISABLED)
    assert disabled.details == {"username": "ann", "sessions_revoked": True}


def test_it_changes_roles_at_once_and_audits_the_change(policy):
    make_agent("ann")
    session = signed_in_session(policy)

    do_change_roles(username="ann", roles=("supervisor",), groups=("cards",), actor=ADMIN)

    now = principal_from_session(session, policy=policy)
    assert now.roles == {"supervisor"}
    assert now.groups == {"cards"}
    [changed] = events(EventType.ROLE_CHANGED)
    assert changed.details["roles"] == {"from": ["agent"], "to": ["supervisor"]}
    assert changed.details["groups"] == {"from": ["general"], "to": ["cards"]}
    with pytest.raises(errors.InvalidPayload, match="三员分立"):
        do_change_roles(username="ann", roles=("secadmin", "sysadmin"), actor=ADMIN)


def test_it_lists_accounts_with_their_status(policy, clock):
    make_agent("ann")
    make_agent("bob")
    make_agent("cid", roles=("auditadmin",))
    do_disable_user(username="bob", actor=ADMIN)
    for _ in range(policy.lockout_threshold):
        attempt(policy, "wrong password!", username="cid")

    listed = {user.username: user for user in list_users()}

    assert [listed[name].status(clock.ms) for name in ("ann", "bob", "cid")] == [
        "active",
        "disabled",
        "locked",
    ]
    assert listed["cid"].roles == ("auditadmin",)
