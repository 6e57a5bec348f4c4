"""Open agent connections across the nodes of an installation (migration 0009)."""

from peewee import BigIntegerField
from peewee import CharField
from peewee import IntegerField

from appliance.models.base import BaseModel


class AgentConnection(BaseModel):
    id = CharField(primary_key=True, max_length=64)  # the Socket.IO session id
    agent_id = IntegerField(index=True)
    node = CharField(max_length=128, index=True)  # the serving process holding it
    opened_ms = BigIntegerField()
    seen_ms = BigIntegerField(index=True)  # last refreshed by its node's sweep

    class Meta:
        table_name = "agent_connection"
