"""The agent workbench's own tables (migration 0008): canned replies.

A canned reply is personal (`owner_id` is its agent) or shared by the whole team
(`owner_id` is 0: agent ids start at 1, and a NULL would let two shared replies
take one shortcut, since NULLs never collide in a unique index). The body is a
template an agent wrote, not customer data, so it is stored in clear; it must
hold no personal data (docs/http-api.md).
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import CharField
from peewee import IntegerField
from peewee import TextField

from appliance.models.base import BaseModel

SHARED_OWNER = 0


class CannedReply(BaseModel):
    id = AutoField()
    scope = CharField(max_length=8)  # "personal" | "shared"
    owner_id = IntegerField()  # the agent of a personal reply; SHARED_OWNER for shared ones
    shortcut = CharField(max_length=32)
    title = CharField(max_length=100)
    body = TextField()
    language = CharField(null=True, max_length=35)
    created_ms = BigIntegerField()
    updated_ms = BigIntegerField()
    updated_by = IntegerField(null=True)  # the agent who last changed it (None: an operator)

    class Meta:
        table_name = "canned_reply"
        indexes = ((("owner_id", "shortcut"), True),)
