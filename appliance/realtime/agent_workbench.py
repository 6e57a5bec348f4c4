"""The /agent namespace's workbench events: the customer panel.

A mixin of AgentNamespace (realtime/agent.py); see docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

from appliance.permissions import Permission
from appliance.queries.chat import access_conversation_by_agent
from appliance.realtime._dispatch import Connection
from appliance.realtime._dispatch import event
from appliance.realtime.common import ONE_CONVERSATION
from appliance.services.customer_history import do_view_customer_history
from appliance.services.directory import Principal


class WorkbenchEvents:
    @event("customer_history", permission=Permission.CHAT_HANDLE, schema=ONE_CONVERSATION)
    def customer_history(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        conversation = access_conversation_by_agent(principal, data["conversation_id"])
        actor = principal.actor(ip=connection.ip, session_id=connection.session_id)
        return do_view_customer_history(conversation, actor=actor)
