"""The Router's index: waiting conversations in buckets, and which agents serve each bucket.

This code cannot do I/O and reads no clock. A bucket holds the waiting
conversations of one queue with one requirement (skill, level, language): inside
it everyone is eligible for the same agents, bar their own declines, so "is anyone
free for the head?" is a counter rather than a scan. Each bucket with a free
agent and a head has an entry in one heap (`entries`) keyed by its head's
priority; like every heap here it is lazy and checked when an entry surfaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from heapq import heapify
from heapq import heappop
from heapq import heappush

from appliance.routing._pools import LiveAgent
from appliance.routing._pools import Pool
from appliance.routing._pools import pool_for
from appliance.routing.rules import Requirement
from appliance.routing.rules import priority_key
from appliance.routing.rules import requirement
from appliance.routing.rules import serves
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import PriorityKey
from appliance.routing.snapshot import QueueRule
from appliance.routing.snapshot import Strategy
from appliance.routing.snapshot import Waiting

Entry = tuple[PriorityKey, int]  # (priority key, ticket); a ticket no longer live is dead


@dataclass(slots=True, eq=False)
class Bucket:
    index: int
    needed: Requirement
    rule: QueueRule
    pool: Pool  # its members who are online with room
    heap: list[Entry] = field(default_factory=list)
    blocked: list[Entry] = field(default_factory=list)  # declined by every free member
    available: int = 0  # members online with room
    entry_key: PriorityKey | None = None  # key of this bucket's entry in Index.entries


@dataclass(slots=True, eq=False)
class Live:
    waiting: Waiting
    key: PriorityKey
    ticket: int
    bucket: Bucket | None  # None: a manual queue, never auto-assigned


class Index:
    def __init__(self, queues: Mapping[str, QueueRule], settings: PolicySettings) -> None:
        self.queues = queues
        self.settings = settings
        self.agents: dict[int, LiveAgent] = {}
        self.live: dict[str, Live] = {}
        self.buckets: list[Bucket] = []
        self.entries: list[tuple[PriorityKey, int]] = []  # (head key, bucket index)
        self._bucket_of: dict[Requirement, Bucket] = {}
        self._buckets_by_group: dict[str, list[Bucket]] = {}
        # (group, skill) -> agents of the group with that skill; (group, None) -> all of it.
        self._members: dict[tuple[str, str | None], dict[int, LiveAgent]] = {}
        self._tickets = 0

    def load(self, agents: Iterable[LiveAgent], waiting: Iterable[Waiting]) -> None:
        """Fill an empty index in one go, heapifying once instead of pushing."""
        for agent in agents:
            self.attach(agent)
        for w in waiting:
            bucket, entry = self._record(w)
            if bucket is not None:
                bucket.heap.append(entry)
        for bucket in self.buckets:
            heapify(bucket.heap)
            if bucket.heap and bucket.available:
                bucket.entry_key = bucket.heap[0][0]
                self.entries.append((bucket.entry_key, bucket.index))
        heapify(self.entries)

    def add(self, waiting: Waiting) -> None:
        self.live.pop(waiting.conversation_id, None)
        bucket, entry = self._record(waiting)
        if bucket is not None:
            heappush(bucket.heap, entry)
            self.ensure_entry(bucket)

    def attach(self, agent: LiveAgent, buckets: list[Bucket] | None = None) -> None:
        """Index an agent; `buckets` are theirs already if groups, skills, languages stand."""
        self.agents[agent.id] = agent
        for group in agent.groups:
            self._members.setdefault((group, None), {})[agent.id] = agent
            for skill in agent.skills:
                self._members.setdefault((group, skill), {})[agent.id] = agent
        if buckets is None:
            buckets = [
                bucket
                for group in sorted(agent.groups)
                for bucket in self._buckets_by_group.get(group, ())
                if serves(agent, bucket.needed, bucket.rule)
            ]
        agent.buckets = buckets
        if not agent.available:
            return
        for bucket in agent.buckets:
            bucket.available += 1
            bucket.pool.add(agent)
            # A newly free agent may not have declined what every other member did.
            for entry in bucket.blocked:
                heappush(bucket.heap, entry)
            bucket.blocked.clear()
            self.ensure_entry(bucket)

    def detach(self, agent: LiveAgent) -> None:
        for bucket in agent.buckets:
            if agent.available:
                bucket.available -= 1
            bucket.pool.discard(agent)
        for group in agent.groups:
            del self._members[(group, None)][agent.id]
            for skill in agent.skills:
                del self._members[(group, skill)][agent.id]
        agent.buckets = []

    def became_full(self, agent: LiveAgent) -> None:
        for bucket in agent.buckets:
            bucket.available -= 1
            if not bucket.available:
                bucket.entry_key = None  # its entry is dropped when it surfaces

    def ensure_entry(self, bucket: Bucket) -> None:
        """Keep the invariant: a bucket with a free member and a head has an entry."""
        if not bucket.available or not bucket.heap:
            return
        head_key = bucket.heap[0][0]
        if bucket.entry_key is None or head_key < bucket.entry_key:
            bucket.entry_key = head_key
            heappush(self.entries, (head_key, bucket.index))
            if len(self.entries) > 2 * len(self.buckets) + 16:
                # Only pick_for_agent and assign_for for a long while: drop superseded entries.
                self.entries[:] = [
                    (b.entry_key, b.index) for b in self.buckets if b.entry_key is not None
                ]
                heapify(self.entries)

    def head(self, bucket: Bucket) -> Entry | None:
        """The bucket's first live entry, dropping dead ones on the way."""
        heap = bucket.heap
        while heap:
            key, ticket = heap[0]
            live = self.live.get(key[2])
            if live is not None and live.ticket == ticket:
                return heap[0]
            heappop(heap)
        return None

    def first_not_declined_by(self, bucket: Bucket, agent_id: int) -> Live | None:
        held: list[Entry] = []
        found = None
        while (head := self.head(bucket)) is not None:
            live = self.live[head[0][2]]
            if agent_id not in live.waiting.declined_by:
                found = live
                break
            held.append(heappop(bucket.heap))
        for entry in held:
            heappush(bucket.heap, entry)
        return found

    def _record(self, waiting: Waiting) -> tuple[Bucket | None, Entry]:
        self._tickets += 1
        rule = self.queues[waiting.queue]
        bucket = None if rule.strategy is Strategy.MANUAL else self._bucket(waiting, rule)
        key = priority_key(waiting, self.settings)
        self.live[waiting.conversation_id] = Live(waiting, key, self._tickets, bucket)
        return bucket, (key, self._tickets)

    def _bucket(self, waiting: Waiting, rule: QueueRule) -> Bucket:
        needed = requirement(waiting)
        bucket = self._bucket_of.get(needed)
        if bucket is not None:
            return bucket
        bucket = Bucket(len(self.buckets), needed, rule, pool_for(rule.strategy))
        self.buckets.append(bucket)
        self._bucket_of[needed] = bucket
        self._buckets_by_group.setdefault(rule.group, []).append(bucket)
        for agent in self._members.get((rule.group, needed.skill), {}).values():
            if serves(agent, needed, rule):
                agent.buckets.append(bucket)
                if agent.available:
                    bucket.available += 1
                    bucket.pool.add(agent)
        return bucket
