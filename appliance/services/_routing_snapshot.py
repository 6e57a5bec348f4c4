"""What a routing round decides over: the snapshot of some queues, taken from the database.

Waiting conversations carry their queue's skill, level and language (configured
on the queue, docs/routing.md); agents are the online, connected ones serving
any of the queues, with their skills and languages (services/queues.py).
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from typing import cast

from appliance.models import AgentPresence
from appliance.models import Conversation
from appliance.queries.routing import QueueConfig
from appliance.queries.routing import get_queue
from appliance.queries.routing import routing_profiles
from appliance.routing.policy import AgentState
from appliance.routing.policy import PolicySettings
from appliance.routing.policy import QueueRule
from appliance.routing.policy import Snapshot
from appliance.routing.policy import Strategy
from appliance.routing.policy import Waiting
from appliance.runtime import current_runtime


def policy_settings() -> PolicySettings:
    routing = current_runtime().settings.routing
    return PolicySettings(
        vip_boost_ms=routing.vip_boost_seconds * 1000,
        aging_bound_ms=routing.aging_bound_seconds * 1000,
    )


def declined_set(declined_by: str | None) -> frozenset[int]:
    """The agent ids stored in conversation.declined_by (comma-separated)."""
    return frozenset(int(i) for i in (declined_by or "").split(",") if i)


def agent_queues(agent_id: int) -> set[str]:
    """The queues (groups) an agent serves, as their presence row records them."""
    presence = AgentPresence.get_or_none(AgentPresence.agent_id == agent_id)
    return set() if presence is None else {g for g in presence.groups.split(",") if g}


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
            declined_by=declined_set(declined),
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
