"""The catalogue: codes are unique, grouped by domain, and never renumbered or reused."""

from __future__ import annotations

from audit.events import EventType

# Append-only. A code here may never change name or disappear: exported
# bundles and signed checkpoints hold these numbers forever.
PINNED = {
    101: "INSTANCE_INITIALIZED",
    102: "SERVER_STARTED",
    103: "SERVER_STOPPED",
    104: "HEARTBEAT",
    105: "SETTINGS_CHANGED",
    106: "MIGRATION_APPLIED",
    107: "SELFTEST_FAILED",
    108: "AUDIT_PAUSED",
    109: "AUDIT_RESUMED",
    201: "DATA_KEY_CREATED",
    202: "DATA_KEY_ROTATED",
    203: "DATA_KEY_DESTROYED",
    204: "DATA_REENCRYPTED",
    205: "SIGNING_KEY_CREATED",
    206: "SIGNING_KEY_RETIRED",
    301: "LOGIN_SUCCEEDED",
    302: "LOGIN_FAILED",
    303: "LOGOUT",
    304: "ACCOUNT_LOCKED",
    305: "USER_CREATED",
    306: "USER_DISABLED",
    307: "PASSWORD_RESET",
    308: "ROLE_CHANGED",
    309: "ACCESS_DENIED",
    310: "SESSION_REVOKED",
    401: "AUDIT_SEARCHED",
    402: "AUDIT_EXPORTED",
    403: "AUDIT_VERIFIED",
    404: "CHECKPOINT_SIGNED",
    501: "CONVERSATION_STARTED",
    502: "MESSAGE_POSTED",
    503: "CONVERSATION_ASSIGNED",
    504: "CONVERSATION_TRANSFERRED",
    505: "CONVERSATION_CLOSED",
    506: "PII_REVEALED",
    507: "ATTACHMENT_DOWNLOADED",
    508: "TRANSCRIPT_EXPORTED",
    509: "MESSAGES_READ",
    510: "SURVEY_SUBMITTED",
    601: "ROUTING_RULE_CHANGED",
    602: "AGENT_STATUS_CHANGED",
    603: "QUEUE_OVERFLOWED",
    604: "AGENT_SKILLS_CHANGED",
    605: "CONVERSATION_OFFERED",
    606: "OFFER_DECLINED",
    607: "CONVERSATION_REQUEUED",
    608: "MESSAGE_LEFT",
    701: "TICKET_CREATED",
    702: "TICKET_UPDATED",
    703: "TICKET_ASSIGNED",
    704: "TICKET_CLOSED",
    801: "RETENTION_PURGED",
    802: "BACKUP_CREATED",
    803: "BACKUP_RESTORED",
}

DOMAINS = {1: "instance", 2: "keys", 3: "identity", 4: "audit", 5: "conversations"}


def test_it_never_renumbers_or_reuses_a_code() -> None:
    current = {int(e): e.name for e in EventType}
    for code, name in PINNED.items():
        assert current.get(code) == name, f"code {code} was {name}"


def test_it_has_no_aliases() -> None:
    # IntEnum silently turns a duplicate value into an alias of the first name.
    assert len(EventType.__members__) == len(EventType)


def test_it_groups_codes_in_ranges_of_100() -> None:
    for event in EventType:
        assert 101 <= event <= 999
        assert event % 100 != 0


def test_it_has_the_events_the_regulations_name() -> None:
    required = {
        "INSTANCE_INITIALIZED",
        "SERVER_STARTED",
        "SERVER_STOPPED",
        "HEARTBEAT",
        "SETTINGS_CHANGED",
        "MIGRATION_APPLIED",
        "SELFTEST_FAILED",
        "DATA_KEY_CREATED",
        "DATA_KEY_ROTATED",
        "DATA_KEY_DESTROYED",
        "DATA_REENCRYPTED",
        "SIGNING_KEY_CREATED",
        "LOGIN_SUCCEEDED",
        "LOGIN_FAILED",
        "LOGOUT",
        "ACCOUNT_LOCKED",
        "USER_CREATED",
        "USER_DISABLED",
        "PASSWORD_RESET",
        "ROLE_CHANGED",
        "AUDIT_SEARCHED",
        "AUDIT_EXPORTED",
        "AUDIT_VERIFIED",
        "CHECKPOINT_SIGNED",
        "CONVERSATION_STARTED",
        "MESSAGE_POSTED",
        "CONVERSATION_ASSIGNED",
        "CONVERSATION_TRANSFERRED",
        "CONVERSATION_CLOSED",
        "PII_REVEALED",
    }
    assert required <= set(EventType.__members__)
    for name in required:
        assert EventType[name] // 100 in DOMAINS
