"""Satisfaction surveys: one rating (1-5, optional comment) per closed conversation.

The comment is free text a visitor typed, so it is stored sealed like messages;
the queue and agent are copied in so reports need no join through history.
"""

from peewee import BigIntegerField
from peewee import BlobField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model


def up(database: Database) -> None:
    class Survey(Model):
        conversation_id = CharField(primary_key=True, max_length=32)
        visitor_id = CharField(max_length=32)
        queue = CharField(max_length=64, index=True)
        agent_id = IntegerField(null=True, index=True)
        score = IntegerField()
        comment_enc = BlobField(null=True)
        created_ms = BigIntegerField(index=True)

        class Meta:
            table_name = "survey"

    Survey._meta.set_database(database)
    database.create_tables([Survey])
