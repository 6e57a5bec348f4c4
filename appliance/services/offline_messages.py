"""Leave a message: what a visitor writes when no queue can take the chat.

Stored encrypted (SM4-GCM, associated data naming the row and field) in
`offline_message` for the ticketing workflow; the audit event records that a
message was left, never its text or the contact given.
"""

from __future__ import annotations

from appliance import clock
from appliance import errors
from appliance.models import Conversation
from appliance.models import OfflineMessage
from appliance.queries.routing import get_queue
from appliance.sealed import seal
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

# leave a message


@mutation
def do_leave_message(
    *, visitor_id: str, queue: str, text: str, contact: str | None, conversation_id: str | None
) -> int:
    """Store a visitor's message for the ticketing workflow (encrypted), closing their
    waiting conversation if they had one."""
    if get_queue(queue) is None:
        raise errors.NotFound(f"No such queue: {queue}")
    now = clock.now_ms()
    row = OfflineMessage.create(
        conversation_id=conversation_id,
        visitor_id=visitor_id,
        queue=queue,
        body_enc=b"",
        status="new",
        created_ms=now,
    )
    OfflineMessage.update(
        body_enc=seal(text, context=f"offline_message:{row.id}:body"),
        contact_enc=None
        if contact is None
        else seal(contact, context=f"offline_message:{row.id}:contact"),
    ).where(OfflineMessage.id == row.id).execute()
    record_audit(
        EventType.MESSAGE_LEFT,
        actor=Actor(id=f"visitor:{visitor_id}", role="visitor"),
        target=Target(type="offline_message", id=str(row.id)),
        details={
            "queue": queue,
            "conversation_id": conversation_id,
            "contact": contact is not None,
        },
    )
    if conversation_id is not None:
        from appliance.services.conversations import do_close_conversation

        conversation = Conversation.get_or_none(Conversation.id == conversation_id)
        if conversation is not None and conversation.status != "closed":
            do_close_conversation(
                conversation_id,
                closed_by="leave_message",
                actor=Actor(id=f"visitor:{visitor_id}", role="visitor"),
            )
    return int(row.id)
