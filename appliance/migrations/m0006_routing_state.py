"""Routing state: what the policy needs of a waiting conversation, offers, messages left.

conversation gains the routing facts taken at start (the customer's VIP level,
the skill, level and language asked for), the agent who served this visitor
last, the agents who declined it or let an offer lapse, and the open offer.
agent_presence gains when the agent last became free (longest-idle routing)
and when their last connection dropped (re-queue after a grace period).
offline_message holds what visitors leave when nobody can take their chat.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BlobField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model
from peewee import TextField
from playhouse.migrate import PostgresqlMigrator
from playhouse.migrate import SqliteMigrator
from playhouse.migrate import migrate


def up(database: Database) -> None:
    migrator = (
        SqliteMigrator(database)
        if database.__class__.__name__.startswith("Sqlite")
        else PostgresqlMigrator(database)
    )
    migrate(
        migrator.add_column("conversation", "vip", IntegerField(default=0)),
        migrator.add_column("conversation", "skill", CharField(null=True, max_length=64)),
        migrator.add_column("conversation", "min_level", IntegerField(default=1)),
        migrator.add_column("conversation", "language", CharField(null=True, max_length=35)),
        migrator.add_column("conversation", "last_agent_id", IntegerField(null=True)),
        migrator.add_column("conversation", "declined_by", TextField(default="")),
        migrator.add_column("conversation", "offered_agent_id", IntegerField(null=True)),
        migrator.add_column("conversation", "offer_expires_ms", BigIntegerField(null=True)),
        migrator.add_column("conversation", "routing_note", TextField(null=True)),
        migrator.add_column("agent_presence", "idle_since_ms", BigIntegerField(default=0)),
        migrator.add_column("agent_presence", "disconnected_ms", BigIntegerField(null=True)),
    )

    class OfflineMessage(Model):
        id = AutoField()
        conversation_id = CharField(null=True, max_length=32)
        visitor_id = CharField(max_length=32, index=True)
        queue = CharField(max_length=64)
        body_enc = BlobField()
        contact_enc = BlobField(null=True)
        status = CharField(max_length=16)  # "new" until the ticketing issue picks it up
        created_ms = BigIntegerField()

        class Meta:
            table_name = "offline_message"

    OfflineMessage._meta.set_database(database)
    database.create_tables([OfflineMessage])
