"""Reading routing configuration: queues, and agents' skills and languages, as plain values.

`routing_profiles(agent_ids)` is what a routing snapshot is built from: one
query (agent_routing joined to agent_skill) for any number of agents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import cast

from peewee import JOIN

from appliance.db import db
from appliance.models import AgentRouting
from appliance.models import AgentSkill
from appliance.models import Conversation
from appliance.models import Queue
from appliance.routing.hours import BusinessHours
from appliance.routing.hours import parse_hours

LEAVE_MESSAGE = "leave_message"  # the terminal overflow step: store an offline message
TEXT_LANGUAGES = ("zh-CN", "en")  # the languages every queue text is written in


@dataclass(frozen=True)
class Localized:
    """One text in each of TEXT_LANGUAGES ("" where there is none)."""

    zh_cn: str
    en: str

    def as_json(self) -> dict[str, str]:
        return {"zh-CN": self.zh_cn, "en": self.en}

    @classmethod
    def from_json(cls, stored: str) -> Localized:
        value = json.loads(stored)
        return cls(zh_cn=value["zh-CN"], en=value["en"])


@dataclass(frozen=True)
class QueueConfig:
    """A queue (skill group) as configured."""

    name: str
    display_name: Localized
    strategy: str
    required_skill: str | None
    min_level: int
    language: str | None
    prefer_last_agent: bool
    max_queue_length: int  # 0: unlimited
    max_wait_seconds: int  # 0: unlimited
    overflow: tuple[str, ...]  # queue names, optionally ending in LEAVE_MESSAGE
    hours: BusinessHours | None  # None: always open
    welcome_message: Localized
    queue_message: Localized
    offer_timeout_seconds: int
    created_ms: int
    updated_ms: int

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name.as_json(),
            "strategy": self.strategy,
            "required_skill": self.required_skill,
            "min_level": self.min_level,
            "language": self.language,
            "prefer_last_agent": self.prefer_last_agent,
            "max_queue_length": self.max_queue_length,
            "max_wait_seconds": self.max_wait_seconds,
            "overflow": list(self.overflow),
            "hours": None if self.hours is None else self.hours.as_json(),
            "welcome_message": self.welcome_message.as_json(),
            "queue_message": self.queue_message.as_json(),
            "offer_timeout_seconds": self.offer_timeout_seconds,
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
        }


@dataclass(frozen=True)
class RoutingProfile:
    """What routing knows of an agent beyond presence: skill levels (1-5) and languages."""

    agent_id: int
    skills: Mapping[str, int] = field(default_factory=dict, hash=False)
    languages: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        return {"skills": dict(sorted(self.skills.items())), "languages": sorted(self.languages)}


def queue_of(row: Queue) -> QueueConfig:
    return QueueConfig(
        name=row.name,
        display_name=Localized.from_json(row.display_name),
        strategy=row.strategy,
        required_skill=row.required_skill,
        min_level=row.min_level,
        language=row.language,
        prefer_last_agent=bool(row.prefer_last_agent),
        max_queue_length=row.max_queue_length,
        max_wait_seconds=row.max_wait_seconds,
        overflow=tuple(json.loads(row.overflow)),
        hours=None if row.hours is None else parse_hours(json.loads(row.hours)),
        welcome_message=Localized.from_json(row.welcome_message),
        queue_message=Localized.from_json(row.queue_message),
        offer_timeout_seconds=row.offer_timeout_seconds,
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
    )


def get_queue(name: str) -> QueueConfig | None:
    with db.connection_context():
        row = Queue.get_or_none(Queue.name == name)
    return None if row is None else queue_of(row)


def list_queues() -> list[QueueConfig]:
    """Every queue, by name."""
    with db.connection_context():
        return [queue_of(row) for row in Queue.select().order_by(Queue.name)]


def overflow_graph() -> dict[str, tuple[str, ...]]:
    """Each queue's overflow chain, by queue name."""
    with db.connection_context():
        rows = cast(list[tuple[str, str]], list(Queue.select(Queue.name, Queue.overflow).tuples()))
    return {name: tuple(json.loads(chain)) for name, chain in rows}


def open_conversations_in(queue: str) -> int:
    """How many conversations of `queue` are not closed (queued, being assigned, assigned)."""
    with db.connection_context():
        return int(
            Conversation.select()
            .where((Conversation.group == queue) & (Conversation.status != "closed"))
            .count()
        )


def routing_profile(agent_id: int) -> RoutingProfile:
    return routing_profiles([agent_id])[agent_id]


def routing_profiles(agent_ids: Iterable[int]) -> dict[int, RoutingProfile]:
    """The profile of each agent in `agent_ids` (empty for one never configured), one query."""
    wanted = sorted(set(agent_ids))
    skills: dict[int, dict[str, int]] = {agent_id: {} for agent_id in wanted}
    languages: dict[int, frozenset[str]] = {}
    if wanted:
        query = (
            AgentRouting.select(
                AgentRouting.agent_id, AgentRouting.languages, AgentSkill.skill, AgentSkill.level
            )
            .join(AgentSkill, JOIN.LEFT_OUTER, on=(AgentSkill.agent_id == AgentRouting.agent_id))
            .where(AgentRouting.agent_id.in_(wanted))
            .tuples()
        )
        with db.connection_context():
            rows = cast(list[tuple[int, str, str | None, int | None]], list(query))
        for agent_id, stored_languages, skill, level in rows:
            languages[agent_id] = frozenset(name for name in stored_languages.split(",") if name)
            if skill is not None and level is not None:
                skills[agent_id][skill] = level
    return {
        agent_id: RoutingProfile(agent_id, skills[agent_id], languages.get(agent_id, frozenset()))
        for agent_id in wanted
    }
