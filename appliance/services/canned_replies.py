"""Canned replies: the reply templates agents insert with "/shortcut" in the composer.

Personal replies belong to one agent: only that agent sees and changes them.
Shared replies are the team's: everyone who handles chats reads them, only holders
of canned.manage_shared change them. A personal shortcut shadows a shared one of the
same name for its owner. Every change is one audited transaction
(CANNED_REPLY_CHANGED: id, scope, shortcut, action; never the body). See
docs/http-api.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from peewee import IntegrityError

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import CannedReply
from appliance.models.workbench import SHARED_OWNER
from appliance.permissions import Permission
from appliance.services._uow import mutation
from appliance.services.audit_trail import record_audit
from appliance.services.directory import Principal
from audit.events import Actor
from audit.events import EventType
from audit.events import Target

SCOPES = ("personal", "shared")
SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}\Z")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}\Z")
MAX_TITLE_CHARS = 100
MAX_BODY_CHARS = 2000
FIELDS = frozenset({"shortcut", "title", "body", "language"})


class CannedReplyNotFound(errors.NotFound):
    code = "canned_reply_not_found"
    http_status = 404


class DuplicateShortcut(errors.Conflict):
    code = "duplicate_shortcut"
    http_status = 409


# reading


def canned_replies_for(principal: Principal) -> list[dict[str, Any]]:
    """The agent's personal replies, then the shared ones, each by shortcut."""
    rows = list(
        CannedReply.select()
        .where(CannedReply.owner_id.in_([principal.id, SHARED_OWNER]))
        .order_by(CannedReply.owner_id.desc(), CannedReply.shortcut)
    )
    mine = {row.shortcut for row in rows if row.scope == "personal"}
    return [
        reply_view(row, principal, shadowed=row.scope == "shared" and row.shortcut in mine)
        for row in rows
    ]


def access_canned_reply(principal: Principal, reply_id: int) -> CannedReply:
    """A reply the agent may read: their own personal one or a shared one.

    Another agent's personal reply answers as missing, so an id probe learns nothing.
    """
    reply: CannedReply | None = CannedReply.get_or_none(CannedReply.id == reply_id)
    if reply is None or reply.owner_id not in (principal.id, SHARED_OWNER):
        raise CannedReplyNotFound("No such canned reply")
    return reply


def may_change(principal: Principal, scope: str) -> bool:
    if scope == "shared":
        return principal.can(Permission.CANNED_MANAGE_SHARED)
    return principal.can(Permission.CHAT_HANDLE)


def reply_view(row: CannedReply, principal: Principal, *, shadowed: bool = False) -> dict[str, Any]:
    return {
        "id": row.id,
        "scope": row.scope,
        "shortcut": row.shortcut,
        "title": row.title,
        "body": row.body,
        "language": row.language,
        "editable": may_change(principal, row.scope),
        "shadowed": shadowed,
    }


# validation


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """shortcut, title, body and language, checked; raise InvalidPayload or TooLarge."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise errors.InvalidPayload(f"{unknown[0]}: unknown field")
    shortcut, title, body = fields.get("shortcut"), fields.get("title"), fields.get("body")
    language = fields.get("language")
    if not isinstance(shortcut, str) or not SHORTCUT.match(shortcut.strip().lower()):
        raise errors.InvalidPayload("shortcut: 1-32 of a-z 0-9 _ -")
    for name, value, limit in (("title", title, MAX_TITLE_CHARS), ("body", body, MAX_BODY_CHARS)):
        if not isinstance(value, str) or not value.strip():
            raise errors.InvalidPayload(f"{name}: required, a non-empty string")
        if len(value) > limit:
            raise errors.TooLarge(f"{name}: longer than {limit} characters")
        if _has_surrogates(value) or "\x00" in value:
            raise errors.InvalidPayload(f"{name}: not valid text")
    if language is not None and (not isinstance(language, str) or not LANGUAGE.match(language)):
        raise errors.InvalidPayload("language: a language tag such as zh-CN or en, or null")
    return {
        "shortcut": shortcut.strip().lower(),
        "title": str(title).strip(),
        "body": body,
        "language": language,
    }


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# changes


@mutation
def do_create_canned_reply(
    *, scope: str, fields: Mapping[str, Any], principal: Principal | None, actor: Actor
) -> CannedReply:
    """Create a reply: a personal one of `principal`, or a shared one (principal None: an
    operator seeding the team's replies, e.g. `enclave demo setup`)."""
    if scope not in SCOPES:
        raise errors.InvalidPayload("scope: expected personal or shared")
    clean = clean_fields(fields)
    if scope == "personal" and principal is None:
        raise errors.InvalidPayload("scope: a personal reply needs its agent")
    if principal is not None and not may_change(principal, scope):
        raise errors.Forbidden("You may not change the team's shared replies")
    owner = principal.id if scope == "personal" and principal is not None else SHARED_OWNER
    now = clock.now_ms()
    try:
        with db.atomic():  # a savepoint: on PostgreSQL a failed insert poisons the transaction
            reply_id = CannedReply.insert(
                scope=scope,
                owner_id=owner,
                created_ms=now,
                updated_ms=now,
                updated_by=None if principal is None else principal.id,
                **clean,
            ).execute()
    except IntegrityError:
        raise _duplicate(clean["shortcut"]) from None
    reply: CannedReply = CannedReply.get_by_id(reply_id)
    _audit(reply, "created", actor)
    return reply


@mutation
def do_update_canned_reply(
    reply_id: int, *, fields: Mapping[str, Any], principal: Principal, actor: Actor
) -> CannedReply:
    """Replace a reply's shortcut, title, body and language (its scope never changes)."""
    reply = _changeable(principal, reply_id)
    clean = clean_fields(fields)
    try:
        with db.atomic():
            CannedReply.update(updated_ms=clock.now_ms(), updated_by=principal.id, **clean).where(
                CannedReply.id == reply.id
            ).execute()
    except IntegrityError:
        raise _duplicate(clean["shortcut"]) from None
    changed: CannedReply = CannedReply.get_by_id(reply.id)
    _audit(changed, "updated", actor)
    return changed


@mutation
def do_delete_canned_reply(reply_id: int, *, principal: Principal, actor: Actor) -> None:
    reply = _changeable(principal, reply_id)
    CannedReply.delete().where(CannedReply.id == reply.id).execute()
    _audit(reply, "deleted", actor)


def _changeable(principal: Principal, reply_id: int) -> CannedReply:
    reply = access_canned_reply(principal, reply_id)
    if not may_change(principal, reply.scope):
        raise errors.Forbidden("You may not change the team's shared replies")
    return reply


def _duplicate(shortcut: str) -> DuplicateShortcut:
    return DuplicateShortcut(f"shortcut: /{shortcut} is already taken in this scope")


def _audit(reply: CannedReply, action: str, actor: Actor) -> None:
    record_audit(
        EventType.CANNED_REPLY_CHANGED,
        actor=actor,
        target=Target(type="canned_reply", id=str(reply.id)),
        details={
            "id": reply.id,
            "scope": reply.scope,
            "shortcut": reply.shortcut,
            "action": action,
        },
    )
