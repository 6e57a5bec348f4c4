"""The instance record: one row naming this installation."""

from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model


def up(database: Database) -> None:
    class Instance(Model):
        id = IntegerField(primary_key=True)
        instance_id = CharField(unique=True)
        created_at = CharField()
        created_by_version = CharField()

        class Meta:
            table_name = "instance"

    Instance._meta.set_database(database)
    database.create_tables([Instance])
