"""After a chat: the visitor's satisfaction rating, and the transcript they take away.

A rating is one per conversation, only once it is closed, 1-5 with an optional
comment (sealed like messages: it is free text a customer typed). The transcript
is the conversation as the visitor saw it (internal notes never included); giving
it out is audited, because it leaves the appliance. A message whose stored body does
not open is in it, in its place, with `"text": null` and `"unreadable": true`.
"""

from __future__ import annotations

from typing import Any
from typing import cast

from peewee import IntegrityError
from peewee import fn

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import Conversation
from appliance.models import Survey
from appliance.queries.chat import iso_ms
from appliance.queries.chat import messages_after
from appliance.sealed import seal
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

MAX_COMMENT_BYTES = 2000
TRANSCRIPT_PAGE = 500


def survey_context(conversation_id: str) -> str:
    return f"survey:{conversation_id}:comment"


@mutation
def do_rate_conversation(
    conversation: Conversation, *, score: int, comment: str | None, actor: Actor
) -> None:
    if conversation.status != "closed":
        raise errors.Conflict("Rate the conversation once it has ended")
    if not 1 <= score <= 5:
        raise errors.InvalidPayload("score: must be 1 to 5")
    try:
        with db.atomic():  # a savepoint: a duplicate must not poison the rest
            Survey.insert(
                conversation_id=conversation.id,
                visitor_id=conversation.visitor_id,
                queue=conversation.group,
                agent_id=conversation.agent_id,
                score=score,
                comment_enc=None
                if not comment
                else seal(comment, context=survey_context(conversation.id)),
                created_ms=clock.now_ms(),
            ).execute()
    except IntegrityError:
        raise errors.Conflict("This conversation has already been rated") from None
    record_audit(
        EventType.SURVEY_SUBMITTED,
        actor=actor,
        target=Target(type="conversation", id=conversation.id),
        details={"score": score, "comment": bool(comment)},
    )


@mutation
def do_export_transcript(conversation: Conversation, *, actor: Actor) -> dict[str, Any]:
    """The visitor's view of the whole conversation, for download; audited."""
    messages: list[dict[str, Any]] = []
    after = 0
    while True:
        page, more = messages_after(conversation, after, TRANSCRIPT_PAGE, include_notes=False)
        messages.extend(page)
        if not more or not page:
            break
        after = page[-1]["seq"]
    record_audit(
        EventType.TRANSCRIPT_EXPORTED,
        actor=actor,
        target=Target(type="conversation", id=conversation.id),
        details={"messages": len(messages), "by": "visitor"},
    )
    return {
        "conversation_id": conversation.id,
        "opened_at": iso_ms(conversation.opened_ms),
        "closed_at": None if conversation.closed_ms is None else iso_ms(conversation.closed_ms),
        "generated_at": iso_ms(clock.now_ms()),
        "messages": [_transcript_line(m) for m in messages],
    }


def _transcript_line(message: dict[str, Any]) -> dict[str, Any]:
    line = {
        "seq": message["seq"],
        "sender": message["sender"]["type"],
        "name": message["sender"]["name"],
        "text": message["text"],
        "sent_at": message["sent_at"],
    }
    if message.get("unreadable"):
        line["unreadable"] = True
    return line


def survey_report(since_ms: int) -> dict[str, Any]:
    """Ratings since `since_ms`, overall and per queue and per agent (count, mean x100)."""

    def rows(*group: Any) -> list[tuple[Any, ...]]:
        query = (
            Survey.select(*group, fn.COUNT(Survey.score), fn.SUM(Survey.score))
            .where(Survey.created_ms >= since_ms)
            .tuples()
        )
        if group:
            query = query.group_by(*group)
        return cast(list[tuple[Any, ...]], list(query))

    def summary(count: int, total: int | None) -> dict[str, Any]:
        # The mean as a whole number of hundredths: no float in what may be audited or compared.
        return {"count": count, "mean_x100": 0 if not count else round(100 * (total or 0) / count)}

    [(count, total)] = rows()
    return {
        "since": iso_ms(since_ms),
        "overall": summary(count, total),
        "by_queue": {queue: summary(n, t) for queue, n, t in rows(Survey.queue)},
        "by_agent": {
            str(agent): summary(n, t) for agent, n, t in rows(Survey.agent_id) if agent is not None
        },
    }
