"""Routing, the service side: snapshot → policy → claims in the database → audit → events.

The policy (appliance/routing) decides over a snapshot and cannot do I/O; this
module takes the snapshot, asks the policy, and makes each decision true in the
database with two conditional UPDATEs, both checked by row count:

- the agent:        load = load + 1 WHERE online, connected, load < capacity
- the conversation: status = assigned|offered WHERE status = 'queued'

so two greenlets or two server processes can never hand one conversation to
two agents, nor push an agent over capacity, on SQLite or PostgreSQL. A claim
that loses a race is undone (its other claim is given back) and the round is
planned again from a fresh snapshot.

On PostgreSQL a routing round also takes a transaction-scoped advisory lock, so
rounds of different processes run one after another: without it, two rounds
claiming agent rows and conversation rows in different orders can deadlock
(one would be aborted). On SQLite the database's single writer already orders
them. The conditional UPDATEs stay the guarantee either way.

Every function here runs inside a @mutation (the caller's transaction); events
go out after commit. Every decision is audited with its reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from collections.abc import Iterable
from typing import Any
from typing import cast

from peewee import PostgresqlDatabase

from appliance import clock
from appliance.db import db
from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.chat import conversation_for_agent
from appliance.queries.chat import conversation_for_visitor
from appliance.queries.routing import QueueConfig
from appliance.queries.routing import get_queue
from appliance.queries.routing import routing_profiles
from appliance.routing.policy import AgentState
from appliance.routing.policy import Assignment
from appliance.routing.policy import PolicySettings
from appliance.routing.policy import QueueRule
from appliance.routing.policy import Snapshot
from appliance.routing.policy import Strategy
from appliance.routing.policy import Waiting
from appliance.routing.policy import plan
from appliance.routing.policy import queue_positions
from appliance.runtime import current_runtime
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import queue_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target

# pg_advisory_xact_lock key for "a routing round"; any constant unique to us.
_ROUTING_LOCK = 0x456E_526F_7574  # "EnRout"
ROUNDS = 3  # plan again at most this often when another process won a claim
HANDLE_SAMPLE = 50  # closed conversations averaged for a queue's handle time


def policy_settings() -> PolicySettings:
    routing = current_runtime().settings.routing
    return PolicySettings(
        vip_boost_ms=routing.vip_boost_seconds * 1000,
        aging_bound_ms=routing.aging_bound_seconds * 1000,
    )


def conversation_target(conversation_id: str) -> Target:
    return Target(type="conversation", id=conversation_id)


def declined_set(conversation: Conversation) -> frozenset[int]:
    return frozenset(int(i) for i in (conversation.declined_by or "").split(",") if i)


# the snapshot


def _configs(queues: Iterable[str]) -> dict[str, QueueConfig]:
    found = {}
    for name in queues:
        config = get_queue(name)
        if config is not None:
            found[name] = config
    return found


def _round_robin_cursor(queue: str) -> int | None:
    last = (
        Conversation.select(Conversation.agent_id)
        .where((Conversation.group == queue) & Conversation.assigned_ms.is_null(False))
        .order_by(Conversation.assigned_ms.desc(), Conversation.id.desc())
        .first()
    )
    return None if last is None else last.agent_id


def take_snapshot(queues: Collection[str], now: int) -> tuple[Snapshot, dict[str, QueueConfig]]:
    """The routing facts of `queues` at `now`: their waiting conversations and serving agents."""
    configs = _configs(queues)
    presences = [
        p
        for p in AgentPresence.select().where(
            (AgentPresence.status == "online") & AgentPresence.disconnected_ms.is_null()
        )
        if set(p.groups.split(",")) & configs.keys()
    ]
    profiles = routing_profiles(p.agent_id for p in presences)
    agents = [
        AgentState(
            id=p.agent_id,
            groups=frozenset(g for g in p.groups.split(",") if g),
            skills=profiles[p.agent_id].skills,
            languages=profiles[p.agent_id].languages,
            status="online",  # the snapshot holds online agents only
            load=p.load,
            capacity=p.capacity,
            idle_since_ms=p.idle_since_ms,
            last_assigned_ms=p.last_assigned_ms,
        )
        for p in presences
    ]
    rows = cast(
        list[tuple[str, str, int | None, int, int, int | None, str | None]],
        Conversation.select(
            Conversation.id,
            Conversation.group,
            Conversation.queued_ms,
            Conversation.opened_ms,
            Conversation.vip,
            Conversation.last_agent_id,
            Conversation.declined_by,
        )
        .where((Conversation.status == "queued") & Conversation.group.in_(list(configs)))
        .tuples(),
    )
    waiting = [
        Waiting(
            conversation_id=cid,
            queue=queue,
            enqueued_ms=queued_ms if queued_ms is not None else opened_ms,
            skill=configs[queue].required_skill,
            min_level=configs[queue].min_level,
            language=configs[queue].language,
            vip_level=max(0, vip),
            last_agent_id=last_agent_id,
            declined_by=frozenset(int(i) for i in (declined or "").split(",") if i),
        )
        for cid, queue, queued_ms, opened_ms, vip, last_agent_id, declined in rows
    ]
    rules = {
        name: QueueRule(
            name=name,
            group=name,
            strategy=Strategy(config.strategy),
            prefer_last_agent=config.prefer_last_agent,
        )
        for name, config in configs.items()
    }
    cursors = {}
    for name, config in configs.items():
        if config.strategy == Strategy.ROUND_ROBIN:
            cursor = _round_robin_cursor(name)
            if cursor is not None:
                cursors[name] = cursor
    snapshot = Snapshot(
        now_ms=now, agents=agents, waiting=waiting, queues=rules, round_robin_cursor=cursors
    )
    return snapshot, configs


# claims


def claim_agent(agent_id: int, now: int) -> bool:
    claimed = (
        AgentPresence.update(load=AgentPresence.load + 1, last_assigned_ms=now, idle_since_ms=now)
        .where(
            (AgentPresence.agent_id == agent_id)
            & (AgentPresence.status == "online")
            & AgentPresence.disconnected_ms.is_null()
            & (AgentPresence.load < AgentPresence.capacity)
        )
        .execute()
    )
    return bool(claimed == 1)


def release_agent(agent_id: int, now: int) -> None:
    AgentPresence.update(load=AgentPresence.load - 1, idle_since_ms=now).where(
        (AgentPresence.agent_id == agent_id) & (AgentPresence.load > 0)
    ).execute()


def _claim_conversation(conversation_id: str, agent_id: int, offer_ms: int, now: int) -> bool:
    if offer_ms > 0:
        changes: dict[Any, Any] = {
            Conversation.status: "offered",
            Conversation.agent_id: agent_id,
            Conversation.offered_agent_id: agent_id,
            Conversation.offer_expires_ms: now + offer_ms,
        }
    else:
        changes = {
            Conversation.status: "assigned",
            Conversation.agent_id: agent_id,
            Conversation.assigned_ms: now,
        }
    claimed = (
        Conversation.update(changes)
        .where((Conversation.id == conversation_id) & (Conversation.status == "queued"))
        .execute()
    )
    return bool(claimed == 1)


def json_reason(reason: dict[str, Any]) -> dict[str, JSONValue]:
    """A decision's reason as audit details (Reason.as_dict holds JSON values only)."""
    return cast(dict[str, JSONValue], reason)


# deciding


def serialize_routing() -> None:
    """Inside a transaction: wait for other processes' routing rounds (PostgreSQL)."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_ROUTING_LOCK,))


def dispatch(queues: Iterable[str]) -> list[Assignment]:
    """Assign (or offer) whatever can be now in `queues`, then tell the waiting where they stand."""
    wanted = set(queues)
    if not wanted:
        return []
    serialize_routing()
    made: list[Assignment] = []
    for _ in range(ROUNDS):
        now = clock.now_ms()
        snapshot, configs = take_snapshot(wanted, now)
        lost_a_race = False
        round_start = len(made)
        for assignment in plan(snapshot, policy_settings()):
            config = configs[assignment.reason.queue]
            offer_ms = config.offer_timeout_seconds * 1000
            if not claim_agent(assignment.agent_id, now):
                lost_a_race = True
                continue
            if not _claim_conversation(
                assignment.conversation_id, assignment.agent_id, offer_ms, now
            ):
                release_agent(assignment.agent_id, now)
                lost_a_race = True
                continue
            conversation = Conversation.get_by_id(assignment.conversation_id)
            if offer_ms > 0:
                _offered(conversation, assignment)
            else:
                announce_assignment(conversation, assignment.reason.as_dict())
            made.append(assignment)
        if not lost_a_race:
            break
    if lost_a_race:
        announce_positions(wanted)
    else:
        # The round's own snapshot, less what it assigned, is still what is waiting.
        assigned = {a.conversation_id for a in made[round_start:]}
        left = [w for w in snapshot.waiting if w.conversation_id not in assigned]
        announce_positions(wanted, (dataclasses.replace(snapshot, waiting=left), configs))
    return made


def assign_directly(conversation: Conversation, agent_id: int, reason: dict[str, Any]) -> bool:
    """Give a queued conversation to `agent_id` (a manual pickup); False if either is taken."""
    serialize_routing()
    now = clock.now_ms()
    if not claim_agent(agent_id, now):
        return False
    if not _claim_conversation(conversation.id, agent_id, 0, now):
        release_agent(agent_id, now)
        return False
    announce_assignment(Conversation.get_by_id(conversation.id), reason)
    announce_positions({conversation.group})
    return True


def announce_assignment(conversation: Conversation, reason: dict[str, Any]) -> None:
    """Audit an assignment with its reason and tell the agent, supervisors and visitor."""
    agent_id: int = cast(int, conversation.agent_id)
    record_audit(
        EventType.CONVERSATION_ASSIGNED,
        actor=system_actor("routing"),
        target=conversation_target(conversation.id),
        details={"agent_id": agent_id, "queue": conversation.group, "reason": json_reason(reason)},
    )
    send_event_on_commit(
        "conversation_assigned",
        conversation_for_agent(conversation),
        namespace=AGENT_NS,
        to=[agent_room(agent_id), group_room(conversation.group)],
    )
    send_event_on_commit(
        "conversation_assigned",
        {
            "conversation_id": conversation.id,
            "agent": conversation_for_visitor(conversation)["agent"],
        },
        namespace=VISITOR_NS,
        to=visitor_room(conversation.visitor_id),
    )


def _offered(conversation: Conversation, assignment: Assignment) -> None:
    record_audit(
        EventType.CONVERSATION_OFFERED,
        actor=system_actor("routing"),
        target=conversation_target(conversation.id),
        details={
            "agent_id": assignment.agent_id,
            "queue": conversation.group,
            "expires_ms": conversation.offer_expires_ms,
            "reason": json_reason(assignment.reason.as_dict()),
        },
    )
    send_event_on_commit(
        "conversation_offered",
        {**conversation_for_agent(conversation), "offer_expires_ms": conversation.offer_expires_ms},
        namespace=AGENT_NS,
        to=agent_room(assignment.agent_id),
    )


# where the waiting stand


def average_handle_ms(queue: str) -> int:
    """The mean assigned-to-closed time of the queue's last closed conversations."""
    rows = list(
        Conversation.select(Conversation.assigned_ms, Conversation.closed_ms)
        .where(
            (Conversation.group == queue)
            & (Conversation.status == "closed")
            & Conversation.assigned_ms.is_null(False)
        )
        .order_by(Conversation.closed_ms.desc())
        .limit(HANDLE_SAMPLE)
    )
    if not rows:
        return current_runtime().settings.routing.default_handle_seconds * 1000
    total = sum(cast(int, r.closed_ms) - cast(int, r.assigned_ms) for r in rows)
    return max(1, total // len(rows))


def _waiting_lines(
    queues: set[str], taken: tuple[Snapshot, dict[str, QueueConfig]] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str], dict[str, QueueConfig]]:
    """Per queue, its waiting conversations in the order they will be served."""
    snapshot, configs = taken or take_snapshot(queues, clock.now_ms())
    handle = {name: average_handle_ms(name) for name in configs}
    positions = queue_positions(snapshot, policy_settings(), handle)
    visitors = dict(
        cast(
            list[tuple[str, str]],
            Conversation.select(Conversation.id, Conversation.visitor_id)
            .where((Conversation.status == "queued") & Conversation.group.in_(list(configs)))
            .tuples(),
        )
    )
    lines: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for waiting in snapshot.waiting:
        place = positions[waiting.conversation_id]
        lines[waiting.queue].append(
            {
                "conversation_id": waiting.conversation_id,
                "position": place.position,
                "estimated_wait_seconds": None
                if place.eta_ms is None
                else -(-place.eta_ms // 1000),
                "vip_level": waiting.vip_level,
                "waited_ms": snapshot.now_ms - waiting.enqueued_ms,
            }
        )
    for entries in lines.values():
        entries.sort(key=lambda e: e["position"])
    return lines, visitors, configs


def waiting_list(queue: str) -> list[dict[str, Any]]:
    """The queue's waiting conversations, next first (for agents who pick up manually)."""
    lines, _, _ = _waiting_lines({queue})
    return lines.get(queue, [])


def announce_positions(
    queues: Iterable[str], taken: tuple[Snapshot, dict[str, QueueConfig]] | None = None
) -> None:
    """Tell every waiting visitor of `queues` their place and estimated wait; tell the agents.

    `taken`: a snapshot of exactly these queues that is still true (dispatch's own, less
    what it assigned), to spare taking another.
    """
    wanted = set(queues)
    if not wanted:
        return
    lines, visitors, configs = _waiting_lines(wanted, taken)
    for name, entries in lines.items():
        for entry in entries:
            send_event_on_commit(
                "conversation_queued",
                {
                    "conversation_id": entry["conversation_id"],
                    "queue": name,
                    "queue_position": entry["position"],
                    "estimated_wait_seconds": entry["estimated_wait_seconds"],
                },
                namespace=VISITOR_NS,
                to=visitor_room(visitors[entry["conversation_id"]]),
            )
        send_event_on_commit(
            "queue_updated",
            {"queue": name, "strategy": configs[name].strategy, "waiting": entries},
            namespace=AGENT_NS,
            to=queue_room(name),
        )
