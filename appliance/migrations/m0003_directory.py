"""The local directory: one row per account that can sign in (agents and admins)."""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BooleanField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model
from peewee import TextField


def up(database: Database) -> None:
    class Agent(Model):
        id = AutoField()
        username = CharField(max_length=64, unique=True)
        display_name = CharField(max_length=200)
        password_hash = CharField(max_length=255)
        roles = TextField()
        groups = TextField()
        disabled = BooleanField(default=False)
        failed_logins = IntegerField(default=0)
        locked_until_ms = BigIntegerField(null=True)
        session_epoch = IntegerField(default=0)
        created_ms = BigIntegerField()

        class Meta:
            table_name = "agent"

    Agent._meta.set_database(database)
    database.create_tables([Agent])
