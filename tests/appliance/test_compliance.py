"""The compliance prompt: the rules file (shipped defaults, validation at start) and an
agent's send_message held until confirmed, the confirmation audited with the message.
The flows run on SQLite and PostgreSQL through the Flask-SocketIO test client."""

from __future__ import annotations

import configparser
import dataclasses
from pathlib import Path

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Conversation
from appliance.services.compliance import ComplianceRulesError
from appliance.services.compliance import load_rules
from appliance.services.compliance import matched_rules
from appliance.services.compliance import parse_rules
from appliance.services.compliance import shipped_path
from appliance.settings import SettingsError
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.chat_helpers import new_client_msg_id

ROOT = Path(__file__).resolve().parents[2]
ASK = "please tell me your password"


# the rules file


@pytest.fixture(scope="module")
def shipped():
    return load_rules(shipped_path())


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (ASK, "password"),
        ("请告诉我您的登录密码", "password"),
        ("What is your PIN?", "pin"),
        ("请提供PIN码", "pin"),
        ("Can you read me the OTP we just sent?", "one_time_code"),
        ("please send the verification code", "one_time_code"),
        ("请把收到的验证码发给我", "one_time_code"),
        ("请告诉我动态码", "one_time_code"),
        ("and the CVV on the back?", "card_security_code"),
        ("请提供卡背面的后三位数字", "card_security_code"),
        ("请提供安全码", "card_security_code"),
        ("I need your full card number", "full_card_number"),
        ("请提供完整卡号", "full_card_number"),
        ("请把资金转入安全账户", "safe_account"),
        ("please share your screen with me", "remote_access"),
    ],
)
def test_the_shipped_rules_flag_what_a_bank_must_not_ask(shipped, text, rule):
    assert rule in [r.id for r in matched_rules(text, shipped)]


@pytest.mark.parametrize(
    "text",
    [
        "Hello, how can I help you today?",
        "您好，请问有什么可以帮您？",
        "I have blocked your card; a new one is on its way.",
        "您的卡已挂失，新卡将在7个工作日内寄出。",
        "Please confirm the last 4 digits of your card.",
        "Your passport is not needed for this.",
        "the spinning wheel in the app means it is loading",
    ],
)
def test_the_shipped_rules_leave_ordinary_replies_alone(shipped, text):
    assert matched_rules(text, shipped) == []


def test_the_shipped_rules_have_unique_ids_and_both_languages(shipped):
    ids = [rule.id for rule in shipped]
    assert len(ids) == len(set(ids)) >= 5
    for rule in shipped:
        assert rule.message_en.strip() and rule.message_zh.strip()
        assert any("\u4e00" <= c <= "\u9fff" for c in rule.message_zh), rule.id


def test_the_rules_file_ships_with_the_package_like_the_defaults():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    shipped_files = parser["options.data_files"]["share/enclave/config"]
    names = [name.strip() for name in shipped_files.split(",")]
    assert "config/defaults.toml" in names and "config/compliance.toml" in names


RULE = """
[[rule]]
id = "{id}"
pattern = '{pattern}'
message_en = "en"
message_zh = "中文"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[rule]\nid = 1", "rules.toml: not valid TOML"),
        (RULE.format(id="bad-regex", pattern="pass(word"), "rule #1 ('bad-regex'): pattern"),
        (
            RULE.format(id="twice", pattern="a") + RULE.format(id="twice", pattern="b"),
            "rule #2 ('twice'): duplicate id 'twice'",
        ),
        ('[[rule]]\nid = "short"\npattern = "x"\nmessage_en = "en"', "missing field 'message_zh'"),
        (RULE.format(id="x", pattern="a") + 'severity = "high"\n', "unknown field 'severity'"),
        (RULE.format(id="Has Space", pattern="a"), "rule #1 ('Has Space'): id must be"),
        ('[[rule]]\nid = "x"\npattern = ""\nmessage_en = "e"\nmessage_zh = "z"', "non-empty"),
        ('title = "rules"\n', "unknown key 'title'"),
    ],
)
def test_it_refuses_a_bad_rules_file_naming_the_file_and_the_rule(text, expected):
    with pytest.raises(ComplianceRulesError) as raised:
        parse_rules(text, "rules.toml")
    assert expected in str(raised.value)
    assert str(raised.value).startswith("rules.toml")


def test_an_empty_rules_file_turns_the_prompt_off():
    assert parse_rules("# no rules\n", "rules.toml") == ()


def test_it_stops_the_app_start_on_a_bad_rules_file(settings, tmp_path):
    from appliance import create_app

    bad = tmp_path / "compliance.toml"
    bad.write_text(RULE.format(id="broken", pattern="(unclosed"), encoding="utf-8")
    configured = dataclasses.replace(
        settings, compliance=dataclasses.replace(settings.compliance, rules_file=str(bad))
    )
    with pytest.raises(SettingsError) as raised:  # the CLI reports these and exits
        create_app(configured)
    assert str(bad) in str(raised.value) and "'broken'" in str(raised.value)

    missing = dataclasses.replace(
        settings,
        compliance=dataclasses.replace(settings.compliance, rules_file=str(tmp_path / "nope")),
    )
    with pytest.raises(ComplianceRulesError, match=r"compliance\.rules_file: cannot read"):
        create_app(missing)


# sending


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


@pytest.fixture
def started(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation = visitor.start()
    assert conversation["status"] == "assigned"
    return agent, visitor, conversation["id"]


def _audits(app, action):
    with app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(action))
        return [(bytes(row.canonical), event_from_canonical(bytes(row.canonical))) for row in rows]


def _last_row(app, action):
    with app.app_context(), db.connection_context():
        row = (
            AuditEventRow.select()
            .where(AuditEventRow.action == int(action))
            .order_by(AuditEventRow.id.desc())
            .first()
        )
        return row.id, event_from_canonical(bytes(row.canonical))


def _last_seq(app, conversation_id):
    with app.app_context(), db.connection_context():
        return Conversation.get_by_id(conversation_id).last_seq


def test_it_holds_a_flagged_reply_until_confirmed_then_audits_it_with_the_message(chat, started):
    agent, visitor, conversation_id = started
    posted_before = len(_audits(chat.app, EventType.MESSAGE_POSTED))
    payload = {"conversation_id": conversation_id, "client_msg_id": "c-ask-1", "text": ASK}

    held = agent.emit("send_message", payload)
    assert held["ok"] is False and held["code"] == "compliance_prompt"
    assert [rule["id"] for rule in held["rules"]] == ["password"]
    assert held["rules"][0]["message_en"].startswith("Never ask")
    assert "密码" in held["rules"][0]["message_zh"]
    assert _last_seq(chat.app, conversation_id) == 0  # nothing stored
    assert len(_audits(chat.app, EventType.MESSAGE_POSTED)) == posted_before
    assert visitor.received("message_posted") == []

    # Send anyway: the same client_msg_id (nothing was stored under it), confirmed.
    sent = agent.ok("send_message", {**payload, "confirm_compliance": ["password"]})
    assert sent["duplicate"] is False and sent["message"]["text"] == ASK
    assert [m["text"] for m in visitor.received("message_posted")] == [ASK]
    [(canonical, confirmed)] = _audits(chat.app, EventType.COMPLIANCE_PROMPT_CONFIRMED)
    assert confirmed.target.id == conversation_id
    assert confirmed.details == {"seq": sent["message"]["seq"], "rules": ["password"]}
    assert ASK.encode() not in canonical  # the rule ids, never the text
    # Written together with the message's own MESSAGE_POSTED, right after it.
    posted_id, posted = _last_row(chat.app, EventType.MESSAGE_POSTED)
    confirmed_id, _ = _last_row(chat.app, EventType.COMPLIANCE_PROMPT_CONFIRMED)
    assert posted.details["seq"] == sent["message"]["seq"]
    assert confirmed_id == posted_id + 1

    # A lost ack: the resend (confirmed or not) acks the original, once.
    for extra in ({"confirm_compliance": ["password"]}, {}):
        again = agent.ok("send_message", {**payload, **extra})
        assert again["duplicate"] is True
        assert again["message"]["seq"] == sent["message"]["seq"]
    assert len(_audits(chat.app, EventType.COMPLIANCE_PROMPT_CONFIRMED)) == 1
    assert _last_seq(chat.app, conversation_id) == 1
    assert [m["text"] for m in visitor.received("message_posted")] == [ASK]


def test_it_prompts_again_until_every_matched_rule_is_confirmed(chat, started):
    agent, _, conversation_id = started
    text = "please tell me your password and the CVV"
    payload = {"conversation_id": conversation_id, "client_msg_id": new_client_msg_id()}
    payload["text"] = text
    partly = agent.emit("send_message", {**payload, "confirm_compliance": ["password"]})
    assert partly["code"] == "compliance_prompt"
    assert sorted(rule["id"] for rule in partly["rules"]) == ["card_security_code", "password"]
    both = ["password", "card_security_code", "pin"]  # an extra id is harmless
    sent = agent.ok("send_message", {**payload, "confirm_compliance": both})
    [(_, confirmed)] = _audits(chat.app, EventType.COMPLIANCE_PROMPT_CONFIRMED)
    assert confirmed.details == {
        "seq": sent["message"]["seq"],
        "rules": ["password", "card_security_code"],
    }


def test_it_does_not_prompt_notes_visitors_or_plain_replies(chat, started):
    agent, visitor, conversation_id = started
    note = agent.ok(
        "send_message",
        {
            "conversation_id": conversation_id,
            "client_msg_id": new_client_msg_id(),
            "text": "note: customer read their password out loud, told them not to",
            "internal": True,
        },
    )
    assert note["message"]["kind"] == "note"
    assert visitor.send(conversation_id, "is my password safe?")["seq"] == 2
    agent.send(conversation_id, "Your card is blocked.")
    assert _last_seq(chat.app, conversation_id) == 3
    assert _audits(chat.app, EventType.COMPLIANCE_PROMPT_CONFIRMED) == []


@pytest.mark.parametrize("value", ["password", True, [1], ["Not An Id"], ["x"] * 65])
def test_it_refuses_a_malformed_confirmation(chat, started, value):
    agent, _, conversation_id = started
    ack = agent.emit(
        "send_message",
        {
            "conversation_id": conversation_id,
            "client_msg_id": new_client_msg_id(),
            "text": ASK,
            "confirm_compliance": value,
        },
    )
    assert ack["ok"] is False and ack["code"] == "invalid_payload"
    assert "confirm_compliance" in ack["error"]
    assert _last_seq(chat.app, conversation_id) == 0


def test_it_uses_the_configured_rules_file(any_instance_dir, tmp_path):
    from appliance import create_app
    from appliance.settings import load_settings

    rules = tmp_path / "bank-rules.toml"
    rules.write_text(RULE.format(id="no-promises", pattern="guarantee"), encoding="utf-8")
    settings = load_settings(any_instance_dir, environ={})
    settings = dataclasses.replace(
        settings,
        testing=True,
        compliance=dataclasses.replace(settings.compliance, rules_file=str(rules)),
    )
    chat = Chat(create_app(settings))
    agent = chat.agent("ann")
    conversation_id = chat.visitor().start()["id"]
    payload = {"conversation_id": conversation_id, "client_msg_id": new_client_msg_id()}
    held = agent.emit("send_message", {**payload, "text": "We guarantee a 9% return"})
    assert held["code"] == "compliance_prompt"
    assert held["rules"] == [{"id": "no-promises", "message_en": "en", "message_zh": "中文"}]
    # The shipped rules are not in force: asking for a password passes unprompted.
    agent.ok("send_message", {**payload, "client_msg_id": new_client_msg_id(), "text": ASK})
