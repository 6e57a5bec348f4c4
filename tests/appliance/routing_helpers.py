"""Queues, skills and VIP customers for routing tests (through the product's services)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from appliance.db import db
from appliance.services.queues import do_create_queue
from appliance.services.queues import do_set_agent_skills
from tests.appliance.directory_helpers import ADMIN

BANK_SECRET = "shared-with-the-bank-site-0123456789"


def bank_app(instance_dir: Any, environ: dict[str, str] | None = None) -> Any:
    """A test app for `instance_dir` that accepts the bank's customer tokens."""
    import dataclasses

    from appliance import create_app
    from appliance.settings import load_settings

    settings = load_settings(instance_dir, environ=environ or {})
    visitor = dataclasses.replace(settings.visitor, customer_token_secret=BANK_SECRET)
    return create_app(dataclasses.replace(settings, visitor=visitor, testing=True))


def make_queue(app: Any, name: str, **fields: Any) -> None:
    fields.setdefault("offer_timeout_seconds", 0)
    with app.app_context(), db.connection_context():
        do_create_queue(name, fields, actor=ADMIN)


def give_skills(app: Any, username: str, skills: dict[str, int], languages=None) -> None:
    with app.app_context(), db.connection_context():
        do_set_agent_skills(username=username, skills=skills, languages=languages, actor=ADMIN)


def customer_token(sub: str, vip: int = 0, name: str = "Li Na") -> str:
    body = {"sub": sub, "name": name, "vip": vip, "exp": int(time.time()) + 300}
    return jwt.encode(body, BANK_SECRET, algorithm="HS256")
