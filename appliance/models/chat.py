"""The chat tables (migration 0004): visitors, conversations, messages, agent presence;
who took part in each conversation (migration 0011).

Encrypted columns (`*_enc`) hold crypto/ envelopes whose associated data names
the table, row and field (see appliance/sealed.py), so a ciphertext copied to
another row does not decrypt. `customer_bidx` is a keyed blind index of the
bank's customer id, for lookup without storing it in clear.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BlobField
from peewee import CharField
from peewee import IntegerField
from peewee import TextField

from appliance.models.base import BaseModel


class Visitor(BaseModel):
    id = CharField(primary_key=True, max_length=32)
    kind = CharField(max_length=16)  # "anonymous" | "customer"
    customer_bidx = CharField(null=True, unique=True, max_length=64)
    customer_ref_enc = BlobField(null=True)
    name_enc = BlobField()
    vip = IntegerField(default=0)
    created_ms = BigIntegerField()

    class Meta:
        table_name = "visitor"


class Conversation(BaseModel):
    id = CharField(primary_key=True, max_length=32)
    visitor_id = CharField(max_length=32, index=True)
    group = CharField(max_length=64)
    status = CharField(max_length=16)  # "queued" | "assigned" | "closed"
    agent_id = IntegerField(null=True, index=True)
    last_seq = IntegerField(default=0)
    visitor_read_seq = IntegerField(default=0)
    agent_read_seq = IntegerField(default=0)
    opened_ms = BigIntegerField()
    queued_ms = BigIntegerField(null=True)
    assigned_ms = BigIntegerField(null=True)
    closed_ms = BigIntegerField(null=True)
    closed_by = CharField(null=True, max_length=16)
    # routing (migration 0006)
    vip = IntegerField(default=0)
    skill = CharField(null=True, max_length=64)
    min_level = IntegerField(default=1)
    language = CharField(null=True, max_length=35)
    last_agent_id = IntegerField(null=True)
    declined_by = TextField(default="")  # agent ids, comma-separated
    offered_agent_id = IntegerField(null=True)
    offer_expires_ms = BigIntegerField(null=True)
    routing_note = TextField(null=True)

    class Meta:
        table_name = "conversation"


class ConversationParticipant(BaseModel):
    """One stay of a visitor or agent in a conversation: joined, and left (null while present).

    Written by services/participants.py in the transaction that changes who holds the
    conversation. At most one open row per (conversation, kind, principal): a partial
    unique index of migration 0011 (not declared here).
    """

    id = AutoField()
    conversation_id = CharField(max_length=32)
    kind = CharField(max_length=16)  # "visitor" | "agent"
    principal_id = CharField(max_length=32)  # the visitor id, or the agent id in decimal
    role = CharField(max_length=16)  # "visitor" | "assignee"
    joined_ms = BigIntegerField()
    left_ms = BigIntegerField(null=True)
    # "closed" | "transferred" | "agent_offline" | "agent_disconnected"; null while present
    left_reason = CharField(null=True, max_length=32)

    class Meta:
        table_name = "conversation_participant"
        indexes = (
            (("conversation_id", "joined_ms"), False),
            (("kind", "principal_id", "joined_ms"), False),
        )


class Message(BaseModel):
    id = AutoField()
    conversation_id = CharField(max_length=32)
    seq = IntegerField()
    sender_type = CharField(max_length=16)  # "visitor" | "agent" | "system"
    sender_id = CharField(max_length=64)
    client_msg_id = CharField(max_length=64)
    kind = CharField(max_length=8)  # "text" | "note"
    body_enc = BlobField()
    created_ms = BigIntegerField()

    class Meta:
        table_name = "message"
        indexes = (
            (("conversation_id", "seq"), True),
            (("conversation_id", "sender_type", "sender_id", "client_msg_id"), True),
        )


class AgentPresence(BaseModel):
    agent_id = IntegerField(primary_key=True)
    status = CharField(max_length=16)  # "online" | "away" | "offline"
    capacity = IntegerField()
    load = IntegerField(default=0)
    groups = CharField(max_length=1024)  # the agent's groups, comma-separated
    changed_ms = BigIntegerField()
    last_assigned_ms = BigIntegerField(default=0)
    idle_since_ms = BigIntegerField(default=0)
    disconnected_ms = BigIntegerField(null=True)

    class Meta:
        table_name = "agent_presence"


class OfflineMessage(BaseModel):
    """A message left when nobody could take the chat (for the ticketing issue)."""

    id = AutoField()
    conversation_id = CharField(null=True, max_length=32)
    visitor_id = CharField(max_length=32, index=True)
    queue = CharField(max_length=64)
    body_enc = BlobField()
    contact_enc = BlobField(null=True)
    status = CharField(max_length=16)  # "new" until a ticket takes it
    created_ms = BigIntegerField()

    class Meta:
        table_name = "offline_message"


class Survey(BaseModel):
    """A visitor's satisfaction rating of a closed conversation (migration 0007)."""

    conversation_id = CharField(primary_key=True, max_length=32)
    visitor_id = CharField(max_length=32)
    queue = CharField(max_length=64, index=True)
    agent_id = IntegerField(null=True, index=True)
    score = IntegerField()  # 1..5
    comment_enc = BlobField(null=True)
    created_ms = BigIntegerField(index=True)

    class Meta:
        table_name = "survey"
