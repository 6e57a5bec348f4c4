"""/api/v1/queues and /api/v1/agents/<username>/skills."""

from __future__ import annotations

import pytest

from appliance.queries.routing import get_queue
from appliance.queries.routing import list_queues
from appliance.queries.routing import routing_profile
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent

QUEUES = "/api/v1/queues"
HOURS = {
    "time_zone": "Asia/Shanghai",
    "weekly": {"mon": [["09:00", "17:30"]]},
    "holidays": ["2026-10-01"],
    "special_days": {"2026-10-10": [["09:00", "17:30"]]},
}


class Session:
    """A signed-in test client that sends its CSRF token on writes."""

    def __init__(self, client, csrf):
        self.client, self.csrf = client, csrf

    def get(self, path):
        return self.client.get(path)

    def send(self, method, path, body=None, *, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.client.open(path, method=method, json=body, headers=headers)


def signed_in(app, username, roles):
    make_agent(username, roles=roles)
    client = app.test_client()
    return Session(client, login(client, username))


@pytest.fixture
def admin(app):
    return signed_in(app, "root", ("sysadmin",))


@pytest.fixture
def agent(app):
    return signed_in(app, "ann", ("agent",))


def events(action=EventType.ROUTING_RULE_CHANGED):
    return [e for e in all_events() if e.action is action]


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["ok"] is False
    assert response.json["code"] == code
    assert set(response.json) == {"ok", "code", "error"}


def test_it_lists_queues_for_an_agent(agent):
    response = agent.get(QUEUES)

    assert response.status_code == 200
    assert response.json["ok"] is True
    [general] = response.json["queues"]
    assert general["name"] == "general"
    assert general["hours"] is None


def test_it_shows_one_queue_and_says_when_there_is_none(agent):
    found = agent.get(f"{QUEUES}/General")
    missing = agent.get(f"{QUEUES}/nowhere")

    assert found.status_code == 200
    assert found.json["queue"]["display_name"] == {"zh-CN": "综合咨询", "en": "General"}
    assert_error(missing, 404, "queue_not_found")


def test_reading_needs_a_sign_in_and_the_permission(app, client):
    secadmin = signed_in(app, "sec", ("secadmin",))

    assert_error(client.get(QUEUES), 401, "unauthorized")
    assert_error(secadmin.get(QUEUES), 403, "forbidden")
    assert_error(secadmin.get(f"{QUEUES}/general"), 403, "forbidden")
    reasons = [e.result.reason for e in events(EventType.ACCESS_DENIED)]
    assert reasons == ["requires queues.view", "requires queues.view"]


def test_an_admin_creates_a_queue(admin):
    response = admin.send(
        "POST",
        QUEUES,
        {
            "name": "cards",
            "display_name": {"zh-CN": "信用卡", "en": "Cards"},
            "overflow": ["general", "leave_message"],
            "hours": HOURS,
            "max_wait_seconds": 120,
        },
    )

    assert response.status_code == 201, response.json
    queue = response.json["queue"]
    assert queue["name"] == "cards"
    assert queue["overflow"] == ["general", "leave_message"]
    assert queue["hours"]["special_days"] == HOURS["special_days"]
    assert get_queue("cards").max_wait_seconds == 120
    [created] = events()
    assert created.actor.id.startswith("agent:")
    assert created.actor.ip == "127.0.0.1"
    assert created.actor.session_id
    assert created.details["changed"] == ["display_name", "hours", "max_wait_seconds", "overflow"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"display_name": {"en": "No name"}}, 400, "invalid_queue"),
        ({"name": "general"}, 409, "queue_exists"),
        ({"name": "x", "max_wait_seconds": "soon"}, 400, "invalid_queue"),
        (
            {"name": "x", "hours": {"time_zone": "Asia/Shanghai", "weekly": {"sun": [["9", "5"]]}}},
            400,
            "invalid_queue",
        ),
        ({"name": "x", "overflow": ["x"]}, 409, "overflow_cycle"),
        ([1, 2], 400, "invalid_payload"),
    ],
)
def test_it_refuses_a_bad_queue_and_changes_nothing(admin, body, status, code):
    assert_error(admin.send("POST", QUEUES, body), status, code)
    assert [queue.name for queue in list_queues()] == ["general"]
    assert events() == []


def test_the_error_names_the_field(admin):
    response = admin.send(
        "POST", QUEUES, {"name": "x", "hours": {"time_zone": "Mars/Base", "weekly": {}}}
    )

    assert response.json["error"].startswith("hours.time_zone: unknown time zone")


def test_it_refuses_a_body_that_is_too_large(admin):
    response = admin.send("POST", QUEUES, {"name": "x", "queue_message": {"en": "x" * 300_000}})

    assert_error(response, 413, "too_large")


def test_an_admin_changes_a_queue(admin):
    response = admin.send("PATCH", f"{QUEUES}/general", {"max_queue_length": 30, "hours": HOURS})

    assert response.status_code == 200, response.json
    assert response.json["queue"]["max_queue_length"] == 30
    assert response.json["queue"]["hours"]["time_zone"] == "Asia/Shanghai"
    assert events()[-1].details == {
        "action": "updated",
        "queue": "general",
        "changed": ["hours", "max_queue_length"],
    }


def test_changing_refuses_bad_input_a_missing_queue_and_a_cycle(admin):
    admin.send("POST", QUEUES, {"name": "cards", "overflow": ["general"]})

    assert_error(admin.send("PATCH", f"{QUEUES}/general", {}), 400, "invalid_queue")
    assert_error(admin.send("PATCH", f"{QUEUES}/general", {"strategy": "x"}), 400, "invalid_queue")
    assert_error(admin.send("PATCH", f"{QUEUES}/nope", {"min_level": 1}), 404, "queue_not_found")
    cycle = admin.send("PATCH", f"{QUEUES}/general", {"overflow": ["cards"]})
    assert_error(cycle, 409, "overflow_cycle")
    assert get_queue("general").overflow == ()
    assert len(events()) == 1


def test_an_admin_removes_a_queue_not_in_use(admin):
    admin.send("POST", QUEUES, {"name": "cards"})
    admin.send("POST", QUEUES, {"name": "vip", "overflow": ["cards"]})

    in_use = admin.send("DELETE", f"{QUEUES}/cards")
    default = admin.send("DELETE", f"{QUEUES}/general")
    removed = admin.send("DELETE", f"{QUEUES}/vip")
    missing = admin.send("DELETE", f"{QUEUES}/vip")

    assert_error(in_use, 409, "queue_in_use")
    assert_error(default, 409, "queue_in_use")
    assert removed.status_code == 200
    assert removed.json == {"ok": True}
    assert_error(missing, 404, "queue_not_found")
    assert [queue.name for queue in list_queues()] == ["cards", "general"]


def test_an_admin_sets_an_agents_skills(app, admin):
    ann = make_agent("ann")

    response = admin.send(
        "PUT", "/api/v1/agents/ann/skills", {"skills": {"cards": 4}, "languages": ["zh-CN"]}
    )

    assert response.status_code == 200, response.json
    assert response.json == {
        "ok": True,
        "username": "ann",
        "skills": {"cards": 4},
        "languages": ["zh-CN"],
    }
    assert routing_profile(ann.id).skills == {"cards": 4}
    [changed] = events(EventType.AGENT_SKILLS_CHANGED)
    assert changed.details["skills"] == {"from": {}, "to": {"cards": 4}}


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/v1/agents/ann/skills", {"languages": ["en"]}, 400, "invalid_payload"),
        ("/api/v1/agents/ann/skills", {"skills": {"cards": 9}}, 400, "invalid_payload"),
        ("/api/v1/agents/ann/skills", {"skills": {}, "languages": "en"}, 400, "invalid_payload"),
        ("/api/v1/agents/ann/skills", {"skills": {}, "level": 1}, 400, "invalid_payload"),
        ("/api/v1/agents/nobody/skills", {"skills": {}}, 404, "not_found"),
    ],
)
def test_setting_skills_refuses_bad_input(app, admin, path, body, status, code):
    ann = make_agent("ann")

    assert_error(admin.send("PUT", path, body), status, code)
    assert routing_profile(ann.id).skills == {}
    assert events(EventType.AGENT_SKILLS_CHANGED) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", QUEUES, {"name": "cards"}),
        ("PATCH", f"{QUEUES}/general", {"max_wait_seconds": 5}),
        ("DELETE", f"{QUEUES}/general", None),
        ("PUT", "/api/v1/agents/ann/skills", {"skills": {"cards": 1}}),
    ],
)
def test_changes_need_queues_manage(agent, method, path, body):
    response = agent.send(method, path, body)

    assert_error(response, 403, "forbidden")
    assert [queue.name for queue in list_queues()] == ["general"]
    assert get_queue("general").max_wait_seconds == 0
    [denied] = events(EventType.ACCESS_DENIED)
    assert denied.result.reason == "requires queues.manage"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", QUEUES, {"name": "cards"}),
        ("PATCH", f"{QUEUES}/general", {"max_wait_seconds": 5}),
        ("DELETE", f"{QUEUES}/general", None),
        ("PUT", "/api/v1/agents/root/skills", {"skills": {"cards": 1}}),
    ],
)
def test_changes_need_the_csrf_token(admin, method, path, body):
    response = admin.send(method, path, body, csrf=False)

    assert_error(response, 403, "csrf_failed")
    assert [queue.name for queue in list_queues()] == ["general"]
    assert get_queue("general").max_wait_seconds == 0
    assert events() == []
    assert events(EventType.AGENT_SKILLS_CHANGED) == []
