"""Who took part in a conversation: the rows of conversation_participant (migration 0011).

Called inside the @mutation that changes who holds the conversation, after its
conditional UPDATE won, so the participant rows change in the same transaction as
conversation.agent_id and its audit event:

| change                                         | caller                                   |
|------------------------------------------------|------------------------------------------|
| a conversation starts: the visitor joins       | conversations.do_start_conversation      |
| an agent is assigned (routing, pickup), or     | routing._claim_conversation,             |
| accepts an offer: the agent joins              | handoffs.do_accept_offer                 |
| transfer: the agent leaves ("transferred"),    | handoffs.do_transfer                     |
| the receiving agent (if any) joins             |                                          |
| re-queue: the agent leaves (the reason given,  | presence.requeue_agent_conversations     |
| "agent_offline" or "agent_disconnected")       |                                          |
| close: everyone present leaves ("closed")      | conversations.do_close_conversation      |

An offer is not a stay: the offered agent joins when they accept (the offer
itself is audited, CONVERSATION_OFFERED / OFFER_DECLINED). Per conversation, not
per message: nothing here runs on the message path.
"""

from __future__ import annotations

from appliance.models import ConversationParticipant as Participant

VISITOR = "visitor"
AGENT = "agent"
ASSIGNEE = "assignee"


def visitor_joined(conversation_id: str, visitor_id: str, now: int) -> None:
    Participant.insert(
        conversation_id=conversation_id,
        kind=VISITOR,
        principal_id=visitor_id,
        role=VISITOR,
        joined_ms=now,
    ).execute()


def agent_joined(conversation_id: str, agent_id: int, now: int) -> None:
    Participant.insert(
        conversation_id=conversation_id,
        kind=AGENT,
        principal_id=str(agent_id),
        role=ASSIGNEE,
        joined_ms=now,
    ).execute()


def agent_left(conversation_id: str, agent_id: int, *, reason: str, now: int) -> None:
    Participant.update(left_ms=now, left_reason=reason).where(
        (Participant.conversation_id == conversation_id)
        & (Participant.kind == AGENT)
        & (Participant.principal_id == str(agent_id))
        & Participant.left_ms.is_null()
    ).execute()


def everyone_left(conversation_id: str, *, reason: str, now: int) -> None:
    Participant.update(left_ms=now, left_reason=reason).where(
        (Participant.conversation_id == conversation_id) & Participant.left_ms.is_null()
    ).execute()
