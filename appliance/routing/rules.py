"""The rules of the routing policy, each written once: priority, eligibility, ranking.

This code cannot do I/O and reads no clock. Both the fast `Router` and the
`reference` implementation call these functions, so they cannot disagree on a
rule; they differ only in how they search.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import NamedTuple
from typing import Protocol

from appliance.routing.decision import TOP_CANDIDATES
from appliance.routing.decision import Candidate
from appliance.routing.decision import Reason
from appliance.routing.decision import Trigger
from appliance.routing.snapshot import AgentState
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import PriorityKey
from appliance.routing.snapshot import QueueRule
from appliance.routing.snapshot import Strategy
from appliance.routing.snapshot import Waiting

RankKey = tuple[float | int | bool, ...]


class Profile(Protocol):
    """What eligibility reads of an agent (AgentState or the Router's live record)."""

    @property
    def groups(self) -> frozenset[str]: ...
    @property
    def skills(self) -> Mapping[str, int]: ...
    @property
    def languages(self) -> frozenset[str]: ...


class Ranked(Protocol):
    """What ranking reads of an agent."""

    @property
    def id(self) -> int: ...
    @property
    def load(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def idle_since_ms(self) -> int: ...


class Requirement(NamedTuple):
    """What a conversation needs of an agent, beyond being online with room."""

    queue: str
    skill: str | None
    min_level: int
    language: str | None


def priority_key(waiting: Waiting, settings: PolicySettings) -> PriorityKey:
    """Lower is served first: enqueue time moved earlier by the VIP boost, capped.

    The cap is what keeps ordinary customers from starving: nobody's effective
    time is more than aging_bound_ms before their real one.
    """
    boost = min(waiting.vip_level * settings.vip_boost_ms, settings.aging_bound_ms)
    return (waiting.enqueued_ms - boost, waiting.enqueued_ms, waiting.conversation_id)


def requirement(waiting: Waiting) -> Requirement:
    if waiting.skill is None:
        return Requirement(waiting.queue, None, 0, waiting.language)
    return Requirement(waiting.queue, waiting.skill, max(1, waiting.min_level), waiting.language)


def serves(agent: Profile, needed: Requirement, rule: QueueRule) -> bool:
    """The parts of eligibility that do not change as conversations are assigned."""
    return (
        rule.group in agent.groups
        and (needed.skill is None or agent.skills.get(needed.skill, 0) >= needed.min_level)
        and (needed.language is None or needed.language in agent.languages)
    )


def is_eligible(agent: AgentState, waiting: Waiting, rule: QueueRule) -> bool:
    """May the policy give this conversation to this agent right now?"""
    return (
        rule.strategy is not Strategy.MANUAL
        and agent.available
        and agent.id not in waiting.declined_by
        and serves(agent, requirement(waiting), rule)
    )


def rank_key(strategy: Strategy, agent: Ranked, cursor: int | None) -> RankKey:
    """Lower is chosen first; the agent id ends every key, so there are no ties."""
    if strategy is Strategy.LEAST_BUSY:
        # Only agents with room are ranked, so capacity > 0. Floats order these
        # ratios exactly: distinct fractions of small ints never round together.
        return (agent.load / agent.capacity, agent.load, agent.idle_since_ms, agent.id)
    if strategy is Strategy.LONGEST_IDLE:
        return (agent.idle_since_ms, agent.id)
    if strategy is Strategy.ROUND_ROBIN:
        # The agents after the cursor in id order, then wrap around to the start.
        return (cursor is not None and agent.id <= cursor, agent.id)
    raise ValueError(f"{strategy} queues are never auto-assigned")


def score(strategy: Strategy, agent: Ranked) -> tuple[int, ...]:
    """The integers behind an agent's rank, for the audit trail (see Candidate)."""
    if strategy is Strategy.LEAST_BUSY:
        return (agent.load, agent.capacity, agent.idle_since_ms)
    if strategy is Strategy.LONGEST_IDLE:
        return (agent.idle_since_ms,)
    return (agent.load, agent.capacity)


def explain(
    *,
    trigger: Trigger,
    waiting: Waiting,
    rule: QueueRule,
    key: PriorityKey,
    now_ms: int,
    considered: int,
    ranked: Sequence[Ranked],
    last_agent_preferred: bool,
) -> Reason:
    """The reason recorded with an assignment; `ranked` is best first."""
    return Reason(
        trigger=trigger,
        queue=rule.name,
        strategy=rule.strategy,
        priority=key,
        vip_level=waiting.vip_level,
        waited_ms=max(0, now_ms - waiting.enqueued_ms),
        candidates_considered=considered,
        top_candidates=tuple(
            Candidate(agent.id, score(rule.strategy, agent)) for agent in ranked[:TOP_CANDIDATES]
        ),
        last_agent_preferred=last_agent_preferred,
    )
