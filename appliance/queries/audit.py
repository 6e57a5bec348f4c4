"""Searching the audit trail by time, actor, action, target and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from peewee import JOIN
from peewee import Expression
from peewee import fn

from appliance.models import AuditEventRow
from appliance.models import AuditLeaf
from audit.canonical import event_from_canonical
from audit.events import AuditEvent
from audit.events import EventType
from audit.events import JSONValue


@dataclass(frozen=True)
class AuditFilter:
    """Every field narrows the search; None means "any". `to_ms` is exclusive."""

    from_ms: int | None = None
    to_ms: int | None = None
    actor: str | None = None
    action: EventType | None = None
    target_type: str | None = None
    target_id: str | None = None
    ok: bool | None = None

    def describe(self) -> dict[str, JSONValue]:
        """The filter as audit-event details (only the fields that were set)."""
        values: dict[str, JSONValue] = {
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "actor": self.actor,
            "action": None if self.action is None else self.action.name,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "result": None if self.ok is None else ("success" if self.ok else "failure"),
        }
        return {k: v for k, v in values.items() if v is not None}

    def where(self) -> Expression:
        condition: Expression = AuditEventRow.id > 0
        if self.from_ms is not None:
            condition &= AuditEventRow.time_ms >= self.from_ms
        if self.to_ms is not None:
            condition &= AuditEventRow.time_ms < self.to_ms
        if self.actor is not None:
            condition &= AuditEventRow.actor_id == self.actor
        if self.action is not None:
            condition &= AuditEventRow.action == int(self.action)
        if self.target_type is not None:
            condition &= AuditEventRow.target_type == self.target_type
        if self.target_id is not None:
            condition &= AuditEventRow.target_id == self.target_id
        if self.ok is not None:
            condition &= AuditEventRow.result_ok == self.ok
        return condition


@dataclass(frozen=True)
class FoundEvent:
    leaf_index: int | None  # None until the sequencer has placed it in the tree
    event: AuditEvent


def search_events(selection: AuditFilter, limit: int) -> list[FoundEvent]:
    """Matching events, oldest first, at most `limit`."""
    query = (
        AuditEventRow.select(AuditEventRow.canonical, AuditLeaf.leaf_index)
        .join(AuditLeaf, JOIN.LEFT_OUTER, on=(AuditLeaf.event == AuditEventRow.id))
        .where(selection.where())
        .order_by(AuditEventRow.time_ms, AuditEventRow.id)
        .limit(limit)
        .tuples()
    )
    rows = cast(list[tuple[bytes, int | None]], list(query))
    return [
        FoundEvent(leaf_index=index, event=event_from_canonical(bytes(canonical)))
        for canonical, index in rows
    ]


def leaf_indexes_matching(selection: AuditFilter) -> list[int]:
    """Leaf indexes of the matching events that are already in the tree, ascending."""
    query = (
        AuditLeaf.select(AuditLeaf.leaf_index)
        .join(AuditEventRow, on=(AuditLeaf.event == AuditEventRow.id))
        .where(selection.where())
        .order_by(AuditLeaf.leaf_index)
        .tuples()
    )
    return [index for (index,) in cast(list[tuple[int]], list(query))]


def unsequenced_before(cutoff_ms: int) -> tuple[int, int | None]:
    """(How many, lowest id) of the events recorded before `cutoff_ms` that have no
    leaf. The exact anti-join over the whole log, for verification only: the
    sequencer reads from a mark (services/audit_store.py), and this is what
    notices an event the mark, or anything else, left out of the tree."""
    query = (
        AuditEventRow.select(fn.COUNT(AuditEventRow.id), fn.MIN(AuditEventRow.id))
        .join(AuditLeaf, JOIN.LEFT_OUTER, on=(AuditLeaf.event == AuditEventRow.id))
        .where(AuditLeaf.leaf_index.is_null() & (AuditEventRow.time_ms < cutoff_ms))
    )
    count, first = cast(tuple[int | None, int | None], query.tuples().get())
    return int(count or 0), None if first is None else int(first)
