"""The routing policy written the slow, obvious way: the specification the Router must match.

This code cannot do I/O and reads no clock. Every decision re-sorts everything
waiting and scans every agent, exactly as the policy reads in docs/routing.md.
It is the oracle of the property tests and the baseline of
tests/bench/bench_routing_policy.py; production code uses `Router` / `plan`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from appliance.routing.decision import Assignment
from appliance.routing.decision import Trigger
from appliance.routing.rules import explain
from appliance.routing.rules import is_eligible
from appliance.routing.rules import priority_key
from appliance.routing.rules import rank_key
from appliance.routing.snapshot import AgentState
from appliance.routing.snapshot import PolicySettings
from appliance.routing.snapshot import QueueRule
from appliance.routing.snapshot import Snapshot
from appliance.routing.snapshot import Strategy
from appliance.routing.snapshot import Waiting


@dataclass(slots=True)
class _State:
    now_ms: int
    agents: dict[int, AgentState]
    waiting: dict[str, Waiting]
    queues: Mapping[str, QueueRule]
    cursor: dict[str, int]

    @classmethod
    def of(cls, snapshot: Snapshot) -> _State:
        return cls(
            snapshot.now_ms,
            {agent.id: agent for agent in snapshot.agents},
            {w.conversation_id: w for w in snapshot.waiting},
            snapshot.queues,
            dict(snapshot.round_robin_cursor),
        )


def reference_plan(
    snapshot: Snapshot, settings: PolicySettings, limit: int | None = None
) -> list[Assignment]:
    state = _State.of(snapshot)
    assignments: list[Assignment] = []
    while limit is None or len(assignments) < limit:
        assignment = _next(state, settings)
        if assignment is None:
            break
        _apply(state, assignment)
        assignments.append(assignment)
    return assignments


def reference_next(snapshot: Snapshot, settings: PolicySettings) -> Assignment | None:
    return _next(_State.of(snapshot), settings)


def reference_assign_for(
    snapshot: Snapshot, settings: PolicySettings, conversation_id: str
) -> Assignment | None:
    state = _State.of(snapshot)
    waiting = state.waiting.get(conversation_id)
    if waiting is None:
        return None
    return _choose(state, settings, waiting, Trigger.CONVERSATION, None)


def reference_pick_for_agent(
    snapshot: Snapshot, settings: PolicySettings, agent_id: int
) -> Assignment | None:
    state = _State.of(snapshot)
    agent = state.agents.get(agent_id)
    if agent is None:
        return None
    takeable = [w for w in state.waiting.values() if is_eligible(agent, w, state.queues[w.queue])]
    if not takeable:
        return None
    best = min(takeable, key=lambda w: priority_key(w, settings))
    return _choose(state, settings, best, Trigger.AGENT, agent)


def _next(state: _State, settings: PolicySettings) -> Assignment | None:
    routable = [
        w for w in state.waiting.values() if state.queues[w.queue].strategy is not Strategy.MANUAL
    ]
    for waiting in sorted(routable, key=lambda w: priority_key(w, settings)):
        assignment = _choose(state, settings, waiting, Trigger.QUEUE, None)
        if assignment is not None:
            return assignment
    return None


def _choose(
    state: _State,
    settings: PolicySettings,
    waiting: Waiting,
    trigger: Trigger,
    forced: AgentState | None,
) -> Assignment | None:
    rule = state.queues[waiting.queue]
    if rule.strategy is Strategy.MANUAL:
        return None
    eligible = [agent for agent in state.agents.values() if is_eligible(agent, waiting, rule)]
    if not eligible:
        return None
    cursor = state.cursor.get(rule.name)
    ranked = sorted(eligible, key=lambda agent: rank_key(rule.strategy, agent, cursor))
    chosen, preferred = ranked[0], False
    if forced is not None:
        chosen, preferred = forced, rule.prefer_last_agent and waiting.last_agent_id == forced.id
    elif rule.prefer_last_agent:
        for agent in eligible:
            if agent.id == waiting.last_agent_id:
                chosen, preferred = agent, True
    reason = explain(
        trigger=trigger,
        waiting=waiting,
        rule=rule,
        key=priority_key(waiting, settings),
        now_ms=state.now_ms,
        considered=len(eligible),
        ranked=ranked,
        last_agent_preferred=preferred,
    )
    return Assignment(waiting.conversation_id, chosen.id, reason)


def _apply(state: _State, assignment: Assignment) -> None:
    waiting = state.waiting.pop(assignment.conversation_id)
    agent = state.agents[assignment.agent_id]
    state.agents[agent.id] = dataclasses.replace(
        agent,
        load=agent.load + 1,
        idle_since_ms=max(agent.idle_since_ms, state.now_ms),
        last_assigned_ms=max(agent.last_assigned_ms, state.now_ms),
    )
    state.cursor[waiting.queue] = agent.id
