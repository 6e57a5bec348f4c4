"""`enclave queues …`, run in-process with click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from appliance.commands import cli
from appliance.queries.routing import get_queue
from appliance.queries.routing import routing_profile
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.audit_helpers import bind
from tests.appliance.directory_helpers import make_agent

HOURS = {
    "time_zone": "Asia/Shanghai",
    "weekly": {day: [["09:00", "12:00"], ["13:00", "17:30"]] for day in ("mon", "tue")},
    "holidays": ["2026-10-01"],
}


@pytest.fixture
def queues(instance_dir):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["queues", *args, "--data-dir", str(instance_dir)])

    return run


def events(instance_dir, action=EventType.ROUTING_RULE_CHANGED):
    bind(instance_dir)
    return [e for e in all_events() if e.action is action]


def stored(instance_dir, name):
    bind(instance_dir)
    return get_queue(name)


def test_it_adds_a_queue_with_options_and_shows_it_as_json(queues, instance_dir, tmp_path):
    hours = tmp_path / "hours.json"
    hours.write_text(json.dumps(HOURS), encoding="utf-8")

    result = queues(
        "add", "cards",
        "--name-zh", "信用卡", "--name-en", "Credit cards",
        "--strategy", "round_robin", "--skill", "cards", "--min-level", "2",
        "--language", "zh-CN", "--max-length", "40", "--max-wait", "300",
        "--overflow", "general,leave_message", "--hours", str(hours),
        "--welcome-zh", "您好", "--welcome-en", "Hello",
        "--queue-msg-zh", "请稍候", "--queue-msg-en", "Please wait",
        "--offer-timeout", "30", "--prefer-last-agent",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "created queue cards (round_robin; overflow general -> leave_message;" in result.output
    shown = queues("show", "cards")
    assert shown.exit_code == 0, shown.output
    queue = json.loads(shown.output)
    assert queue["display_name"] == {"zh-CN": "信用卡", "en": "Credit cards"}
    assert queue["required_skill"] == "cards" and queue["min_level"] == 2
    assert queue["overflow"] == ["general", "leave_message"]
    assert queue["hours"]["weekly"]["mon"] == HOURS["weekly"]["mon"]
    assert queue["hours"]["holidays"] == ["2026-10-01"]
    assert queue["welcome_message"] == {"zh-CN": "您好", "en": "Hello"}
    assert queue["prefer_last_agent"] is True
    assert queue["offer_timeout_seconds"] == 30
    [created] = events(instance_dir)
    assert created.actor.role == "operator"
    assert created.actor.id.startswith("os:")
    assert created.details["action"] == "created"


def test_it_lists_queues(queues):
    queues("add", "cards", "--skill", "cards", "--min-level", "3", "--max-wait", "60")

    result = queues("list")

    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == [
        "NAME", "STRATEGY", "SKILL", "LANGUAGE", "MAX-LEN", "MAX-WAIT", "OVERFLOW", "HOURS"
    ]  # fmt: skip
    assert lines[1] == ["cards", "least_busy", "cards>=3", "-", "-", "60s", "-", "always"]
    assert lines[2] == ["general", "least_busy", "-", "-", "-", "-", "-", "always"]


def test_it_sets_some_fields_and_clears_others(queues, instance_dir, tmp_path):
    hours = tmp_path / "hours.json"
    hours.write_text(json.dumps(HOURS), encoding="utf-8")
    queues("add", "cards", "--skill", "cards", "--hours", str(hours), "--overflow", "general")

    result = queues(
        "set", "cards", "--skill", "", "--always-open", "--overflow", "", "--welcome-en", "Hi"
    )

    assert result.exit_code == 0, result.output
    assert "updated queue cards (least_busy; overflow none; always open)" in result.output
    queue = stored(instance_dir, "cards")
    assert (queue.required_skill, queue.hours, queue.overflow) == (None, None, ())
    assert queue.welcome_message.as_json() == {"zh-CN": "", "en": "Hi"}
    assert events(instance_dir)[-1].details["changed"] == [
        "hours", "overflow", "required_skill", "welcome_message"
    ]  # fmt: skip


def test_set_needs_an_option(queues):
    result = queues("set", "general")

    assert result.exit_code == 2
    assert "give at least one option" in result.output


def test_it_refuses_a_cycle_and_audits_the_refusal(queues, instance_dir):
    queues("add", "cards", "--overflow", "general")

    result = queues("set", "general", "--overflow", "cards")

    assert result.exit_code == 1
    assert "general -> cards -> general" in result.output
    assert "Traceback" not in result.output
    refused = events(instance_dir)[-1]
    assert refused.result.ok is False
    assert refused.target.id == "general"
    assert "cycle" in refused.result.reason
    assert stored(instance_dir, "general").overflow == ()


def test_it_refuses_bad_hours_naming_the_field(queues, instance_dir, tmp_path):
    hours = tmp_path / "hours.json"
    hours.write_text(
        json.dumps({"time_zone": "Asia/Shanghai", "weekly": {"mon": [["18:00", "02:00"]]}})
    )

    result = queues("add", "night", "--hours", str(hours))

    assert result.exit_code == 1
    assert "hours.weekly.mon[0]" in result.output
    assert "cross midnight" in result.output
    assert stored(instance_dir, "night") is None


def test_it_refuses_a_file_that_is_not_json_and_both_hours_options(queues, tmp_path):
    hours = tmp_path / "hours.json"
    hours.write_text("{not json")

    not_json = queues("add", "x", "--hours", str(hours))
    both = queues("add", "x", "--hours", str(hours), "--always-open")

    assert not_json.exit_code == 2
    assert "not a readable JSON file" in not_json.output
    assert both.exit_code == 2
    assert "not both" in both.output


def test_it_removes_a_queue_and_refuses_the_default(queues, instance_dir):
    queues("add", "cards")

    removed = queues("remove", "cards")
    refused = queues("remove", "general")
    missing = queues("show", "cards")

    assert removed.exit_code == 0, removed.output
    assert "removed queue cards" in removed.output
    assert refused.exit_code == 1
    assert "default queue" in refused.output
    assert missing.exit_code == 1
    assert "no queue named 'cards'" in missing.output
    assert [e.details.get("action") for e in events(instance_dir)] == ["created", "removed", None]


def test_it_sets_an_agents_skills(queues, instance_dir):
    bind(instance_dir)
    ann = make_agent("ann")

    result = queues("skills", "Ann", "--set", "cards:3, loans:1", "--languages", "zh-CN,en")

    assert result.exit_code == 0, result.output
    assert "skills of ann: cards:3,loans:1; languages en,zh-CN" in result.output
    bind(instance_dir)
    assert routing_profile(ann.id).skills == {"cards": 3, "loans": 1}
    [changed] = events(instance_dir, EventType.AGENT_SKILLS_CHANGED)
    assert changed.actor.role == "operator"


def test_it_clears_skills_and_refuses_bad_ones(queues, instance_dir):
    bind(instance_dir)
    make_agent("ann")

    cleared = queues("skills", "ann", "--set", "")
    malformed = queues("skills", "ann", "--set", "cards")
    out_of_range = queues("skills", "ann", "--set", "cards:9")
    unknown = queues("skills", "nobody", "--set", "cards:1")

    assert cleared.exit_code == 0, cleared.output
    assert "skills of ann: none; languages none" in cleared.output
    assert malformed.exit_code == 2
    assert "expected skill:level" in malformed.output
    assert out_of_range.exit_code == 1
    assert "from 1 to 5" in out_of_range.output
    assert unknown.exit_code == 1
    assert "no user named 'nobody'" in unknown.output
    outcomes = [e.result.ok for e in events(instance_dir, EventType.AGENT_SKILLS_CHANGED)]
    assert outcomes == [True, False, False]
