"""The /agent namespace's routing events: offers, pickup, transfer, the queues one serves.

A mixin of AgentNamespace (realtime/agent.py); see docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

from appliance.permissions import Permission
from appliance.queries.chat import access_conversation_by_agent
from appliance.queries.chat import conversation_for_agent
from appliance.queries.routing import get_queue
from appliance.realtime._dispatch import Connection
from appliance.realtime._dispatch import event
from appliance.realtime._payload import GROUP
from appliance.realtime._payload import Field
from appliance.realtime.common import CONVERSATION
from appliance.realtime.common import ONE_CONVERSATION
from appliance.services.directory import Principal
from appliance.services.handoffs import MAX_NOTE_CHARS
from appliance.services.handoffs import do_accept_offer
from appliance.services.handoffs import do_decline_offer
from appliance.services.handoffs import do_pick_up
from appliance.services.handoffs import do_transfer
from appliance.services.queue_positions import waiting_list


class RoutingEvents:
    @event("accept_offer", permission=Permission.CHAT_HANDLE, schema=ONE_CONVERSATION)
    def accept_offer(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        conversation = do_accept_offer(
            data["conversation_id"], agent_id=principal.id, actor=_actor(connection)
        )
        return {"conversation": conversation_for_agent(conversation)}

    @event("decline_offer", permission=Permission.CHAT_HANDLE, schema=ONE_CONVERSATION)
    def decline_offer(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        do_decline_offer(data["conversation_id"], agent_id=principal.id, actor=_actor(connection))
        return {}

    @event("pick_up", permission=Permission.CHAT_HANDLE, schema=ONE_CONVERSATION)
    def pick_up(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        conversation = do_pick_up(
            data["conversation_id"], agent_id=principal.id, groups=principal.groups
        )
        return {"conversation": conversation_for_agent(conversation)}

    @event(
        "transfer_conversation",
        permission=Permission.CHAT_HANDLE,
        schema={
            "conversation_id": CONVERSATION,
            "to_agent_id": Field(int, required=False, minimum=1),
            "to_queue": Field(str, required=False, pattern=GROUP),
            "note": Field(str, required=False, default="", max_bytes=lambda: MAX_NOTE_CHARS * 4),
        },
    )
    def transfer_conversation(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        access_conversation_by_agent(principal, data["conversation_id"], to_post=True)
        conversation = do_transfer(
            data["conversation_id"],
            from_agent_id=principal.id,
            actor=_actor(connection),
            note=data["note"],
            to_agent_id=data["to_agent_id"],
            to_queue=data["to_queue"],
        )
        return {"conversation_id": conversation.id, "status": conversation.status}

    @event("list_queues", permission=Permission.CHAT_HANDLE)
    def list_queues(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        queues = []
        for name in sorted(principal.groups):
            config = get_queue(name)
            if config is None:
                continue
            queues.append(
                {
                    "queue": name,
                    "display_name": config.display_name.as_json(),
                    "strategy": config.strategy,
                    "waiting": waiting_list(name),
                }
            )
        return {"queues": queues}


def _actor(connection: Connection) -> Any:
    principal: Principal = connection.identity
    return principal.actor(ip=connection.ip, session_id=connection.session_id)
