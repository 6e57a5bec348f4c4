"""Who took part in each conversation: conversation_participant, one row per stay.

A row says a visitor or an agent joined a conversation at joined_ms and left at
left_ms (null while present), and why they left. Services write it in the
transaction that changes who holds the conversation (services/participants.py).
An agent is present at most once at a time per conversation: a partial unique
index on the rows still open enforces it.

Existing conversations are backfilled from what the conversation row still says:
the visitor (joined when it opened), and the agent holding an assigned or closed
conversation (joined when assigned). Both left at closed_ms, reason "closed", if
closed. Agents who held a conversation before a transfer or re-queue are not in the
row any more; for conversations older than this migration they are in the audit
trail only (CONVERSATION_TRANSFERRED, CONVERSATION_REQUEUED).
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import CharField
from peewee import Database
from peewee import Model


def up(database: Database) -> None:
    class ConversationParticipant(Model):
        id = AutoField()
        conversation_id = CharField(max_length=32)
        kind = CharField(max_length=16)  # "visitor" | "agent"
        principal_id = CharField(max_length=32)  # visitor id, or agent id in decimal
        role = CharField(max_length=16)  # "visitor" | "assignee"
        joined_ms = BigIntegerField()
        left_ms = BigIntegerField(null=True)
        left_reason = CharField(null=True, max_length=32)

        class Meta:
            table_name = "conversation_participant"
            indexes = (
                (("conversation_id", "joined_ms"), False),
                (("kind", "principal_id", "joined_ms"), False),
            )

    ConversationParticipant._meta.set_database(database)
    database.create_tables([ConversationParticipant])
    database.execute_sql(
        "INSERT INTO conversation_participant"
        " (conversation_id, kind, principal_id, role, joined_ms, left_ms, left_reason)"
        " SELECT id, 'visitor', visitor_id, 'visitor', opened_ms,"
        " CASE WHEN status = 'closed' THEN closed_ms END,"
        " CASE WHEN status = 'closed' THEN 'closed' END"
        " FROM conversation ORDER BY opened_ms, id"
    )
    database.execute_sql(
        "INSERT INTO conversation_participant"
        " (conversation_id, kind, principal_id, role, joined_ms, left_ms, left_reason)"
        " SELECT id, 'agent', CAST(agent_id AS TEXT), 'assignee', assigned_ms,"
        " CASE WHEN status = 'closed' THEN closed_ms END,"
        " CASE WHEN status = 'closed' THEN 'closed' END"
        " FROM conversation"
        " WHERE agent_id IS NOT NULL AND assigned_ms IS NOT NULL"
        " AND status IN ('assigned', 'closed')"
        " ORDER BY assigned_ms, id"
    )
    database.execute_sql(
        "CREATE UNIQUE INDEX conversation_participant_present ON conversation_participant"
        ' ("conversation_id", "kind", "principal_id") WHERE left_ms IS NULL'
    )
