"""The widget's pre-chat form: settings [visitor] prechat_*, answered by `prechat_form`."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.settings import SettingsError
from appliance.settings import load_settings
from tests.appliance.chat_helpers import Chat
from tests.appliance.routing_helpers import make_queue

CARDS = {"zh-CN": "银行卡", "en": "Cards"}
WEALTH = {"zh-CN": "理财", "en": "Wealth"}


def app_with(instance_dir: Path, **settings):
    from appliance import create_app

    overrides = {f"visitor.{key}": value for key, value in settings.items()}
    loaded = load_settings(instance_dir, environ={}, overrides=overrides)
    return create_app(dataclasses.replace(loaded, testing=True))


@pytest.fixture
def configured(any_instance_dir):
    """An app (SQLite, then PostgreSQL) offering wealth, a queue that does not exist, and
    cards, in that order; with the queues cards and wealth."""
    app = app_with(any_instance_dir, prechat_topics="wealth, no-such-queue, cards")
    make_queue(app, "cards", display_name=CARDS)
    make_queue(app, "wealth", display_name=WEALTH)
    return app


def test_it_offers_the_configured_queues_in_order_labelled_in_the_language(configured):
    visitor = Chat(configured).visitor()

    english = visitor.ok("prechat_form", {"language": "en"})
    chinese = visitor.ok("prechat_form", {"language": "zh-CN"})

    assert english == {
        "ok": True,
        "topics": [{"queue": "wealth", "label": "Wealth"}, {"queue": "cards", "label": "Cards"}],
        "other": True,
        "question": "optional",
    }
    assert chinese["topics"] == [
        {"queue": "wealth", "label": "理财"},
        {"queue": "cards", "label": "银行卡"},
    ]
    # zh-CN is the protocol's default language, as for start_conversation.
    assert visitor.ok("prechat_form")["topics"] == chinese["topics"]


def test_it_leaves_out_a_missing_queue_with_one_warning_and_shows_it_once_added(configured, caplog):
    visitor = Chat(configured).visitor()

    def warnings():
        return [r for r in caplog.records if "no-such-queue" in r.getMessage()]

    with caplog.at_level(logging.WARNING, logger="appliance.queries.prechat"):
        first = visitor.ok("prechat_form", {"language": "en"})
        said = len(warnings())
        visitor.ok("prechat_form", {"language": "en"})
        assert len(warnings()) == said  # once per process, not on every form
    make_queue(configured, "no-such-queue", display_name={"zh-CN": "贷款", "en": "Loans"})
    later = visitor.ok("prechat_form", {"language": "en"})

    assert [t["queue"] for t in first["topics"]] == ["wealth", "cards"]
    assert [t["queue"] for t in later["topics"]] == ["wealth", "no-such-queue", "cards"]
    assert later["topics"][1]["label"] == "Loans"


def test_it_warns_about_a_missing_queue_naming_the_setting(instance_dir, caplog):
    app = app_with(instance_dir, prechat_topics="never-created-anywhere")
    visitor = Chat(app).visitor()

    with caplog.at_level(logging.WARNING, logger="appliance.queries.prechat"):
        answer = visitor.ok("prechat_form", {"language": "en"})

    assert answer["topics"] == [] and answer["other"] is False
    [warning] = [r for r in caplog.records if "never-created-anywhere" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "visitor.prechat_topics" in warning.getMessage()


def test_without_topics_there_is_no_choice_and_no_other(any_instance_dir):
    app = app_with(any_instance_dir, prechat_topics="", prechat_question="hidden")
    make_queue(app, "cards", display_name=CARDS)
    visitor = Chat(app).visitor()

    answer = visitor.ok("prechat_form", {"language": "en"})

    assert answer == {"ok": True, "topics": [], "other": False, "question": "hidden"}


def test_it_passes_the_other_topic_and_question_settings_through(instance_dir):
    app = app_with(
        instance_dir,
        prechat_topics="cards",
        prechat_other_topic=False,
        prechat_question="required",
    )
    make_queue(app, "cards", display_name=CARDS)
    visitor = Chat(app).visitor()

    answer = visitor.ok("prechat_form", {"language": "en"})

    assert answer["topics"] == [{"queue": "cards", "label": "Cards"}]
    assert answer["other"] is False
    assert answer["question"] == "required"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"language": "fr"}, "language"), ({"language": 1}, "language"), ({"topics": []}, "topics")],
)
def test_it_refuses_a_bad_payload(app, payload, field):
    visitor = Chat(app).visitor()

    refused = visitor.emit("prechat_form", payload)

    assert refused["ok"] is False and refused["code"] == "invalid_payload"
    assert refused["error"].startswith(field)


# --- settings -------------------------------------------------------------------------------


def test_the_defaults_offer_no_topics_an_other_choice_and_an_optional_question(tmp_path):
    visitor = load_settings(tmp_path, environ={}).visitor

    assert (visitor.topics, visitor.prechat_other_topic, visitor.prechat_question) == (
        [],
        True,
        "optional",
    )


def test_it_reads_the_topics_from_the_environment_in_order(tmp_path):
    environ = {
        "ENCLAVE_VISITOR_PRECHAT_TOPICS": " wealth ,cards",
        "ENCLAVE_VISITOR_PRECHAT_OTHER_TOPIC": "false",
        "ENCLAVE_VISITOR_PRECHAT_QUESTION": "required",
    }

    visitor = load_settings(tmp_path, environ=environ).visitor

    assert visitor.topics == ["wealth", "cards"]
    assert visitor.prechat_other_topic is False
    assert visitor.prechat_question == "required"


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("prechat_topics", "Cards", "'Cards' is not a queue name"),
        ("prechat_topics", "cards,,wealth", "'' is not a queue name"),
        ("prechat_topics", "cards, leave_message", "'leave_message' is not a queue name"),
        ("prechat_topics", "cards,wealth,cards", "a queue is listed twice"),
        ("prechat_question", "mandatory", "expected one of optional, required, hidden"),
        ("prechat_other_topic", "yes", "expected bool"),
    ],
)
def test_it_refuses_a_bad_setting_naming_it(tmp_path, key, value, complaint):
    (tmp_path / "enclave.toml").write_text(f'[visitor]\n{key} = "{value}"\n', encoding="utf-8")

    with pytest.raises(SettingsError) as refused:
        load_settings(tmp_path, environ={})

    assert str(refused.value).startswith(f"visitor.{key}: invalid value")
    assert complaint in str(refused.value)


# --- the demo -------------------------------------------------------------------------------


def test_demo_setup_offers_cards_wealth_and_something_else(instance_dir):
    from appliance.commands import cli
    from appliance.db import db

    instance_file = instance_dir / "enclave.toml"
    instance_file.write_text(
        instance_file.read_text(encoding="utf-8") + "\n[visitor]\ntoken_max_age_days = 7\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    try:
        for _ in range(2):  # run again, it changes nothing
            result = runner.invoke(cli, ["demo", "setup", "--data-dir", str(instance_dir)])
            assert result.exit_code == 0, result.output
    finally:
        db.close()
    settings = load_settings(instance_dir, environ={})
    visitor = Chat(app_with(instance_dir)).visitor()

    answer = visitor.ok("prechat_form", {"language": "en"})

    assert settings.visitor.token_max_age_days == 7  # the operator's [visitor] is kept
    assert instance_file.read_text(encoding="utf-8").count("prechat_topics") == 1
    assert answer["topics"] == [
        {"queue": "cards", "label": "Cards"},
        {"queue": "wealth", "label": "Wealth"},
    ]
    assert answer["other"] is True and answer["question"] == "optional"


def test_demo_setup_keeps_the_operators_topics(instance_dir):
    from appliance.commands import cli
    from appliance.db import db

    instance_file = instance_dir / "enclave.toml"
    instance_file.write_text(
        instance_file.read_text(encoding="utf-8") + '\n[visitor]\nprechat_topics = "wealth"\n',
        encoding="utf-8",
    )
    try:
        result = CliRunner().invoke(cli, ["demo", "setup", "--data-dir", str(instance_dir)])
    finally:
        db.close()

    assert result.exit_code == 0, result.output
    assert load_settings(instance_dir, environ={}).visitor.topics == ["wealth"]
