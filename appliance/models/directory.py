"""The local directory (migration 0003): agents and administrators who sign in.

`roles` and `groups` hold sorted, comma-separated names (names never contain a
comma). `session_epoch` is copied into each session at sign-in; bumping it ends
every session of the account at its next request.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BooleanField
from peewee import CharField
from peewee import IntegerField
from peewee import TextField

from appliance.models.base import BaseModel


class Agent(BaseModel):
    id = AutoField()
    username = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=200)
    password_hash = CharField(max_length=255)  # Argon2id PHC string
    roles = TextField()
    groups = TextField()
    disabled = BooleanField(default=False)
    failed_logins = IntegerField(default=0)
    locked_until_ms = BigIntegerField(null=True)
    session_epoch = IntegerField(default=0)
    created_ms = BigIntegerField()

    class Meta:
        table_name = "agent"
