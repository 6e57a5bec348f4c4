"""Queues (skill groups) and agents' skills: create, change, remove; each change audited.

A queue's fields arrive as a JSON-like mapping (the HTTP body, or what the CLI
builds from its options) and are validated here, every message naming the field.
Queue changes are audited as ROUTING_RULE_CHANGED with {"action", "queue",
"changed": [field names]}; skill changes as AGENT_SKILLS_CHANGED with from/to.

Overflow chains must not cycle across all queues. The check reads every chain,
so on PostgreSQL queue changes take a transaction-scoped advisory lock: two
processes cannot each add one half of a cycle. (On SQLite a writer whose snapshot
went stale cannot commit at all.)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import asdict
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
from appliance.queries.routing import Localized
from appliance.queries.routing import QueueConfig
from appliance.queries.routing import RoutingProfile
from appliance.queries.routing import get_queue
from appliance.queries.routing import open_conversations_in
from appliance.queries.routing import overflow_graph
from appliance.queries.routing import queue_of
from appliance.queries.routing import routing_profile
from appliance.routing.hours import HoursError
from appliance.routing.hours import parse_hours
from appliance.services._directory_rules import NAME
from appliance.services._directory_rules import check_username
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from audit.events import Actor
from audit.events import EventType
from audit.events import JSONValue
from audit.events import Target

DEFAULT_QUEUE = "general"
STRATEGIES = ("least_busy", "round_robin", "longest_idle", "manual")
MAX_DISPLAY_NAME_CHARS = 100
MAX_MESSAGE_CHARS = 500
MAX_OVERFLOW_STEPS = 8
MAX_QUEUE_LENGTH = 10_000
MAX_WAIT_SECONDS = 86_400
OFFER_TIMEOUT_SECONDS = (0, 600)  # 0: assign directly, no offer to accept
MAX_SKILLS = 50
MAX_LANGUAGES = 10
LEVELS = (1, 5)
_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(-[A-Za-z]{4})?(-[A-Za-z]{2}|-\d{3})?\Z")
# 0x656E7175 = "enqu": serializes queue changes across processes on PostgreSQL.
_QUEUE_CONFIG_LOCK = 0x656E7175

FIELDS = (
    "display_name",
    "strategy",
    "required_skill",
    "min_level",
    "language",
    "prefer_last_agent",
    "max_queue_length",
    "max_wait_seconds",
    "overflow",
    "hours",
    "welcome_message",
    "queue_message",
    "offer_timeout_seconds",
)
_NO_TEXT = Localized(zh_cn="", en="")


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
    defaults: dict[str, Any] = {
        "display_name": Localized(zh_cn=name, en=name),
        "strategy": "least_busy",
        "required_skill": None,
        "min_level": 1,
        "language": None,
        "prefer_last_agent": False,
        "max_queue_length": 0,
        "max_wait_seconds": 0,
        "overflow": (),
        "hours": None,
        "welcome_message": _NO_TEXT,
        "queue_message": _NO_TEXT,
        "offer_timeout_seconds": 0,
    }
    state = _merge(name, defaults, fields)
    now = clock.now_ms()
    Queue.insert(name=name, created_ms=now, updated_ms=now, **_columns(state)).execute()
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
    Queue.update(updated_ms=clock.now_ms(), **_columns(state)).where(
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


# --- rules -----------------------------------------------------------------------------


def check_queue_name(raw: object, where: str = "name") -> str:
    name = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME.fullmatch(name):
        raise errors.InvalidQueue(f"{where}: expected 1-64 of a-z, 0-9, '.', '_', '-'")
    if name == LEAVE_MESSAGE:
        raise errors.InvalidQueue(f"{where}: {LEAVE_MESSAGE!r} is reserved for the overflow chain")
    return name


def check_skills(raw: Mapping[str, Any]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise errors.InvalidPayload('skills: expected an object {"skill": level, ...}')
    if len(raw) > MAX_SKILLS:
        raise errors.InvalidPayload(f"skills: at most {MAX_SKILLS}")
    skills: dict[str, int] = {}
    for key, level in raw.items():
        skill = key.strip().lower() if isinstance(key, str) else ""
        if not NAME.fullmatch(skill):
            raise errors.InvalidPayload(f"skills: {key!r} is not a skill name (1-64 of a-z0-9._-)")
        if skill in skills:
            raise errors.InvalidPayload(f"skills.{skill}: given twice")
        skills[skill] = _integer(level, f"skills.{skill}", *LEVELS, error=errors.InvalidPayload)
    return skills


def check_language(raw: object, where: str) -> str:
    match = _LANGUAGE.match(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise errors.InvalidPayload(f"{where}: expected a language tag such as zh-CN or en")
    primary, script, region = match.groups()
    return primary.lower() + (script or "").title() + (region or "").upper()


def check_languages(raw: Sequence[str]) -> frozenset[str]:
    if isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) > MAX_LANGUAGES:
        raise errors.InvalidPayload(f"languages: expected a list of at most {MAX_LANGUAGES} tags")
    return frozenset(check_language(tag, f"languages[{n}]") for n, tag in enumerate(raw))


def _merge(name: str, base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the validated `given` fields applied; cross-field rules checked."""
    if not isinstance(given, Mapping):
        raise errors.InvalidQueue("expected a JSON object of queue fields")
    unknown = sorted(str(key) for key in given if key not in FIELDS)
    if unknown:
        raise errors.InvalidQueue(f"{unknown[0]}: unknown field; expected {', '.join(FIELDS)}")
    state = dict(base)
    for key, raw in given.items():
        state[key] = _CHECKS[key](raw, key, base[key])
    if state["required_skill"] is None and state["min_level"] != 1:
        if "min_level" in given:
            raise errors.InvalidQueue("min_level: applies only with a required_skill")
        state["min_level"] = 1
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
    path = _cycle_through(name, graph)
    if path:
        raise errors.OverflowCycle(f"overflow: the chains would cycle: {' -> '.join(path)}")


def _cycle_through(start: str, graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """A path start -> ... -> start in `graph`, or [] (only `start`'s edges changed)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for step in graph.get(node, ()):
            if step == start:
                return [*path, start]
            if step not in seen:
                seen.add(step)
                stack.append((step, [*path, step]))
    return []


def _text(raw: object, where: str, *, limit: int, multiline: bool) -> str:
    if not isinstance(raw, str):
        raise errors.InvalidQueue(f"{where}: expected a string")
    text = raw.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise errors.InvalidQueue(f"{where}: at most {limit} characters")
    for char in text:
        if unicodedata.category(char)[0] == "C" and not (multiline and char == "\n"):
            raise errors.InvalidQueue(f"{where}: control or invisible characters are not allowed")
    return text


def _localized(*, limit: int, multiline: bool, required: bool) -> Any:
    def check(raw: object, where: str, current: Localized) -> Localized:
        if not isinstance(raw, Mapping) or not raw or set(raw) - {"zh-CN", "en"}:
            raise errors.InvalidQueue(f'{where}: expected {{"zh-CN": text, "en": text}}')
        value = asdict(current) | {
            "zh_cn" if lang == "zh-CN" else "en": _text(
                text, f"{where}.{lang}", limit=limit, multiline=multiline
            )
            for lang, text in raw.items()
        }
        if required and not all(value.values()):
            raise errors.InvalidQueue(f"{where}: cannot be empty")
        return Localized(**value)

    return check


def _integer(
    raw: object, where: str, low: int, high: int, error: type[errors.AppError] = errors.InvalidQueue
) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        raise error(f"{where}: expected a whole number from {low} to {high}")
    return raw


def _choice(raw: object, where: str, _: object) -> str:
    if raw not in STRATEGIES:
        raise errors.InvalidQueue(f"{where}: expected one of {', '.join(STRATEGIES)}")
    return str(raw)


def _optional_skill(raw: object, where: str, _: object) -> str | None:
    if raw is None:
        return None
    skill = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME.fullmatch(skill):
        raise errors.InvalidQueue(f"{where}: expected null or a skill name (1-64 of a-z0-9._-)")
    return skill


def _optional_language(raw: object, where: str, _: object) -> str | None:
    try:
        return None if raw is None else check_language(raw, where)
    except errors.InvalidPayload as exc:
        raise errors.InvalidQueue(exc.message) from None


def _flag(raw: object, where: str, _: object) -> bool:
    if not isinstance(raw, bool):
        raise errors.InvalidQueue(f"{where}: expected true or false")
    return raw


def _overflow(raw: object, where: str, _: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_OVERFLOW_STEPS:
        raise errors.InvalidQueue(f"{where}: expected a list of at most {MAX_OVERFLOW_STEPS}")
    chain: list[str] = []
    for n, item in enumerate(raw):
        at = f"{where}[{n}]"
        if isinstance(item, str) and item.strip().lower() == LEAVE_MESSAGE:
            if n != len(raw) - 1:
                raise errors.InvalidQueue(f"{at}: {LEAVE_MESSAGE!r} can only come last")
            step = LEAVE_MESSAGE
        else:
            step = check_queue_name(item, at)
        if step in chain:
            raise errors.InvalidQueue(f"{at}: {step!r} is listed twice")
        chain.append(step)
    return tuple(chain)


def _hours(raw: object, where: str, _: object) -> Any:
    try:
        return None if raw is None else parse_hours(raw, where)
    except HoursError as exc:
        raise errors.InvalidQueue(str(exc)) from None


def _ranged(low: int, high: int) -> Any:
    return lambda raw, where, _: _integer(raw, where, low, high)


_CHECKS: dict[str, Any] = {
    "display_name": _localized(limit=MAX_DISPLAY_NAME_CHARS, multiline=False, required=True),
    "strategy": _choice,
    "required_skill": _optional_skill,
    "min_level": _ranged(*LEVELS),
    "language": _optional_language,
    "prefer_last_agent": _flag,
    "max_queue_length": _ranged(0, MAX_QUEUE_LENGTH),
    "max_wait_seconds": _ranged(0, MAX_WAIT_SECONDS),
    "overflow": _overflow,
    "hours": _hours,
    "welcome_message": _localized(limit=MAX_MESSAGE_CHARS, multiline=True, required=False),
    "queue_message": _localized(limit=MAX_MESSAGE_CHARS, multiline=True, required=False),
    "offer_timeout_seconds": _ranged(*OFFER_TIMEOUT_SECONDS),
}


# --- storage helpers -------------------------------------------------------------------


def _columns(state: Mapping[str, Any]) -> dict[str, Any]:
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    columns = {key: state[key] for key in FIELDS}
    for key in ("display_name", "welcome_message", "queue_message"):
        columns[key] = dump(state[key].as_json())
    columns["overflow"] = dump(list(state["overflow"]))
    columns["hours"] = None if state["hours"] is None else dump(state["hours"].as_json())
    return columns


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
