"""The routing policy: who gets which waiting conversation.

This code cannot do I/O. It reads no clock, no database, no settings file and no
global: a Snapshot (taken by the service at `now_ms`) and PolicySettings go in,
Assignments come out, and the same input always gives the same output. Claiming
an assignment in the database, auditing it and telling the agent are the
service's job (appliance/services). The rules are described in docs/routing.md.

    plan(snapshot, settings)                 every assignment one round can make
    Router.from_snapshot(snapshot, settings) the same decisions one at a time, plus
                                             pick_for_agent, assign_for, enqueue,
                                             withdraw, update_agent
    queue_positions(snapshot, settings, aht) position and estimated wait per conversation
"""

from __future__ import annotations

from appliance.routing.decision import Assignment
from appliance.routing.decision import Candidate
from appliance.routing.decision import Reason
from appliance.routing.decision import Trigger
from appliance.routing.positions import QueuePosition
from appliance.routing.positions import estimate_wait_ms
from appliance.routing.positions import queue_positions
from appliance.routing.positions import serving_capacity
from appliance.routing.router import Router
from appliance.routing.rules import is_eligible
from appliance.routing.rules import priority_key
from appliance.routing.snapshot import AgentState
from appliance.routing.snapshot import AgentStatus
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import PriorityKey
from appliance.routing.snapshot import QueueRule
from appliance.routing.snapshot import Snapshot
from appliance.routing.snapshot import Strategy
from appliance.routing.snapshot import Waiting

__all__ = [
    "AgentState",
    "AgentStatus",
    "Assignment",
    "Candidate",
    "PolicySettings",
    "PriorityKey",
    "QueuePosition",
    "QueueRule",
    "Reason",
    "Router",
    "Snapshot",
    "Strategy",
    "Trigger",
    "Waiting",
    "estimate_wait_ms",
    "is_eligible",
    "plan",
    "priority_key",
    "queue_positions",
    "serving_capacity",
]


def plan(snapshot: Snapshot, settings: PolicySettings) -> list[Assignment]:
    """Every assignment this round can make, in decision order.

    Decisions go in priority order; each one counts against its agent's capacity
    before the next is made, so the plan never over-assigns anyone.
    """
    return Router.from_snapshot(snapshot, settings).drain()
