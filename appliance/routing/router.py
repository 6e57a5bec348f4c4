"""The Router: the routing policy, indexed so that one decision stays well under a millisecond.

This code cannot do I/O and reads no clock. A Router is built from one Snapshot
and then changes only through its own methods. Every decision it returns has
already been applied to it (the agent's load and idle time, the queue's cursor),
so a round never over-assigns. If the service then fails to claim an assignment
in the database, the Router no longer matches the world: build a new one.

The next decision pops the heap of buckets (see _index.py). A bucket whose
members are all busy is dropped in O(1) and comes back only when `update_agent`
frees one of them; a head that every free member declined waits aside likewise.
"""

from __future__ import annotations

from heapq import heappop
from heapq import heapreplace

from appliance.routing._index import Bucket
from appliance.routing._index import Index
from appliance.routing._index import Live
from appliance.routing._pools import LiveAgent
from appliance.routing.decision import TOP_CANDIDATES
from appliance.routing.decision import Assignment
from appliance.routing.decision import Trigger
from appliance.routing.rules import explain
from appliance.routing.rules import serves
from appliance.routing.snapshot import AgentState
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import Snapshot
from appliance.routing.snapshot import Waiting


class Router:
    """Decide one assignment at a time over a snapshot, cheaply."""

    def __init__(self, snapshot: Snapshot, settings: PolicySettings) -> None:
        self._now_ms = snapshot.now_ms
        self._cursor: dict[str, int] = dict(snapshot.round_robin_cursor)
        self._index = Index(snapshot.queues, settings)
        self._index.load(map(LiveAgent.of, snapshot.agents), snapshot.waiting)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, settings: PolicySettings) -> Router:
        return cls(snapshot, settings)

    # decisions

    def next_assignment(self) -> Assignment | None:
        """The highest-priority waiting conversation that someone may take, and who."""
        index = self._index
        entries = index.entries
        while entries:
            key, number = entries[0]
            bucket = index.buckets[number]
            if bucket.entry_key != key:
                heappop(entries)  # superseded, or the bucket went dormant
                continue
            head = index.head(bucket)
            if head is None or not bucket.available:
                heappop(entries)  # back when enqueue or update_agent revives it
                bucket.entry_key = None
                continue
            if head[0] != key:
                heapreplace(entries, (head[0], number))
                bucket.entry_key = head[0]
                continue
            assignment = self._decide(bucket, index.live[key[2]], Trigger.QUEUE, None)
            if assignment is not None:
                return assignment
            bucket.blocked.append(heappop(bucket.heap))
        return None

    def drain(self, limit: int | None = None) -> list[Assignment]:
        """Assign as many as possible (at most `limit`), in decision order."""
        assignments: list[Assignment] = []
        while limit is None or len(assignments) < limit:
            assignment = self.next_assignment()
            if assignment is None:
                break
            assignments.append(assignment)
        return assignments

    def pick_for_agent(self, agent_id: int) -> Assignment | None:
        """An agent has room: give them the highest-priority conversation they may take.

        The queue's strategy and other customers' last-agent preference play no
        part: the agent is given. Manual queues are never picked from here.
        """
        agent = self._index.agents.get(agent_id)
        if agent is None or not agent.available:
            return None
        best: Live | None = None
        for bucket in agent.buckets:
            # A heap's top key, live or dead, is a lower bound on its best conversation.
            if not bucket.heap or (best is not None and bucket.heap[0][0] >= best.key):
                continue
            live = self._index.first_not_declined_by(bucket, agent_id)
            if live is not None and (best is None or live.key < best.key):
                best = live
        if best is None or best.bucket is None:
            return None
        return self._decide(best.bucket, best, Trigger.AGENT, agent)

    def assign_for(self, conversation_id: str) -> Assignment | None:
        """Choose an agent for this one conversation now, whatever else is waiting.

        For the fair order use next_assignment; this answers "who takes this one?"
        """
        live = self._index.live.get(conversation_id)
        if live is None or live.bucket is None:
            return None
        return self._decide(live.bucket, live, Trigger.CONVERSATION, None)

    # changes from outside

    def enqueue(self, waiting: Waiting) -> None:
        """Add a waiting conversation, replacing any with the same id (say, after a decline)."""
        if waiting.queue not in self._index.queues:
            raise ValueError(f"conversation {waiting.conversation_id}: unknown queue")
        self._index.add(waiting)

    def withdraw(self, conversation_id: str) -> bool:
        """The conversation no longer waits (the visitor left, or an agent picked it up)."""
        return self._index.live.pop(conversation_id, None) is not None

    def update_agent(self, state: AgentState) -> None:
        """Replace what the Router knows of an agent: status, load, capacity, skills, ..."""
        agent = self._index.agents.get(state.id)
        if agent is None:
            self._index.attach(LiveAgent.of(state))
            return
        same_profile = (agent.groups, agent.skills, agent.languages) == (
            state.groups,
            state.skills,
            state.languages,
        )
        buckets = agent.buckets
        self._index.detach(agent)
        agent.reset(state)
        agent.epoch += 1
        self._index.attach(agent, buckets if same_profile else None)

    def advance(self, now_ms: int) -> None:
        """Move the Router's clock forward (it never goes back)."""
        self._now_ms = max(self._now_ms, now_ms)

    # reading back

    def agent(self, agent_id: int) -> AgentState | None:
        agent = self._index.agents.get(agent_id)
        return None if agent is None else agent.state()

    def round_robin_cursor(self) -> dict[str, int]:
        return dict(self._cursor)

    def snapshot(self) -> Snapshot:
        """The Router's state now, as the Snapshot a fresh Router would be built from."""
        agents, live = self._index.agents, self._index.live
        return Snapshot(
            now_ms=self._now_ms,
            agents=tuple(agents[agent_id].state() for agent_id in sorted(agents)),
            waiting=tuple(live[conversation_id].waiting for conversation_id in sorted(live)),
            queues=self._index.queues,
            round_robin_cursor=dict(self._cursor),
        )

    # internals

    def _decide(
        self, bucket: Bucket, live: Live, trigger: Trigger, agent: LiveAgent | None
    ) -> Assignment | None:
        """Choose the agent for `live` (or take the one given), and apply the decision."""
        waiting, rule, needed = live.waiting, bucket.rule, bucket.needed
        agents, declined = self._index.agents, waiting.declined_by
        considered = bucket.available
        for agent_id in declined:
            other = agents.get(agent_id)
            if other is not None and other.available and serves(other, needed, rule):
                considered -= 1
        if considered <= 0:
            return None
        ranked = bucket.pool.top(TOP_CANDIDATES, declined, self._cursor.get(rule.name))
        preferred = False
        if agent is not None:
            preferred = rule.prefer_last_agent and waiting.last_agent_id == agent.id
        elif rule.prefer_last_agent and waiting.last_agent_id is not None:
            last = agents.get(waiting.last_agent_id)
            if (
                last is not None
                and last.available
                and last.id not in declined
                and serves(last, needed, rule)
            ):
                agent, preferred = last, True
        chosen = ranked[0] if agent is None else agent
        reason = explain(
            trigger=trigger,
            waiting=waiting,
            rule=rule,
            key=live.key,
            now_ms=self._now_ms,
            considered=considered,
            ranked=ranked,
            last_agent_preferred=preferred,
        )
        self._apply(live, bucket, chosen)
        return Assignment(waiting.conversation_id, chosen.id, reason)

    def _apply(self, live: Live, bucket: Bucket, agent: LiveAgent) -> None:
        del self._index.live[live.waiting.conversation_id]
        if bucket.heap and bucket.heap[0][1] == live.ticket:
            heappop(bucket.heap)
        agent.load += 1
        agent.idle_since_ms = max(agent.idle_since_ms, self._now_ms)
        agent.last_assigned_ms = max(agent.last_assigned_ms, self._now_ms)
        agent.version += 1
        if agent.load == agent.capacity:
            self._index.became_full(agent)
        self._cursor[bucket.rule.name] = agent.id
