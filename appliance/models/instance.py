"""The one row that names this installation (migration 0001)."""

from peewee import CharField
from peewee import IntegerField

from appliance.models.base import BaseModel


class Instance(BaseModel):
    id = IntegerField(primary_key=True)
    instance_id = CharField(unique=True)
    created_at = CharField()
    created_by_version = CharField()

    class Meta:
        table_name = "instance"
