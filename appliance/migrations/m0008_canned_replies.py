"""Canned replies: personal (one agent's) and shared (the team's) reply templates.

A shortcut is unique per owner; shared replies have owner_id 0 (see models/workbench.py).
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model
from peewee import TextField


def up(database: Database) -> None:
    class CannedReply(Model):
        id = AutoField()
        scope = CharField(max_length=8)
        owner_id = IntegerField()
        shortcut = CharField(max_length=32)
        title = CharField(max_length=100)
        body = TextField()
        language = CharField(null=True, max_length=35)
        created_ms = BigIntegerField()
        updated_ms = BigIntegerField()
        updated_by = IntegerField(null=True)

        class Meta:
            table_name = "canned_reply"
            indexes = ((("owner_id", "shortcut"), True),)

    CannedReply._meta.set_database(database)
    database.create_tables([CannedReply])
