"""The compliance prompt: replies an agent should think twice about before sending.

A bank must never ask a customer for a password, a PIN, a one-time code, a full
card number or its CVV in chat. The rules (config/compliance.toml, or the file
named by `compliance.rules_file`) are regular expressions matched
case-insensitively against what an agent sends to a visitor. A reply that
matches is refused with `compliance_prompt` and the matched rules' messages
until the agent sends it again confirming those rule ids
(`confirm_compliance`); the confirmation is audited (COMPLIANCE_PROMPT_CONFIRMED)
in the message's own transaction (services/messages.py). Internal notes, which
visitors never see, are not checked.

The file is read and every rule validated when the app is built (create_app): a
file that cannot be read, is not TOML, or holds a bad rule (missing or unknown
field, a pattern that does not compile, a duplicate id) stops start-up with a
ComplianceRulesError naming the file and the rule.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app

from appliance import errors
from appliance.settings import Settings
from appliance.settings import SettingsError

SHIPPED_FILE = "compliance.toml"
RULE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}\Z")
MAX_CONFIRMED = 64
_FIELDS = ("id", "pattern", "message_en", "message_zh")
_EXTENSION = "enclave.compliance"


class ComplianceRulesError(SettingsError):
    """The compliance rules file cannot be read or holds a bad rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    message_en: str
    message_zh: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "message_en": self.message_en, "message_zh": self.message_zh}


class CompliancePrompt(errors.AppError):
    """The reply matches compliance rules the agent has not confirmed; nothing was sent."""

    code = "compliance_prompt"
    http_status = 409

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        super().__init__(
            "This reply matches compliance rules: "
            + ", ".join(rule.id for rule in self.rules)
            + "; confirm them to send it anyway"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rules": [rule.as_json() for rule in self.rules]}


# loading


def shipped_path() -> Path:
    """config/compliance.toml in a source checkout, else the installed copy."""
    candidates = [
        Path(__file__).resolve().parents[2] / "config" / SHIPPED_FILE,
        Path(sys.prefix) / "share" / "enclave" / "config" / SHIPPED_FILE,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ComplianceRulesError(
        f"compliance rules file not found (looked in {', '.join(map(str, candidates))})"
    )


def rules_path(settings: Settings) -> Path:
    configured = settings.compliance.rules_file
    return Path(configured) if configured else shipped_path()


def load_rules(path: Path) -> tuple[Rule, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ComplianceRulesError(
            f"compliance.rules_file: cannot read {path} ({exc.strerror})"
        ) from None
    except UnicodeDecodeError:
        raise ComplianceRulesError(f"{path}: not UTF-8 text") from None
    return parse_rules(text, str(path))


def parse_rules(text: str, source: str) -> tuple[Rule, ...]:
    """The rules of a rules file's text; `source` names it in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ComplianceRulesError(f"{source}: not valid TOML ({exc})") from None
    unknown = sorted(set(document) - {"rule"})
    if unknown:
        raise ComplianceRulesError(
            f"{source}: unknown key {unknown[0]!r} (expected only [[rule]] tables)"
        )
    tables = document.get("rule", [])
    if not isinstance(tables, list):
        raise ComplianceRulesError(f"{source}: 'rule' must be [[rule]] tables")
    rules: list[Rule] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        rule = _parse_rule(table, f"{source}: rule #{number}")
        if rule.id in seen:
            raise ComplianceRulesError(
                f"{source}: rule #{number} ({rule.id!r}): duplicate id {rule.id!r}"
            )
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _parse_rule(table: object, where: str) -> Rule:
    if not isinstance(table, dict):
        raise ComplianceRulesError(f"{where}: expected a [[rule]] table")
    name = table.get("id")
    if isinstance(name, str):
        where = f"{where} ({name!r})"
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ComplianceRulesError(f"{where}: unknown field {unknown[0]!r}")
    for key in _FIELDS:
        value = table.get(key)
        if value is None:
            raise ComplianceRulesError(f"{where}: missing field {key!r}")
        if not isinstance(value, str) or not value.strip():
            raise ComplianceRulesError(f"{where}: {key} must be a non-empty string")
    if not RULE_ID.match(table["id"]):
        raise ComplianceRulesError(
            f"{where}: id must be 1-64 of a-z 0-9 _ . - (starting with a letter or digit)"
        )
    try:
        pattern = re.compile(table["pattern"], re.IGNORECASE)
    except re.error as exc:
        raise ComplianceRulesError(f"{where}: pattern does not compile ({exc})") from None
    return Rule(
        id=table["id"],
        pattern=pattern,
        message_en=table["message_en"],
        message_zh=table["message_zh"],
    )


def install_rules(app: Flask, settings: Settings) -> tuple[Rule, ...]:
    """Load and validate the rules for `app` (at start: a bad file stops it)."""
    rules = load_rules(rules_path(settings))
    app.extensions[_EXTENSION] = rules
    return rules


def current_rules() -> tuple[Rule, ...]:
    rules: tuple[Rule, ...] = current_app.extensions[_EXTENSION]
    return rules


# checking


def parse_confirmation(value: object) -> frozenset[str]:
    """The rule ids an agent's `confirm_compliance` confirms (None: none)."""
    if value is None:
        return frozenset()
    if not isinstance(value, list) or len(value) > MAX_CONFIRMED:
        raise errors.InvalidPayload(
            f"confirm_compliance: expected a list of at most {MAX_CONFIRMED} rule ids"
        )
    for item in value:
        if not isinstance(item, str) or not RULE_ID.match(item):
            raise errors.InvalidPayload("confirm_compliance: expected rule ids")
    return frozenset(value)


def matched_rules(text: str, rules: Iterable[Rule]) -> list[Rule]:
    return [rule for rule in rules if rule.pattern.search(text)]


def check_reply(text: str, confirmed: frozenset[str]) -> tuple[str, ...]:
    """The ids of the rules `text` matches, all of which the agent confirmed; raise
    CompliancePrompt (with every matched rule) if any is not confirmed."""
    matched = matched_rules(text, current_rules())
    if any(rule.id not in confirmed for rule in matched):
        raise CompliancePrompt(matched)
    return tuple(rule.id for rule in matched)
