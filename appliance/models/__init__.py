"""peewee tables. Fields and indexes only: every write goes through services."""

from appliance.models.audit import AuditCheckpoint
from appliance.models.audit import AuditEventRow
from appliance.models.audit import AuditLeaf
from appliance.models.audit import AuditMeta
from appliance.models.audit import AuditNode
from appliance.models.base import BaseModel
from appliance.models.instance import Instance

ALL_MODELS: list[type[BaseModel]] = [
    Instance,
    AuditEventRow,
    AuditLeaf,
    AuditNode,
    AuditCheckpoint,
    AuditMeta,
]

__all__ = [
    "ALL_MODELS",
    "AuditCheckpoint",
    "AuditEventRow",
    "AuditLeaf",
    "AuditMeta",
    "AuditNode",
    "BaseModel",
    "Instance",
]
