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
from appliance.routing.policy import Assignment
from appliance.routing.policy import plan
from appliance.services._events import AGENT_NS
from appliance.services._events import VISITOR_NS
from appliance.services._events import agent_room
from appliance.services._events import group_room
from appliance.services._events import send_event_on_commit
from appliance.services._events import visitor_room
from appliance.services._routing_snapshot import policy_settings
from appliance.services._routing_snapshot import take_snapshot
from appliance.services.audit_trail import record_audit
from appliance.services.audit_trail import system_actor
from appliance.services.participants import agent_joined
from appliance.services.queue_positions import announce_positions
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target

# pg_advisory_xact_lock key for "a routing round"; any constant unique to us.
_ROUTING_LOCK = 0x456E_526F_7574  # "EnRout"
ROUNDS = 3  # plan again at most this often when another process won a claim


def conversation_target(conversation_id: str) -> Target:
    return Target(type="conversation", id=conversation_id)


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
    if claimed != 1:
        return False
    if offer_ms == 0:  # an offer is not a stay: the agent joins when accepting it
        agent_joined(conversation_id, agent_id, now)
    return True


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
