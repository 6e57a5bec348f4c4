"""What the routing policy answers: an assignment and the reason for it.

This code cannot do I/O. The reason is written verbatim into the audit trail, so
`as_dict()` returns JSON values only (ints, strings, booleans, lists, dicts) and
never a float: audit records are canonicalized (RFC 8785) and must hash the same
on every machine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from appliance.routing.snapshot import PriorityKey
from appliance.routing.snapshot import Strategy

TOP_CANDIDATES = 3  # how many runners-up a reason names


class Trigger(enum.StrEnum):
    """Which question the decision answered."""

    QUEUE = "queue"  # the next conversation in priority order (plan, Router.next_assignment)
    AGENT = "agent"  # an agent has room: which conversation? (Router.pick_for_agent)
    CONVERSATION = "conversation"  # this conversation: which agent? (Router.assign_for)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible agent and the figures the strategy ranked them by.

    The score is, by strategy: least_busy (load, capacity, idle_since_ms), ranked by
    load/capacity then load then idle_since_ms; longest_idle (idle_since_ms,);
    round_robin (load, capacity), ranked by rotation order after the cursor.
    """

    agent_id: int
    score: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        return {"agent_id": self.agent_id, "score": list(self.score)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """Why this agent got this conversation, for the audit trail and supervisors."""

    trigger: Trigger
    queue: str
    strategy: Strategy
    priority: PriorityKey
    vip_level: int
    waited_ms: int
    candidates_considered: int  # eligible agents at the moment of the decision
    top_candidates: tuple[Candidate, ...]  # the strategy's best few, best first
    last_agent_preferred: bool  # chosen because they served this customer last

    def as_dict(self) -> dict[str, object]:
        return {
            "trigger": self.trigger.value,
            "queue": self.queue,
            "strategy": self.strategy.value,
            "priority": list(self.priority),
            "vip_level": self.vip_level,
            "waited_ms": self.waited_ms,
            "candidates_considered": self.candidates_considered,
            "top_candidates": [candidate.as_dict() for candidate in self.top_candidates],
            "last_agent_preferred": self.last_agent_preferred,
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    """Give `conversation_id` to `agent_id`. The service claims both in the database."""

    conversation_id: str
    agent_id: int
    reason: Reason

    def as_dict(self) -> dict[str, object]:
        return {
            "conversation_id": self.conversation_id,
            "agent_id": self.agent_id,
            "reason": self.reason.as_dict(),
        }
