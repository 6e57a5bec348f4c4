"""Chat: visitors, conversations, messages (encrypted bodies), agent presence.

A visitor has at most one open conversation: a partial unique index enforces it
at the database, so two devices starting a chat at once cannot open two.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BlobField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model


def up(database: Database) -> None:
    class Visitor(Model):
        id = CharField(primary_key=True, max_length=32)
        kind = CharField(max_length=16)
        customer_bidx = CharField(null=True, unique=True, max_length=64)
        customer_ref_enc = BlobField(null=True)
        name_enc = BlobField()
        vip = IntegerField(default=0)
        created_ms = BigIntegerField()

        class Meta:
            table_name = "visitor"

    class Conversation(Model):
        id = CharField(primary_key=True, max_length=32)
        visitor_id = CharField(max_length=32, index=True)
        group = CharField(max_length=64)
        status = CharField(max_length=16)
        agent_id = IntegerField(null=True, index=True)
        last_seq = IntegerField(default=0)
        visitor_read_seq = IntegerField(default=0)
        agent_read_seq = IntegerField(default=0)
        opened_ms = BigIntegerField()
        queued_ms = BigIntegerField(null=True)
        assigned_ms = BigIntegerField(null=True)
        closed_ms = BigIntegerField(null=True)
        closed_by = CharField(null=True, max_length=16)

        class Meta:
            table_name = "conversation"

    class Message(Model):
        id = AutoField()
        conversation_id = CharField(max_length=32)
        seq = IntegerField()
        sender_type = CharField(max_length=16)
        sender_id = CharField(max_length=64)
        client_msg_id = CharField(max_length=64)
        kind = CharField(max_length=8)
        body_enc = BlobField()
        created_ms = BigIntegerField()

        class Meta:
            table_name = "message"
            indexes = (
                (("conversation_id", "seq"), True),
                (("conversation_id", "sender_type", "sender_id", "client_msg_id"), True),
            )

    class AgentPresence(Model):
        agent_id = IntegerField(primary_key=True)
        status = CharField(max_length=16)
        capacity = IntegerField()
        load = IntegerField(default=0)
        groups = CharField(max_length=1024)
        changed_ms = BigIntegerField()
        last_assigned_ms = BigIntegerField(default=0)

        class Meta:
            table_name = "agent_presence"

    models = [Visitor, Conversation, Message, AgentPresence]
    database.bind(models)
    database.create_tables(models)
    database.execute_sql(
        'CREATE UNIQUE INDEX conversation_one_open_per_visitor ON conversation ("visitor_id") '
        "WHERE status <> 'closed'"
    )
    database.execute_sql(
        'CREATE INDEX conversation_queue ON conversation ("group", "queued_ms") '
        "WHERE status = 'queued'"
    )
