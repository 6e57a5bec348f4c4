"""The audit tables (migration 0002). Append-only: the database refuses UPDATE and DELETE."""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BlobField
from peewee import BooleanField
from peewee import CharField
from peewee import CompositeKey
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField

from appliance.models.base import BaseModel


class AuditEventRow(BaseModel):
    id = AutoField()
    time_ms = BigIntegerField(index=True)
    actor_id = CharField(index=True)
    actor_role = CharField()
    action = IntegerField(index=True)
    target_type = CharField()
    target_id = CharField()
    result_ok = BooleanField()
    request_id = CharField(null=True)
    canonical = BlobField()

    class Meta:
        table_name = "audit_event"


class AuditLeaf(BaseModel):
    leaf_index = BigIntegerField(primary_key=True)
    event = ForeignKeyField(AuditEventRow, unique=True, column_name="event_id")
    leaf_hash = BlobField()

    class Meta:
        table_name = "audit_leaf"


class AuditNode(BaseModel):
    level = IntegerField()
    position = BigIntegerField()
    hash = BlobField()

    class Meta:
        table_name = "audit_node"
        primary_key = CompositeKey("level", "position")


class AuditCheckpoint(BaseModel):
    id = AutoField()
    tree_size = BigIntegerField()
    time_ms = BigIntegerField()
    note = TextField()

    class Meta:
        table_name = "audit_checkpoint"


class AuditMeta(BaseModel):
    id = IntegerField(primary_key=True)
    origin = CharField()
    hash_name = CharField()
    created_at = CharField()

    class Meta:
        table_name = "audit_meta"
