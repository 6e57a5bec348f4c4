"""What a valid account looks like: usernames, passwords, display names, roles, groups.

Each check returns the normalised value or raises errors.InvalidPayload with a
message naming the field; none of them ever echoes a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from appliance import errors
from appliance.permissions import ROLES
from appliance.permissions import SEPARATED_ROLES

NAME = re.compile(r"[a-z0-9._-]{1,64}")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
MAX_DISPLAY_NAME_CHARS = 200


def check_username(raw: str) -> str:
    """`raw` lowercased, or InvalidPayload if it is not 1-64 of [a-z0-9._-]."""
    username = raw.strip().lower() if isinstance(raw, str) else ""
    if not NAME.fullmatch(username):
        raise errors.InvalidPayload(
            "username: expected 1-64 characters, letters, digits, '.', '_' or '-'"
        )
    return username


def check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise errors.InvalidPayload(
            f"password: must be at least {MIN_PASSWORD_CHARS} characters long"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise errors.InvalidPayload(f"password: must be at most {MAX_PASSWORD_CHARS} characters")


def check_display_name(raw: str) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not 1 <= len(name) <= MAX_DISPLAY_NAME_CHARS or not name.isprintable():
        raise errors.InvalidPayload(
            f"name: expected 1-{MAX_DISPLAY_NAME_CHARS} printable characters"
        )
    return name


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(roles)
    if not chosen:
        raise errors.InvalidPayload("roles: give at least one role")
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise errors.InvalidPayload(
            f"roles: unknown role {unknown[0]!r}; expected one of {', '.join(ROLES)}"
        )
    separated = sorted(chosen & SEPARATED_ROLES)
    if len(separated) > 1:
        raise errors.InvalidPayload(
            f"roles: {' and '.join(separated)} are separated duties (三员分立); "
            "an account may hold only one of sysadmin, secadmin, auditadmin"
        )
    return chosen


def check_groups(groups: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(group.strip().lower() for group in groups)
    if not chosen:
        raise errors.InvalidPayload("groups: give at least one group")
    for group in sorted(chosen):
        if not NAME.fullmatch(group):
            raise errors.InvalidPayload(
                f"groups: {group!r} is not a group name (1-64 of a-z, 0-9, '.', '_', '-')"
            )
    return chosen
