"""/api/v1/auth/*, permission enforcement and CSRF over HTTP."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from flask import Blueprint
from flask import g
from flask import jsonify

from appliance import create_app
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.services.directory import do_disable_user
from appliance.services.directory import do_reset_password
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.directory_helpers import ADMIN
from tests.appliance.directory_helpers import PASSWORD
from tests.appliance.directory_helpers import csrf_token
from tests.appliance.directory_helpers import frozen_clock
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent

LOGIN = "/api/v1/auth/login"
SESSION = "/api/v1/auth/session"
LOGOUT = "/api/v1/auth/logout"


@pytest.fixture
def app(settings):
    """The real app plus probe routes guarded the way product routes are."""
    app = create_app(settings)
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/chat")
    @requires(Permission.CHAT_HANDLE)
    def chat():
        return jsonify({"ok": True, "who": g.principal.username})

    @probe.post("/probe/chat")
    @requires(Permission.CHAT_HANDLE)
    def post_chat():
        return jsonify({"ok": True})

    @probe.get("/probe/users")
    @requires(Permission.USERS_MANAGE)
    def users():
        return jsonify({"ok": True})

    @probe.get("/probe/undeclared")
    def undeclared():
        return jsonify({"ok": True})

    app.register_blueprint(probe)
    return app


def events(action):
    return [e for e in all_events() if e.action is action]


def post_login(client, username="agent1", password=PASSWORD, token=None):
    token = csrf_token(client) if token is None else token
    return client.post(
        LOGIN, json={"username": username, "password": password}, headers={"X-CSRF-Token": token}
    )


def session_cookie(response):
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_it_hands_out_a_csrf_token_and_nobody_before_login(client):
    first = client.get(SESSION)
    second = client.get(SESSION)

    assert first.status_code == 200
    assert first.json["ok"] is True
    assert first.json["agent"] is None
    assert len(first.json["csrf_token"]) >= 32
    assert second.json["csrf_token"] == first.json["csrf_token"]


def test_it_signs_in_and_says_who_is_signed_in(client):
    agent = make_agent("agent1", roles=("agent", "supervisor"), groups=("cards", "general"))

    response = post_login(client)

    assert response.status_code == 200
    expected = {
        "id": agent.id,
        "username": "agent1",
        "name": "Agent1",
        "roles": ["agent", "supervisor"],
        "groups": ["cards", "general"],
        "permissions": [
            "canned.manage_shared",
            "chat.handle",
            "conversation.view_group",
            "desk.supervise",
            "pii.reveal",
            "queues.view",
            "reports.view",
        ],
    }
    assert response.json["ok"] is True
    assert response.json["agent"] == expected
    assert client.get(SESSION).json["agent"] == expected
    [success] = events(EventType.LOGIN_SUCCEEDED)
    assert success.actor.id == f"agent:{agent.id}"
    assert success.actor.ip == "127.0.0.1"
    assert success.actor.session_id


def test_it_renews_the_csrf_token_at_sign_in(client):
    make_agent()
    before = csrf_token(client)

    after = login(client)

    assert after != before
    assert client.post(LOGOUT, headers={"X-CSRF-Token": before}).json["code"] == "csrf_failed"
    assert client.post(LOGOUT, headers={"X-CSRF-Token": after}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}])
def test_it_refuses_login_without_the_csrf_token(client, headers):
    make_agent()
    csrf_token(client)

    response = client.post(
        LOGIN, json={"username": "agent1", "password": PASSWORD}, headers=headers
    )

    assert response.status_code == 403
    assert response.json["code"] == "csrf_failed"
    assert events(EventType.LOGIN_SUCCEEDED) == events(EventType.LOGIN_FAILED) == []


def test_it_refuses_a_write_from_a_browser_that_never_fetched_a_token(client):
    response = client.post(LOGIN, json={"username": "agent1", "password": PASSWORD})

    assert response.status_code == 403
    assert response.json["code"] == "csrf_failed"


def test_it_answers_wrong_password_unknown_and_disabled_users_alike(client):
    make_agent("agent1")
    make_agent("agent2")
    do_disable_user(username="agent2", actor=ADMIN)

    answers = [
        post_login(client, password="not the password"),
        post_login(client, username="nobody"),
        post_login(client, username="agent2"),
    ]

    assert {r.status_code for r in answers} == {401}
    assert {(r.json["code"], r.json["error"]) for r in answers} == {
        ("invalid_credentials", "Wrong username or password")
    }
    assert len(events(EventType.LOGIN_FAILED)) == 3
    assert client.get(SESSION).json["agent"] is None


@pytest.mark.parametrize(
    "body",
    [None, [], {"username": "agent1"}, {"username": 1, "password": PASSWORD}, "text"],
)
def test_it_refuses_a_malformed_login(client, body):
    headers = {"X-CSRF-Token": csrf_token(client)}
    if body is None:
        response = client.post(LOGIN, data="not json", headers=headers)
    else:
        response = client.post(LOGIN, json=body, headers=headers)

    assert response.status_code == 400
    assert response.json == {
        "ok": False,
        "code": "invalid_payload",
        "error": 'expected JSON {"username": string, "password": string}',
    }


def test_it_locks_the_account_and_audits_the_lockout(client, settings):
    make_agent()
    threshold = settings.security.lockout_threshold

    answers = [post_login(client, password="not the password") for _ in range(threshold)]
    during = post_login(client)

    assert [r.status_code for r in answers] == [401] * (threshold - 1) + [423]
    assert during.status_code == 423
    assert during.json["code"] == "account_locked"
    assert len(events(EventType.ACCOUNT_LOCKED)) == 1
    assert len(events(EventType.LOGIN_FAILED)) == threshold + 1


# The policy, as numbers: a test that read them from the settings would pass
# whatever config/defaults.toml shipped.
SHIPPED_LOCKOUT_THRESHOLD = 5
SHIPPED_LOCKOUT_MINUTES = 15


def test_the_shipped_defaults_lock_after_5_failures_for_15_minutes(app, monkeypatch):
    """`app` is a freshly initialized instance with no overrides: the shipped policy."""
    clock = frozen_clock(monkeypatch)
    make_agent()

    def wrong():
        return post_login(app.test_client(), password="not the password")

    def right():
        return post_login(app.test_client())

    # A success resets the count: 4 failures, a success, then 4 more are not yet a lock.
    assert [wrong().status_code for _ in range(SHIPPED_LOCKOUT_THRESHOLD - 1)] == [401] * 4
    assert right().status_code == 200
    assert [wrong().status_code for _ in range(SHIPPED_LOCKOUT_THRESHOLD - 1)] == [401] * 4
    locked_at = clock.ms
    locking = wrong()  # the 5th in a row
    assert (locking.status_code, locking.json["code"]) == (423, "account_locked")

    during = right()  # the right password is refused during the lock
    assert (during.status_code, during.json["code"]) == (423, "account_locked")
    clock.advance(minutes=SHIPPED_LOCKOUT_MINUTES - 1, ms=59_000)  # 14:59
    assert right().json["code"] == "account_locked"
    clock.advance(ms=999)  # 14:59.999
    assert right().json["code"] == "account_locked"
    clock.advance(ms=1)  # 15:00
    lifted = right()
    assert lifted.status_code == 200, lifted.json

    [locked] = events(EventType.ACCOUNT_LOCKED)
    assert locked.result.reason == "5 consecutive failed sign-ins"
    assert locked.details["minutes"] == SHIPPED_LOCKOUT_MINUTES
    assert locked.details["locked_until_ms"] == locked_at + SHIPPED_LOCKOUT_MINUTES * 60_000
    failed = events(EventType.LOGIN_FAILED)
    assert [e.details.get("consecutive_failures") for e in failed[:9]] == [
        *range(1, 5),
        *range(1, 6),
    ]
    assert [e.result.reason for e in failed] == ["wrong password"] * 9 + ["account locked"] * 3
    assert len(events(EventType.LOGIN_SUCCEEDED)) == 2


def test_it_logs_out_and_audits_it(client):
    agent = make_agent()
    token = login(client)

    response = client.post(LOGOUT, headers={"X-CSRF-Token": token})

    assert response.status_code == 200
    assert response.json == {"ok": True}
    assert client.get("/probe/chat").json["code"] == "unauthorized"
    [logout] = events(EventType.LOGOUT)
    assert logout.actor.id == f"agent:{agent.id}"
    assert logout.details == {"username": "agent1", "everywhere": False}


def test_logging_out_everywhere_ends_the_other_sessions(app, client):
    make_agent()
    other = app.test_client()
    login(other)
    token = login(client)

    client.post(LOGOUT, json={"everywhere": True}, headers={"X-CSRF-Token": token})

    assert other.get("/probe/chat").json["code"] == "session_expired"
    assert len(events(EventType.SESSION_REVOKED)) == 1


def test_it_lets_a_permitted_agent_through(client):
    make_agent()
    token = login(client)

    assert client.get("/probe/chat").json == {"ok": True, "who": "agent1"}
    assert client.post("/probe/chat", headers={"X-CSRF-Token": token}).status_code == 200


def test_it_refuses_anonymous_callers(client):
    response = client.get("/probe/chat")

    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_it_refuses_and_audits_a_missing_permission(client):
    agent = make_agent()
    login(client)

    response = client.get("/probe/users")

    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
    [denied] = events(EventType.ACCESS_DENIED)
    assert denied.actor.id == f"agent:{agent.id}"
    assert denied.target.id == "http:GET /probe/users"
    assert denied.result.reason == "requires users.manage"


def test_it_refuses_an_endpoint_that_declares_no_permission(client):
    make_agent(roles=("agent", "sysadmin"))
    login(client)

    response = client.get("/probe/undeclared")

    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_it_refuses_a_write_without_the_csrf_token_even_when_signed_in(client):
    make_agent()
    login(client)

    response = client.post("/probe/chat")

    assert response.status_code == 403
    assert response.json["code"] == "csrf_failed"


def test_an_idle_session_expires(client, settings, monkeypatch):
    clock = frozen_clock(monkeypatch)
    make_agent()
    login(client)
    idle = settings.security.session_idle_minutes

    clock.advance(minutes=idle)
    assert client.get("/probe/chat").status_code == 200
    clock.advance(minutes=idle, ms=1)
    response = client.get("/probe/chat")

    assert response.status_code == 401
    assert response.json["code"] == "session_expired"
    assert client.get("/probe/chat").json["code"] == "unauthorized"
    assert client.get(SESSION).json["agent"] is None


@pytest.mark.parametrize(
    "end",
    [
        lambda: do_disable_user(username="agent1", actor=ADMIN),
        lambda: do_reset_password(username="agent1", password="new long password", actor=ADMIN),
    ],
    ids=["disabled", "password-reset"],
)
def test_a_session_dies_when_its_account_is_disabled_or_reset(client, end):
    make_agent()
    login(client)

    end()
    response = client.get("/probe/chat")

    assert response.status_code == 401
    assert response.json["code"] == "session_expired"


def test_the_session_cookie_is_http_only_and_same_site(client):
    cookie = session_cookie(client.get(SESSION))

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_tls(settings):
    tls = dataclasses.replace(
        settings, server=dataclasses.replace(settings.server, behind_tls=True)
    )

    cookie = session_cookie(create_app(tls).test_client().get(SESSION))

    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_it_never_logs_a_password(client, caplog):
    make_agent()
    caplog.set_level(logging.DEBUG)

    post_login(client, password="guess-one-two-three")
    post_login(client)

    assert "guess-one-two-three" not in caplog.text
    assert PASSWORD not in caplog.text
