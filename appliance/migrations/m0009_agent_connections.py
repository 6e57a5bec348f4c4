"""Agent connections: one row per open /agent connection, on whichever node holds it.

An agent counts as connected while any of their rows is live: its node refreshes
`seen_ms` on every routing sweep, so the rows of a node that crashed stop being
refreshed and expire (services/agent_connections.py). `node` names the serving
process that holds the connection.
"""

from peewee import BigIntegerField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model


def up(database: Database) -> None:
    class AgentConnection(Model):
        id = CharField(primary_key=True, max_length=64)  # the Socket.IO session id
        agent_id = IntegerField(index=True)
        node = CharField(max_length=128, index=True)
        opened_ms = BigIntegerField()
        seen_ms = BigIntegerField(index=True)

        class Meta:
            table_name = "agent_connection"

    AgentConnection._meta.set_database(database)
    database.create_tables([AgentConnection])
