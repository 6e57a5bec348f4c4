"""Revealing a masked message: the original text, to an agent allowed to see it, audited.

Agents receive message text with PII masked (services/pii.py). An account with
`pii.reveal` may ask for one message's original text (the /agent event
`reveal_message`, after access_conversation_by_agent has checked that it may read
the conversation). Every reveal is a read of protected data and writes
PII_REVEALED in its own transaction: who, which conversation and seq, and which
kinds of PII the text holds — never the text.

A message whose stored body does not open (tampered, moved from another row, a key
problem: queries/chat.py `message_text`, which logs it) has no original to give:
the reveal is refused with `message_unreadable` and nothing is audited, since
nothing protected was read.
"""

from __future__ import annotations

from appliance import errors
from appliance.models import Message
from appliance.queries.chat import message_text
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.pii import find_pii
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target


class MessageUnreadable(errors.AppError):
    """The message exists, but its stored body fails authentication: there is no
    original text to reveal."""

    code = "message_unreadable"
    http_status = 409


@mutation
def do_reveal_message(conversation_id: str, seq: int, *, actor: Actor) -> str:
    """The original text of message `seq` of the conversation; audited."""
    row = Message.get_or_none((Message.conversation_id == conversation_id) & (Message.seq == seq))
    if row is None:
        raise errors.NotFound("No such message")
    text = message_text(conversation_id, seq, row.body_enc)
    if text is None:
        raise MessageUnreadable("This message could not be read; there is nothing to reveal")
    kinds: list[JSONValue] = [kind for kind in sorted({found.kind for found in find_pii(text)})]
    record_audit(
        EventType.PII_REVEALED,
        actor=actor,
        target=Target(type="conversation", id=conversation_id),
        details={"seq": seq, "kinds": kinds},
    )
    return text
