"""After a chat: the satisfaction rating (stored, sealed, reported) and the transcript."""

from __future__ import annotations

import pytest

from appliance.db import db
from appliance.models import AuditEventRow
from appliance.models import Survey
from audit.canonical import event_from_canonical
from audit.events import EventType
from tests.appliance.chat_helpers import Chat
from tests.appliance.directory_helpers import login
from tests.appliance.directory_helpers import make_agent


@pytest.fixture
def chat(any_app):
    return Chat(any_app)


@pytest.fixture
def ended(chat):
    agent = chat.agent("ann")
    visitor = chat.visitor()
    conversation = visitor.start()
    visitor.send(conversation["id"], "my card is lost")
    agent.send(conversation["id"], "I have blocked it for you")
    agent.ok(
        "send_message",
        {
            "conversation_id": conversation["id"],
            "client_msg_id": "n1",
            "text": "note: verified by phone",
            "internal": True,
        },
    )
    visitor.ok("close_conversation", {"conversation_id": conversation["id"]})
    return visitor, conversation["id"]


def _audits(app, action):
    with app.app_context(), db.connection_context():
        rows = AuditEventRow.select().where(AuditEventRow.action == int(action))
        return [event_from_canonical(bytes(r.canonical)) for r in rows]


def test_it_stores_one_sealed_rating_per_closed_conversation(chat, ended):
    visitor, conversation_id = ended
    visitor.ok(
        "rate_conversation",
        {"conversation_id": conversation_id, "score": 4, "comment": "quick and kind, 谢谢"},
    )
    again = visitor.emit("rate_conversation", {"conversation_id": conversation_id, "score": 1})
    assert again["code"] == "conflict"
    with chat.app.app_context(), db.connection_context():
        [row] = list(Survey.select())
    assert row.score == 4 and row.queue == "general"
    assert b"quick" not in bytes(row.comment_enc)
    [audit] = _audits(chat.app, EventType.SURVEY_SUBMITTED)
    assert audit.details == {"score": 4, "comment": True}


def test_it_refuses_a_rating_before_the_end_or_out_of_range(chat):
    chat.agent("ann")
    visitor = chat.visitor()
    conversation = visitor.start()
    early = visitor.emit("rate_conversation", {"conversation_id": conversation["id"], "score": 5})
    assert early["code"] == "conflict"
    visitor.ok("close_conversation", {"conversation_id": conversation["id"]})
    for bad in (0, 6, "5", True):
        refused = visitor.emit(
            "rate_conversation", {"conversation_id": conversation["id"], "score": bad}
        )
        assert refused["code"] == "invalid_payload", bad
    with chat.app.app_context(), db.connection_context():
        assert Survey.select().count() == 0


def test_a_visitor_cannot_rate_someone_elses_conversation(chat, ended):
    _, conversation_id = ended
    stranger = chat.visitor()
    refused = stranger.emit("rate_conversation", {"conversation_id": conversation_id, "score": 1})
    assert refused["code"] == "not_found"


def test_it_hands_the_visitor_a_transcript_without_notes(chat, ended):
    visitor, conversation_id = ended
    transcript = visitor.ok("export_transcript", {"conversation_id": conversation_id})["transcript"]
    assert [(m["sender"], m["text"]) for m in transcript["messages"]] == [
        ("visitor", "my card is lost"),
        ("agent", "I have blocked it for you"),
    ]
    assert transcript["closed_at"] is not None
    [audit] = _audits(chat.app, EventType.TRANSCRIPT_EXPORTED)
    assert audit.details == {"messages": 2, "by": "visitor"}


def test_supervisors_get_the_survey_report(chat, ended):
    visitor, conversation_id = ended
    visitor.ok("rate_conversation", {"conversation_id": conversation_id, "score": 5})
    make_agent("sue", roles=("supervisor",))
    http = chat.app.test_client()
    login(http, "sue")
    report = http.get("/api/v1/reports/surveys?days=7").json["report"]
    assert report["overall"] == {"count": 1, "mean_x100": 500}
    assert report["by_queue"]["general"]["count"] == 1
    assert http.get("/api/v1/reports/surveys?days=0").status_code == 400
    agent_http = chat.app.test_client()
    login(agent_http, "ann")
    assert agent_http.get("/api/v1/reports/surveys").status_code == 403
