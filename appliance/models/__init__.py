"""peewee tables. Fields and indexes only: every write goes through services."""

from appliance.models.audit import AuditCheckpoint
from appliance.models.audit import AuditEventRow
from appliance.models.audit import AuditLeaf
from appliance.models.audit import AuditMeta
from appliance.models.audit import AuditNode
from appliance.models.base import BaseModel
from appliance.models.chat import AgentPresence
from appliance.models.chat import Conversation
from appliance.models.chat import ConversationParticipant
from appliance.models.chat import Message
from appliance.models.chat import OfflineMessage
from appliance.models.chat import Survey
from appliance.models.chat import Visitor
from appliance.models.connections import AgentConnection
from appliance.models.directory import Agent
from appliance.models.instance import Instance
from appliance.models.routing import AgentRouting
from appliance.models.routing import AgentSkill
from appliance.models.routing import Queue
from appliance.models.workbench import CannedReply

ALL_MODELS: list[type[BaseModel]] = [
    Instance,
    AuditEventRow,
    AuditLeaf,
    AuditNode,
    AuditCheckpoint,
    AuditMeta,
    Agent,
    Visitor,
    Conversation,
    ConversationParticipant,
    Message,
    AgentPresence,
    OfflineMessage,
    Survey,
    Queue,
    AgentSkill,
    AgentRouting,
    CannedReply,
    AgentConnection,
]

__all__ = [
    "ALL_MODELS",
    "Agent",
    "AgentConnection",
    "AgentPresence",
    "AgentRouting",
    "AgentSkill",
    "AuditCheckpoint",
    "AuditEventRow",
    "AuditLeaf",
    "AuditMeta",
    "AuditNode",
    "BaseModel",
    "CannedReply",
    "Conversation",
    "ConversationParticipant",
    "Instance",
    "Message",
    "OfflineMessage",
    "Queue",
    "Survey",
    "Visitor",
]
