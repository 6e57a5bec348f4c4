"""/api/v1/canned-replies: personal and shared reply templates, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import CannedReply
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent

REPLIES = "/api/v1/canned-replies"
BODY = "您好，请稍候，我马上为您查询。 Please hold on while I check."


class Session:
    """A signed-in test client that sends its CSRF token on writes."""

    def __init__(self, client, csrf):
        self.client, self.csrf = client, csrf

    def get(self, path=REPLIES):
        return self.client.get(path)

    def send(self, method, path, body=None, *, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.client.open(path, method=method, json=body, headers=headers)

    def create(self, shortcut, **fields):
        body = {"shortcut": shortcut, "title": f"Title {shortcut}", "body": BODY, **fields}
        return self.send("POST", REPLIES, body)


def signed_in(app, username, roles=("agent",)):
    make_agent(username, roles=roles)
    client = app.test_client()
    return Session(client, login(client, username))


@pytest.fixture
def ann(any_app):
    return signed_in(any_app, "ann")


@pytest.fixture
def bob(any_app, ann):
    return signed_in(any_app, "bob")


@pytest.fixture
def sue(any_app, ann):
    return signed_in(any_app, "sue", roles=("supervisor",))


def changes():
    return [e for e in all_events() if e.action is EventType.CANNED_REPLY_CHANGED]


def rows():
    with db.connection_context():
        return list(CannedReply.select().order_by(CannedReply.id))


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["ok"] is False
    assert response.json["code"] == code
    assert set(response.json) == {"ok", "code", "error"}


def test_it_creates_a_personal_reply_and_audits_it_without_the_body(ann):
    response = ann.create("hold", language="zh-CN")

    assert response.status_code == 201, response.json
    reply = response.json["canned_reply"]
    assert reply["scope"] == "personal"
    assert reply["shortcut"] == "hold"
    assert reply["body"] == BODY
    assert reply["language"] == "zh-CN"
    assert reply["editable"] is True
    [event] = changes()
    assert event.details == {
        "id": reply["id"],
        "scope": "personal",
        "shortcut": "hold",
        "action": "created",
    }
    assert event.target.type == "canned_reply"
    assert event.actor.id.startswith("agent:")
    assert "请稍候" not in str(event.details) and "hold on" not in str(event.details)


def test_it_lists_mine_and_shared_but_never_another_agents(ann, bob, sue):
    ann.create("mine")
    bob.create("bobs")
    assert sue.create("greet", scope="shared").status_code == 201

    listed = ann.get().json["canned_replies"]

    assert [(r["shortcut"], r["scope"]) for r in listed] == [
        ("mine", "personal"),
        ("greet", "shared"),
    ]
    shared = listed[1]
    assert shared["editable"] is False  # ann may use it, not change it
    assert sue.get().json["canned_replies"][0]["editable"] is True


def test_a_personal_shortcut_shadows_a_shared_one_for_its_owner_only(ann, bob, sue):
    sue.create("greet", scope="shared")
    assert ann.create("greet").status_code == 201  # same name, other scope: allowed

    for_ann = {(r["scope"], r["shortcut"]): r["shadowed"] for r in ann.get().json["canned_replies"]}
    for_bob = {(r["scope"], r["shortcut"]): r["shadowed"] for r in bob.get().json["canned_replies"]}

    assert for_ann == {("personal", "greet"): False, ("shared", "greet"): True}
    assert for_bob == {("shared", "greet"): False}


def test_it_refuses_a_duplicate_shortcut_in_the_same_scope(ann, bob, sue):
    ann.create("hold")

    duplicate = ann.create("HOLD")  # shortcuts are lower-cased
    other_agent = bob.create("hold")
    sue.create("bye", scope="shared")
    shared_again = sue.create("bye", scope="shared")

    assert_error(duplicate, 409, "duplicate_shortcut")
    assert other_agent.status_code == 201  # unique per owner, not across agents
    assert_error(shared_again, 409, "duplicate_shortcut")
    assert [r.shortcut for r in rows()] == ["hold", "hold", "bye"]
    assert len(changes()) == 3


def test_it_refuses_bad_fields_and_changes_nothing(ann):
    cases = [
        (ann.create("no spaces"), 400, "invalid_payload"),
        (ann.create("x" * 33), 400, "invalid_payload"),
        (ann.create("ok", title="t" * 101), 413, "too_large"),
        (ann.create("ok", body="b" * 2001), 413, "too_large"),
        (ann.create("ok", body="   "), 400, "invalid_payload"),
        (ann.create("ok", language="not a tag"), 400, "invalid_payload"),
        (ann.create("ok", colour="red"), 400, "invalid_payload"),
        (ann.create("ok", scope="team"), 400, "invalid_payload"),
        (ann.send("POST", REPLIES, ["not", "an", "object"]), 400, "invalid_payload"),
    ]
    for response, status, code in cases:
        assert_error(response, status, code)
    assert rows() == []
    assert changes() == []
    # At the limits exactly, in any script, it is accepted.
    assert ann.create("ok", title="标" * 100, body="文" * 2000).status_code == 201


def test_it_needs_csrf_to_change_anything(ann):
    response = ann.send("POST", REPLIES, {"shortcut": "a", "title": "a", "body": "a"}, csrf=False)

    assert_error(response, 403, "csrf_failed")
    assert rows() == []


def test_only_the_owner_changes_a_personal_reply(ann, bob):
    reply = ann.create("hold").json["canned_reply"]
    path = f"{REPLIES}/{reply['id']}"
    new = {"shortcut": "wait", "title": "Wait", "body": "One moment please."}

    assert_error(bob.send("PUT", path, new), 404, "canned_reply_not_found")
    assert_error(bob.send("DELETE", path), 404, "canned_reply_not_found")
    updated = ann.send("PUT", path, {**new, "scope": "personal"})

    assert updated.status_code == 200, updated.json
    assert updated.json["canned_reply"]["shortcut"] == "wait"
    assert updated.json["canned_reply"]["body"] == "One moment please."
    assert updated.json["canned_reply"]["language"] is None
    assert_error(ann.send("PUT", path, {**new, "scope": "shared"}), 400, "invalid_payload")
    assert ann.send("DELETE", path).json == {"ok": True}
    assert_error(ann.send("DELETE", path), 404, "canned_reply_not_found")
    assert rows() == []
    assert [e.details["action"] for e in changes()] == ["created", "updated", "deleted"]
    assert [e.details["shortcut"] for e in changes()] == ["hold", "wait", "wait"]


def test_shared_replies_need_the_manage_permission_to_change(ann, sue):
    created = sue.create("greet", scope="shared", language="en")
    path = f"{REPLIES}/{created.json['canned_reply']['id']}"
    new = {"shortcut": "hello", "title": "Hello", "body": "Hello, how can I help?"}

    refused_create = ann.create("mine-shared", scope="shared")
    refused_update = ann.send("PUT", path, new)
    refused_delete = ann.send("DELETE", path)

    for response in (refused_create, refused_update, refused_delete):
        assert_error(response, 403, "forbidden")
    [row] = rows()
    assert (row.shortcut, row.scope, row.owner_id) == ("greet", "shared", 0)
    denied = [e for e in all_events() if e.action is EventType.ACCESS_DENIED]
    assert [e.result.reason for e in denied] == ["requires canned.manage_shared"] * 3
    assert sue.send("PUT", path, new).json["canned_reply"]["shortcut"] == "hello"
    assert sue.send("DELETE", path).status_code == 200
    assert [e.details["scope"] for e in changes()] == ["shared"] * 3


def test_a_duplicate_on_update_changes_nothing(ann):
    ann.create("one")
    two = ann.create("two").json["canned_reply"]

    response = ann.send(
        "PUT", f"{REPLIES}/{two['id']}", {"shortcut": "one", "title": "x", "body": "y"}
    )

    assert_error(response, 409, "duplicate_shortcut")
    assert [(r.shortcut, r.title) for r in rows()] == [("one", "Title one"), ("two", "Title two")]
    assert len(changes()) == 2


def test_it_needs_a_signed_in_agent_who_handles_chats(any_app, ann):
    anonymous = any_app.test_client()
    assert_error(anonymous.get(REPLIES), 401, "unauthorized")
    admin = signed_in(any_app, "root", roles=("sysadmin",))
    assert_error(admin.get(), 403, "forbidden")
