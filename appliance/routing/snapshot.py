"""What the routing policy decides over: agents, waiting conversations, queues, settings.

This code cannot do I/O and reads no clock: the service builds these frozen values
from the database (with `now_ms` from `appliance.clock`) and hands them in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

AgentStatus = Literal["online", "away", "offline"]
AGENT_STATUSES: frozenset[str] = frozenset({"online", "away", "offline"})

# (effective_ms, enqueued_ms, conversation_id): lower is served first.
PriorityKey = tuple[int, int, str]


class Strategy(enum.StrEnum):
    """How a queue chooses among the agents eligible for a conversation."""

    LEAST_BUSY = "least_busy"
    ROUND_ROBIN = "round_robin"
    LONGEST_IDLE = "longest_idle"
    MANUAL = "manual"  # never auto-assigned: agents pick conversations up themselves


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentState:
    """One agent as the policy sees them at the snapshot's instant."""

    id: int
    groups: frozenset[str]
    skills: Mapping[str, int]  # skill -> level 1..5
    languages: frozenset[str]
    status: AgentStatus
    load: int  # conversations assigned now
    capacity: int  # most conversations at once
    idle_since_ms: int  # when they last became free or last got a conversation
    last_assigned_ms: int

    def __post_init__(self) -> None:
        if self.status not in AGENT_STATUSES:
            raise ValueError(f"agent {self.id}: unknown status {self.status!r}")
        if self.load < 0 or self.capacity < 0:
            raise ValueError(f"agent {self.id}: load and capacity cannot be negative")

    @property
    def available(self) -> bool:
        """Online with room for one more conversation."""
        return self.status == "online" and self.load < self.capacity


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """A conversation waiting in a queue for an agent."""

    conversation_id: str
    queue: str
    enqueued_ms: int
    skill: str | None = None
    min_level: int = 1  # only read when `skill` is set; 0 and 1 both mean "has the skill"
    language: str | None = None
    vip_level: int = 0  # 0 = ordinary customer
    last_agent_id: int | None = None
    declined_by: frozenset[int] = frozenset()  # declined or let an offer lapse: never again

    def __post_init__(self) -> None:
        if self.vip_level < 0:
            raise ValueError(f"conversation {self.conversation_id}: vip_level cannot be negative")
        if self.min_level < 0:
            raise ValueError(f"conversation {self.conversation_id}: min_level cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRule:
    """A queue: served by the agents of `group`, choosing among them by `strategy`."""

    name: str
    group: str
    strategy: Strategy = Strategy.LEAST_BUSY
    prefer_last_agent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    """How much a VIP level moves a conversation up, and the most it ever can.

    `aging_bound_ms` is the fairness promise: a conversation enqueued at t is only
    ever overtaken by conversations enqueued before t + aging_bound_ms.
    """

    vip_boost_ms: int = 60_000  # per VIP level
    aging_bound_ms: int = 300_000

    def __post_init__(self) -> None:
        if self.vip_boost_ms < 0 or self.aging_bound_ms < 0:
            raise ValueError("vip_boost_ms and aging_bound_ms cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Everything one decision round may look at, taken at `now_ms`.

    Order inside `agents` and `waiting` carries no meaning: every decision breaks
    ties by id, so the same facts in any order give the same decisions.
    """

    now_ms: int
    agents: Sequence[AgentState]
    waiting: Sequence[Waiting]
    queues: Mapping[str, QueueRule]
    round_robin_cursor: Mapping[str, int] = field(default_factory=dict)  # last agent per queue

    def __post_init__(self) -> None:
        for name, rule in self.queues.items():
            if rule.name != name:
                raise ValueError(f"queue {name!r} is keyed under another name ({rule.name!r})")
        if len({agent.id for agent in self.agents}) != len(self.agents):
            raise ValueError("an agent id appears twice in the snapshot")
        if len({w.conversation_id for w in self.waiting}) != len(self.waiting):
            raise ValueError("a conversation id appears twice in the snapshot")
        for w in self.waiting:
            if w.queue not in self.queues:
                raise ValueError(f"conversation {w.conversation_id}: unknown queue {w.queue!r}")
