"""Queues (skill groups) and agents' skills: create, change, remove; each change audited.

The fields are validated by services/_queue_rules.py; this module adds what
needs the database (overflow targets exist, chains do not cycle across stored
queues). Queue changes are audited as ROUTING_RULE_CHANGED with {"action",
"queue", "changed": [field names]}; skill changes as AGENT_SKILLS_CHANGED with
from/to.

Overflow chains must not cycle across all queues. The check reads every chain,
so on PostgreSQL queue changes take a transaction-scoped advisory lock: two
processes cannot each add one half of a cycle. (On SQLite a writer whose snapshot
went stale cannot commit at all.)
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from peewee import PostgresqlDatabase

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import Agent
from appliance.models import AgentRouting
from appliance.models import AgentSkill
from appliance.models import Queue
from appliance.queries.routing import LEAVE_MESSAGE
from appliance.queries.routing import QueueConfig
from appliance.queries.routing import RoutingProfile
from appliance.queries.routing import get_queue
from appliance.queries.routing import open_conversations_in
from appliance.queries.routing import overflow_graph
from appliance.queries.routing import queue_of
from appliance.queries.routing import routing_profile
from appliance.services._directory_rules import check_username
from appliance.services._queue_rules import FIELDS
from appliance.services._queue_rules import apply_fields
from appliance.services._queue_rules import check_languages
from appliance.services._queue_rules import check_queue_name
from appliance.services._queue_rules import check_skills
from appliance.services._queue_rules import cycle_through
from appliance.services._queue_rules import queue_columns
from appliance.services._queue_rules import queue_defaults
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target

DEFAULT_QUEUE = "general"
# 0x656E7175 = "enqu": serializes queue changes across processes on PostgreSQL.
_QUEUE_CONFIG_LOCK = 0x656E7175


def queue_target(name: str) -> Target:
    return Target("queue", name)


# --- changes ---------------------------------------------------------------------------


@mutation
def do_create_queue(name: str, fields: Mapping[str, Any], *, actor: Actor) -> QueueConfig:
    """Create a queue; fields left out take their defaults. Audits ROUTING_RULE_CHANGED."""
    name = check_queue_name(name)
    _lock_queue_config()
    if Queue.get_or_none(Queue.name == name) is not None:
        raise errors.QueueExists(f"a queue named {name!r} already exists")
    state = _merge(name, queue_defaults(name), fields)
    now = clock.now_ms()
    Queue.insert(name=name, created_ms=now, updated_ms=now, **queue_columns(state)).execute()
    _audit(actor, "created", name, sorted(fields))
    return queue_of(Queue.get_by_id(name))


@mutation
def do_update_queue(name: str, changes: Mapping[str, Any], *, actor: Actor) -> QueueConfig:
    """Change some fields of a queue (the rest stay). Audits the fields that changed."""
    if not changes:
        raise errors.InvalidQueue(f"give at least one field to change: {', '.join(FIELDS)}")
    _lock_queue_config()
    current = _existing(name)
    before = {key: getattr(current, key) for key in FIELDS}
    state = _merge(current.name, before, changes)
    changed = sorted(key for key in FIELDS if state[key] != before[key])
    Queue.update(updated_ms=clock.now_ms(), **queue_columns(state)).where(
        Queue.name == current.name
    ).execute()
    _audit(actor, "updated", current.name, changed)
    return queue_of(Queue.get_by_id(current.name))


@mutation
def do_remove_queue(name: str, *, actor: Actor) -> None:
    """Remove a queue nobody is waiting in or served from, and that no chain overflows into."""
    _lock_queue_config()
    queue = _existing(name)
    if queue.name == DEFAULT_QUEUE:
        raise errors.QueueInUse(f"{DEFAULT_QUEUE!r} is the default queue; it cannot be removed")
    feeding = sorted(other for other, chain in overflow_graph().items() if queue.name in chain)
    if feeding:
        raise errors.QueueInUse(
            f"queue {queue.name!r} is in the overflow chain of {', '.join(feeding)}; "
            "change those first"
        )
    waiting = open_conversations_in(queue.name)
    if waiting:
        raise errors.QueueInUse(
            f"queue {queue.name!r} has {waiting} open conversation(s); "
            "remove it when they are closed"
        )
    Queue.delete().where(Queue.name == queue.name).execute()
    _audit(actor, "removed", queue.name, [])


@mutation
def do_set_agent_skills(
    *,
    username: str,
    skills: Mapping[str, Any],
    languages: Sequence[str] | None = None,
    actor: Actor,
) -> RoutingProfile:
    """Replace an agent's skills (name -> level 1-5) and, if given, languages.

    Audits AGENT_SKILLS_CHANGED with the old and new values.
    """
    new_skills = check_skills(skills)
    new_languages = None if languages is None else check_languages(languages)
    agent = Agent.get_or_none(Agent.username == check_username(username))
    if agent is None:
        raise errors.NotFound(f"no user named {username!r}")
    old = routing_profile(agent.id)
    final_languages = old.languages if new_languages is None else new_languages
    AgentSkill.delete().where(AgentSkill.agent_id == agent.id).execute()
    if new_skills:
        AgentSkill.insert_many(
            [{"agent_id": agent.id, "skill": s, "level": n} for s, n in new_skills.items()]
        ).execute()
    stored = {
        AgentRouting.languages: ",".join(sorted(final_languages)),
        AgentRouting.updated_ms: clock.now_ms(),
    }
    AgentRouting.insert({AgentRouting.agent_id: agent.id, **stored}).on_conflict(
        conflict_target=[AgentRouting.agent_id], update=stored
    ).execute()
    new = routing_profile(agent.id)
    record_audit(
        EventType.AGENT_SKILLS_CHANGED,
        actor=actor,
        target=Target("user", f"agent:{agent.id}"),
        details={
            "username": agent.username,
            "skills": {"from": _json_skills(old.skills), "to": _json_skills(new.skills)},
            "languages": {"from": _json_names(old.languages), "to": _json_names(new.languages)},
        },
    )
    return new


# --- checks that read the stored queues ------------------------------------------------


def _merge(name: str, base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the validated `given` fields applied, overflow targets checked."""
    state = apply_fields(base, given)
    _check_overflow_targets(name, state["overflow"])
    return state


def _check_overflow_targets(name: str, chain: tuple[str, ...]) -> None:
    graph = overflow_graph()
    for n, step in enumerate(chain):
        if step == name:
            raise errors.OverflowCycle(f"overflow[{n}]: a queue cannot overflow into itself")
        if step != LEAVE_MESSAGE and step not in graph:
            raise errors.InvalidQueue(f"overflow[{n}]: there is no queue named {step!r}")
    graph[name] = chain
    path = cycle_through(name, graph)
    if path:
        raise errors.OverflowCycle(f"overflow: the chains would cycle: {' -> '.join(path)}")


# --- storage helpers -------------------------------------------------------------------


def _existing(name: str) -> QueueConfig:
    queue = get_queue(name.strip().lower() if isinstance(name, str) else "")
    if queue is None:
        raise errors.QueueNotFound(f"no queue named {name!r}")
    return queue


def _lock_queue_config() -> None:
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_QUEUE_CONFIG_LOCK,))


def _audit(actor: Actor, action: str, queue: str, changed: Iterable[str]) -> None:
    record_audit(
        EventType.ROUTING_RULE_CHANGED,
        actor=actor,
        target=queue_target(queue),
        details={"action": action, "queue": queue, "changed": _json_names(changed)},
    )


def _json_names(names: Iterable[str]) -> list[JSONValue]:
    return list(sorted(names))


def _json_skills(skills: Mapping[str, int]) -> dict[str, JSONValue]:
    return dict(sorted(skills.items()))
