"""services/queues.py and queries/routing.py: queues and agents' skills, on both databases."""

from __future__ import annotations

import pytest

from appliance import clock
from appliance import errors
from appliance import migrations
from appliance.db import db
from appliance.models import Conversation
from appliance.models import Queue
from appliance.queries.routing import get_queue
from appliance.queries.routing import list_queues
from appliance.queries.routing import routing_profile
from appliance.queries.routing import routing_profiles
from appliance.services.queues import do_create_queue
from appliance.services.queues import do_remove_queue
from appliance.services.queues import do_set_agent_skills
from appliance.services.queues import do_update_queue
from audit.events import EventType
from tests.appliance.audit_helpers import all_events
from tests.appliance.audit_helpers import bind
from tests.appliance.directory_helpers import ADMIN
from tests.appliance.directory_helpers import make_agent

HOURS = {
    "time_zone": "Asia/Shanghai",
    "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]]},
    "holidays": ["2026-10-01"],
    "special_days": {"2026-10-10": [["09:00", "17:30"]]},
}
CARDS = {
    "display_name": {"zh-CN": "信用卡", "en": "Credit cards"},
    "strategy": "longest_idle",
    "required_skill": "cards",
    "min_level": 3,
    "language": "zh-cn",
    "prefer_last_agent": True,
    "max_queue_length": 50,
    "max_wait_seconds": 300,
    "overflow": ["general", "leave_message"],
    "hours": HOURS,
    "welcome_message": {"zh-CN": "您好，欢迎咨询信用卡业务。", "en": "Hello, cards here."},
    "queue_message": {"zh-CN": "请稍候", "en": "Please wait"},
    "offer_timeout_seconds": 30,
}


@pytest.fixture(autouse=True)
def bound(any_instance_dir):
    bind(any_instance_dir)
    return any_instance_dir


def events(action=EventType.ROUTING_RULE_CHANGED):
    return [e for e in all_events() if e.action is action]


def queue_names():
    return [queue.name for queue in list_queues()]


def open_conversation(group, visitor="v1"):
    with db.connection_context(), db.atomic():
        now = clock.now_ms()
        Conversation.create(
            id=f"c-{visitor}",
            visitor_id=visitor,
            group=group,
            status="queued",
            opened_ms=now,
            queued_ms=now,
        )


def test_the_migration_creates_the_default_queue():
    [general] = list_queues()

    assert general.name == "general"
    assert general.strategy == "least_busy"
    assert general.hours is None
    assert general.overflow == ()
    assert general.display_name.as_json() == {"zh-CN": "综合咨询", "en": "General"}
    assert general.offer_timeout_seconds == 0  # assigned directly, as before queues


def test_the_migration_creates_a_queue_for_every_group_in_use():
    make_agent("ann", groups=("cards", "general"))
    open_conversation("loans")
    with db.connection_context(), db.atomic():
        for table in ("queue", "agent_skill", "agent_routing"):
            db.execute_sql(f'DROP TABLE "{table}"')
        db.execute_sql("DELETE FROM schema_migration WHERE version = 5")

    with db.connection_context():
        applied = migrations.migrate(db.obj)

    assert [m.version for m in applied] == [5]
    assert queue_names() == ["cards", "general", "loans"]
    assert get_queue("cards").display_name.as_json() == {"zh-CN": "cards", "en": "cards"}


def test_it_creates_a_queue_with_every_field_and_audits_it():
    queue = do_create_queue(" Cards ", CARDS, actor=ADMIN)

    assert queue.name == "cards"
    assert queue.as_json() | {"created_ms": 0, "updated_ms": 0} == {
        **CARDS,
        "name": "cards",
        "language": "zh-CN",
        "hours": {
            **HOURS,
            "weekly": {
                "mon": HOURS["weekly"]["mon"],
                **{day: [] for day in ("tue", "wed", "thu", "fri", "sat", "sun")},
            },
        },
        "created_ms": 0,
        "updated_ms": 0,
    }
    assert get_queue("cards") == queue
    [created] = events()
    assert created.actor == ADMIN
    assert created.target.type == "queue"
    assert created.target.id == "cards"
    assert created.details == {"action": "created", "queue": "cards", "changed": sorted(CARDS)}


def test_fields_left_out_take_their_defaults():
    queue = do_create_queue("loans", {}, actor=ADMIN)

    assert queue.display_name.as_json() == {"zh-CN": "loans", "en": "loans"}
    assert (queue.strategy, queue.required_skill, queue.min_level) == ("least_busy", None, 1)
    assert (queue.max_queue_length, queue.max_wait_seconds, queue.offer_timeout_seconds) == (
        0,
        0,
        0,
    )
    assert queue.welcome_message.as_json() == {"zh-CN": "", "en": ""}
    assert events()[0].details["changed"] == []


def test_it_refuses_a_second_queue_of_the_same_name():
    with pytest.raises(errors.QueueExists) as refused:
        do_create_queue("general", {}, actor=ADMIN)

    assert refused.value.code == "queue_exists"
    assert refused.value.http_status == 409
    assert events() == []


@pytest.mark.parametrize(
    ("name", "fields", "words"),
    [
        ("leave_message", {}, "reserved"),
        ("bad name", {}, "name: expected"),
        ("x", {"colour": "red"}, "colour: unknown field"),
        ("x", {"strategy": "random"}, "strategy: expected one of"),
        ("x", {"required_skill": "cards", "min_level": 6}, "min_level: expected a whole number"),
        ("x", {"required_skill": "cards", "min_level": True}, "min_level"),
        ("x", {"min_level": 2}, "min_level: applies only with a required_skill"),
        ("x", {"required_skill": "Cards Desk"}, "required_skill"),
        ("x", {"language": "chinese please"}, "language: expected a language tag"),
        ("x", {"prefer_last_agent": "yes"}, "prefer_last_agent: expected true or false"),
        ("x", {"max_queue_length": -1}, "max_queue_length"),
        ("x", {"max_wait_seconds": 1.5}, "max_wait_seconds"),
        ("x", {"offer_timeout_seconds": 601}, "offer_timeout_seconds: expected a whole number"),
        ("x", {"overflow": "general"}, "overflow: expected a list"),
        ("x", {"overflow": ["leave_message", "general"]}, "overflow[0]: 'leave_message' can only"),
        ("x", {"overflow": ["general", "general"]}, "overflow[1]: 'general' is listed twice"),
        ("x", {"overflow": ["nowhere"]}, "overflow[0]: there is no queue named 'nowhere'"),
        (
            "x",
            {"hours": {"time_zone": "Asia/Shanghai", "weekly": {"mon": [["18:00", "09:00"]]}}},
            "hours.weekly.mon[0]",
        ),
        ("x", {"hours": {"time_zone": "Asia/Beijing", "weekly": {}}}, "hours.time_zone"),
        ("x", {"display_name": {"zh-CN": " "}}, "display_name: cannot be empty"),
        ("x", {"display_name": {"fr": "Cartes"}}, "display_name: expected"),
        ("x", {"display_name": {"en": "a\nb"}}, "display_name.en: control"),
        ("x", {"welcome_message": {"en": "x" * 501}}, "welcome_message.en: at most 500"),
        ("x", {"queue_message": {"en": "wait\u202e"}}, "queue_message.en: control or invisible"),
        ("x", {"queue_message": {"zh-CN": 5}}, "queue_message.zh-CN: expected a string"),
    ],
)
def test_it_refuses_bad_fields_naming_them_and_changes_nothing(name, fields, words):
    with pytest.raises(errors.InvalidQueue) as refused:
        do_create_queue(name, fields, actor=ADMIN)

    assert words in refused.value.message
    assert refused.value.code == "invalid_queue"
    assert queue_names() == ["general"]
    assert events() == []


def test_messages_keep_their_line_breaks():
    queue = do_create_queue(
        "x", {"welcome_message": {"zh-CN": "您好！\r\n请问有什么可以帮您？"}}, actor=ADMIN
    )

    assert queue.welcome_message.zh_cn == "您好！\n请问有什么可以帮您？"


def test_it_updates_only_the_fields_given_and_audits_what_changed():
    do_create_queue("cards", CARDS, actor=ADMIN)
    before = get_queue("cards")

    after = do_update_queue(
        "cards",
        {"max_wait_seconds": 600, "welcome_message": {"en": "Hi"}, "strategy": "longest_idle"},
        actor=ADMIN,
    )

    assert after.max_wait_seconds == 600
    assert after.welcome_message.as_json() == {
        "zh-CN": CARDS["welcome_message"]["zh-CN"],
        "en": "Hi",
    }
    assert after.hours == before.hours
    assert after.overflow == before.overflow
    assert after.updated_ms >= before.updated_ms
    assert after.created_ms == before.created_ms
    updated = events()[-1]
    assert updated.details == {
        "action": "updated",
        "queue": "cards",
        "changed": ["max_wait_seconds", "welcome_message"],
    }


def test_clearing_the_skill_resets_the_level_and_null_hours_mean_always_open():
    do_create_queue("cards", CARDS, actor=ADMIN)

    after = do_update_queue("cards", {"required_skill": None, "hours": None}, actor=ADMIN)

    assert (after.required_skill, after.min_level, after.hours) == (None, 1, None)
    assert events()[-1].details["changed"] == ["hours", "min_level", "required_skill"]


def test_it_refuses_an_empty_or_unknown_update():
    with pytest.raises(errors.InvalidQueue, match="at least one field"):
        do_update_queue("general", {}, actor=ADMIN)
    with pytest.raises(errors.QueueNotFound) as missing:
        do_update_queue("nowhere", {"max_wait_seconds": 5}, actor=ADMIN)

    assert missing.value.code == "queue_not_found"
    assert missing.value.http_status == 404
    assert events() == []


def test_it_refuses_an_overflow_cycle_across_queues():
    do_create_queue("a", {}, actor=ADMIN)
    do_create_queue("b", {"overflow": ["a"]}, actor=ADMIN)
    do_create_queue("c", {"overflow": ["b", "leave_message"]}, actor=ADMIN)

    with pytest.raises(errors.OverflowCycle) as refused:
        do_update_queue("a", {"overflow": ["general", "c"]}, actor=ADMIN)

    assert refused.value.code == "overflow_cycle"
    assert "a -> c -> b -> a" in refused.value.message
    assert get_queue("a").overflow == ()
    assert len(events()) == 3


def test_a_queue_cannot_overflow_into_itself():
    with pytest.raises(errors.OverflowCycle, match="itself"):
        do_update_queue("general", {"overflow": ["general"]}, actor=ADMIN)


def test_it_removes_an_unused_queue_and_audits_it():
    do_create_queue("cards", {}, actor=ADMIN)

    do_remove_queue("cards", actor=ADMIN)

    assert queue_names() == ["general"]
    assert events()[-1].details == {"action": "removed", "queue": "cards", "changed": []}


def test_it_refuses_to_remove_the_default_queue_or_a_missing_one():
    with pytest.raises(errors.QueueInUse, match="default queue"):
        do_remove_queue("general", actor=ADMIN)
    with pytest.raises(errors.QueueNotFound):
        do_remove_queue("nowhere", actor=ADMIN)


def test_it_refuses_to_remove_a_queue_another_overflows_into():
    do_create_queue("cards", {}, actor=ADMIN)
    do_create_queue("vip", {"overflow": ["cards"]}, actor=ADMIN)

    with pytest.raises(errors.QueueInUse, match="overflow chain of vip") as refused:
        do_remove_queue("cards", actor=ADMIN)

    assert refused.value.http_status == 409
    assert queue_names() == ["cards", "general", "vip"]


def test_it_refuses_to_remove_a_queue_with_open_conversations():
    do_create_queue("cards", {}, actor=ADMIN)
    open_conversation("cards")

    with pytest.raises(errors.QueueInUse, match="1 open conversation"):
        do_remove_queue("cards", actor=ADMIN)

    assert "cards" in queue_names()


def test_it_sets_an_agents_skills_and_languages_and_audits_from_and_to():
    ann = make_agent("ann")

    first = do_set_agent_skills(
        username="Ann", skills={"cards": 3, "Loans": 1}, languages=["zh-cn", "EN"], actor=ADMIN
    )
    second = do_set_agent_skills(username="ann", skills={"cards": 5}, actor=ADMIN)

    assert first.skills == {"cards": 3, "loans": 1}
    assert first.languages == {"zh-CN", "en"}
    assert second.skills == {"cards": 5}
    assert second.languages == {"zh-CN", "en"}  # not given: kept
    assert routing_profile(ann.id) == second
    [_, changed] = events(EventType.AGENT_SKILLS_CHANGED)
    assert changed.target.id == f"agent:{ann.id}"
    assert changed.details == {
        "username": "ann",
        "skills": {"from": {"cards": 3, "loans": 1}, "to": {"cards": 5}},
        "languages": {"from": ["en", "zh-CN"], "to": ["en", "zh-CN"]},
    }


@pytest.mark.parametrize(
    ("skills", "languages", "words"),
    [
        ({"cards": 0}, None, "skills.cards: expected a whole number from 1 to 5"),
        ({"cards": "3"}, None, "skills.cards"),
        ({"two words": 1}, None, "is not a skill name"),
        ({"Cards": 1, "cards": 2}, None, "skills.cards: given twice"),
        ({f"s{n}": 1 for n in range(51)}, None, "at most 50"),
        ({}, ["klingon!"], "languages[0]"),
        ({}, "zh-CN", "languages: expected a list"),
    ],
)
def test_it_refuses_bad_skills_and_changes_nothing(skills, languages, words):
    ann = make_agent("ann")

    with pytest.raises(errors.InvalidPayload) as refused:
        do_set_agent_skills(username="ann", skills=skills, languages=languages, actor=ADMIN)

    assert words in refused.value.message
    assert routing_profile(ann.id).skills == {}
    assert events(EventType.AGENT_SKILLS_CHANGED) == []


def test_it_refuses_skills_for_an_unknown_user():
    with pytest.raises(errors.NotFound):
        do_set_agent_skills(username="nobody", skills={"cards": 1}, actor=ADMIN)


def test_routing_profiles_reads_many_agents_in_one_query(monkeypatch):
    ann, bob, cyd = (make_agent(name) for name in ("ann", "bob", "cyd"))
    do_set_agent_skills(username="ann", skills={"cards": 2, "loans": 4}, actor=ADMIN)
    do_set_agent_skills(username="bob", skills={}, languages=["en"], actor=ADMIN)
    statements = []
    real = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)

    profiles = routing_profiles([ann.id, bob.id, cyd.id, ann.id])

    assert len(statements) == 1
    assert profiles[ann.id].skills == {"cards": 2, "loans": 4}
    assert profiles[ann.id].languages == frozenset()
    assert profiles[bob.id].skills == {}
    assert profiles[bob.id].languages == {"en"}
    assert profiles[cyd.id].skills == {} and profiles[cyd.id].languages == frozenset()
    assert routing_profiles([]) == {}


def test_stored_json_is_compact_and_keeps_chinese_readable():
    do_create_queue("cards", CARDS, actor=ADMIN)

    with db.connection_context():
        row = Queue.get_by_id("cards")

    assert row.display_name == '{"zh-CN":"信用卡","en":"Credit cards"}'
    assert row.overflow == '["general","leave_message"]'
