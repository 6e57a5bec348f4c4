"""Permissions and the roles that grant them: deny by default.

Every HTTP route and every Socket.IO event declares one Permission (or PUBLIC,
for the few endpoints a stranger may call: health probes, login, the visitor
namespace, whose callers are authenticated by their visitor token instead).
A route or event that declares nothing is refused, and a test enumerates them all.

Roles follow 三员分立: system admin, security admin and audit admin are
separate, and no account may hold two of them.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PUBLIC = "public"  # anyone, including anonymous callers
    VISITOR = "visitor"  # a connected visitor (token-authenticated), in their own conversations
    CHAT_HANDLE = "chat.handle"  # take conversations, post messages and notes, close
    CONVERSATION_VIEW_GROUP = "conversation.view_group"  # see the conversations of one's groups
    USERS_MANAGE = "users.manage"  # create, disable, reset passwords of accounts
    KEYS_MANAGE = "keys.manage"  # rotate and destroy keys
    AUDIT_READ = "audit.read"  # search, export and verify the audit trail
    QUEUES_VIEW = "queues.view"  # read queue (skill group) configuration
    QUEUES_MANAGE = "queues.manage"  # create, change, remove queues; set agents' skills
    REPORTS_VIEW = "reports.view"  # service reports: satisfaction ratings per queue and agent
    PII_REVEAL = "pii.reveal"  # unmask mobile, ID and card numbers in a readable chat; audited
    DESK_SUPERVISE = "desk.supervise"  # the live supervisor view: queues, agents, chats near SLA
    CANNED_MANAGE_SHARED = "canned.manage_shared"  # change the team's shared canned replies


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "agent": frozenset({Permission.CHAT_HANDLE, Permission.QUEUES_VIEW}),
    "supervisor": frozenset(
        {
            Permission.CHAT_HANDLE,
            Permission.CONVERSATION_VIEW_GROUP,
            Permission.QUEUES_VIEW,
            Permission.REPORTS_VIEW,
            Permission.PII_REVEAL,
            Permission.DESK_SUPERVISE,
            Permission.CANNED_MANAGE_SHARED,
        }
    ),
    # Added to "agent" for agents allowed to unmask PII (e.g. to call a customer back):
    # an account holds a set of roles, so `--role agent --role pii_viewer`.
    "pii_viewer": frozenset({Permission.PII_REVEAL}),
    "sysadmin": frozenset(
        {Permission.USERS_MANAGE, Permission.QUEUES_MANAGE, Permission.QUEUES_VIEW}
    ),
    "secadmin": frozenset({Permission.KEYS_MANAGE}),
    "auditadmin": frozenset({Permission.AUDIT_READ}),
}

# 三员分立: an account may hold at most one of these.
SEPARATED_ROLES = frozenset({"sysadmin", "secadmin", "auditadmin"})

ROLES = tuple(ROLE_PERMISSIONS)


def permissions_for(roles: frozenset[str] | set[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
