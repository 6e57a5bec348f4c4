"""The Router's agents: a live record per agent, and pools that rank them per strategy.

This code cannot do I/O and reads no clock. Pool heaps are lazy: an entry may be
out of date, and is checked (re-ranked, or dropped) when it reaches the top. That
is sound because, inside a round, an agent's rank only ever worsens (more load,
later idle time); anything that can improve it (`Router.update_agent`) bumps the
agent's epoch, which kills all their old entries, and adds fresh ones.
"""

from __future__ import annotations

from bisect import bisect_left
from bisect import bisect_right
from bisect import insort
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from heapq import heapify
from heapq import heappop
from heapq import heappush
from heapq import heapreplace
from typing import TYPE_CHECKING
from typing import Protocol

from appliance.routing.rules import RankKey
from appliance.routing.rules import rank_key
from appliance.routing.snapshot import AgentState
from appliance.routing.snapshot import AgentStatus
from appliance.routing.snapshot import Strategy

if TYPE_CHECKING:
    from appliance.routing._index import Bucket


@dataclass(slots=True, eq=False)
class LiveAgent:
    """An agent's state as the round goes on; `epoch` changes when it is replaced."""

    id: int
    groups: frozenset[str]
    skills: Mapping[str, int]
    languages: frozenset[str]
    status: AgentStatus
    load: int
    capacity: int
    idle_since_ms: int
    last_assigned_ms: int
    epoch: int = 0
    version: int = 0  # bumped by every assignment: the agent's rank may have changed
    buckets: list[Bucket] = field(default_factory=list)

    @classmethod
    def of(cls, state: AgentState) -> LiveAgent:
        agent = cls(0, frozenset(), {}, frozenset(), "offline", 0, 0, 0, 0)
        agent.reset(state)
        return agent

    def reset(self, state: AgentState) -> None:
        self.id, self.groups, self.skills = state.id, state.groups, state.skills
        self.languages, self.status = state.languages, state.status
        self.load, self.capacity = state.load, state.capacity
        self.idle_since_ms, self.last_assigned_ms = state.idle_since_ms, state.last_assigned_ms

    @property
    def available(self) -> bool:
        return self.status == "online" and self.load < self.capacity

    def state(self) -> AgentState:
        return AgentState(
            id=self.id,
            groups=self.groups,
            skills=self.skills,
            languages=self.languages,
            status=self.status,
            load=self.load,
            capacity=self.capacity,
            idle_since_ms=self.idle_since_ms,
            last_assigned_ms=self.last_assigned_ms,
        )


class Pool(Protocol):
    """The available agents of one bucket, in the order its queue's strategy ranks them."""

    def add(self, agent: LiveAgent) -> None: ...
    def discard(self, agent: LiveAgent) -> None: ...
    def top(self, limit: int, exclude: frozenset[int], cursor: int | None) -> list[LiveAgent]: ...


class HeapPool:
    """Least-busy and longest-idle: a lazy heap on the strategy's rank key."""

    __slots__ = ("_heap", "_members", "_strategy")

    def __init__(self, strategy: Strategy) -> None:
        self._strategy = strategy
        self._heap: list[tuple[RankKey, int, int, LiveAgent]] = []
        self._members: dict[int, LiveAgent] = {}

    def add(self, agent: LiveAgent) -> None:
        self._members[agent.id] = agent
        heappush(self._heap, self._entry(agent))
        if len(self._heap) > 2 * len(self._members) + 16:
            # Many update_agent calls and few decisions here: drop the dead entries.
            self._heap[:] = [self._entry(a) for a in self._members.values() if a.available]
            heapify(self._heap)

    def discard(self, agent: LiveAgent) -> None:
        # Entries stay: the agent's epoch has moved on, so they die when they surface.
        self._members.pop(agent.id, None)

    def _entry(self, agent: LiveAgent) -> tuple[RankKey, int, int, LiveAgent]:
        return (rank_key(self._strategy, agent, None), agent.epoch, agent.version, agent)

    def top(self, limit: int, exclude: frozenset[int], cursor: int | None) -> list[LiveAgent]:
        heap, held = self._heap, []
        found: list[LiveAgent] = []
        while heap and len(found) < limit:
            _, epoch, version, agent = heap[0]
            if epoch != agent.epoch or not agent.available:
                heappop(heap)
            elif version != agent.version:
                fresh = rank_key(self._strategy, agent, None)
                heapreplace(heap, (fresh, epoch, agent.version, agent))
            else:
                held.append(heappop(heap))
                if agent.id not in exclude:
                    found.append(agent)
        for entry in held:
            heappush(heap, entry)
        return found


class RotationPool:
    """Round-robin: agent ids in order; the next after the queue's cursor, wrapping."""

    __slots__ = ("_agents", "_ids")

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._agents: dict[int, LiveAgent] = {}

    def add(self, agent: LiveAgent) -> None:
        if agent.id not in self._agents:
            insort(self._ids, agent.id)
        self._agents[agent.id] = agent

    def discard(self, agent: LiveAgent) -> None:
        if self._agents.pop(agent.id, None) is not None:
            del self._ids[bisect_left(self._ids, agent.id)]

    def top(self, limit: int, exclude: frozenset[int], cursor: int | None) -> list[LiveAgent]:
        ids, count = self._ids, len(self._ids)
        start = 0 if cursor is None else bisect_right(ids, cursor)
        found: list[LiveAgent] = []
        full: list[LiveAgent] = []
        for step in range(count):
            agent = self._agents[ids[(start + step) % count]]
            if not agent.available:
                full.append(agent)  # only update_agent makes them available again, re-adding
            elif agent.id not in exclude:
                found.append(agent)
                if len(found) == limit:
                    break
        for agent in full:
            self.discard(agent)
        return found


def pool_for(strategy: Strategy) -> Pool:
    return RotationPool() if strategy is Strategy.ROUND_ROBIN else HeapPool(strategy)
