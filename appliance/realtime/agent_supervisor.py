"""The /agent namespace's supervisor events: the live supervisor view.

A mixin of AgentNamespace (realtime/agent.py); see docs/protocol.md and
docs/supervisor-guide.md. Read-only, so not audited: the view names no visitor
and holds no message text.
"""

from __future__ import annotations

from typing import Any

from appliance.permissions import Permission
from appliance.realtime._dispatch import Connection
from appliance.realtime._dispatch import event
from appliance.services.directory import Principal
from appliance.services.supervision import supervisor_overview


class SupervisorEvents:
    @event("supervisor_overview", permission=Permission.DESK_SUPERVISE)
    def supervisor_overview(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        principal: Principal = connection.identity
        return {"overview": supervisor_overview(principal.groups)}
