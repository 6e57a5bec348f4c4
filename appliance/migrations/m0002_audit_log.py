"""The audit log: append-only tables, refused UPDATE/DELETE at the database.

audit_event       one row per audit event, written in the business transaction
                  (canonical bytes + columns for search)
audit_leaf        leaf index -> event, written by the sequencer
audit_node        hash of every complete aligned subtree (level >= 1)
audit_checkpoint  signed checkpoint notes
audit_meta        the log's origin and hash function, fixed at init

SQLite: BEFORE UPDATE/DELETE triggers RAISE(ABORT). PostgreSQL: a row trigger
for UPDATE/DELETE, a statement trigger for TRUNCATE, and the privileges revoked
from PUBLIC and from the role that runs this migration.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BlobField
from peewee import BooleanField
from peewee import CharField
from peewee import CompositeKey
from peewee import Database
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import Model
from peewee import PostgresqlDatabase
from peewee import TextField

TABLES = ("audit_event", "audit_leaf", "audit_node", "audit_checkpoint", "audit_meta")


def up(database: Database) -> None:
    class AuditEvent(Model):
        id = AutoField()
        time_ms = BigIntegerField(index=True)
        actor_id = CharField(index=True)
        actor_role = CharField()
        action = IntegerField(index=True)
        target_type = CharField()
        target_id = CharField()
        result_ok = BooleanField()
        request_id = CharField(null=True)
        canonical = BlobField()

        class Meta:
            table_name = "audit_event"
            indexes = ((("target_type", "target_id"), False),)

    class AuditLeaf(Model):
        leaf_index = BigIntegerField(primary_key=True)
        event = ForeignKeyField(AuditEvent, unique=True, column_name="event_id")
        leaf_hash = BlobField()

        class Meta:
            table_name = "audit_leaf"

    class AuditNode(Model):
        level = IntegerField()
        position = BigIntegerField()
        hash = BlobField()

        class Meta:
            table_name = "audit_node"
            primary_key = CompositeKey("level", "position")

    class AuditCheckpoint(Model):
        id = AutoField()
        tree_size = BigIntegerField()
        time_ms = BigIntegerField()
        note = TextField()

        class Meta:
            table_name = "audit_checkpoint"

    class AuditMeta(Model):
        id = IntegerField(primary_key=True)
        origin = CharField()
        hash_name = CharField()
        created_at = CharField()

        class Meta:
            table_name = "audit_meta"

    models = [AuditEvent, AuditLeaf, AuditNode, AuditCheckpoint, AuditMeta]
    for model in models:
        model._meta.set_database(database)
    database.create_tables(models)

    if isinstance(database, PostgresqlDatabase):
        _protect_postgresql(database)
    else:
        _protect_sqlite(database)


def _protect_sqlite(database: Database) -> None:
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            database.execute_sql(
                f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )


def _protect_postgresql(database: Database) -> None:
    # psycopg2 reads % as a placeholder even without parameters, hence %%.
    database.execute_sql(
        "CREATE OR REPLACE FUNCTION enclave_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%% is append-only: %% refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    for table in TABLES:
        database.execute_sql(
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION enclave_audit_refuse()"
        )
        database.execute_sql(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION enclave_audit_refuse()"
        )
        # A second wall: the application role loses the privileges as well. The table
        # owner could grant them back, so the triggers above stay the primary guard.
        database.execute_sql(
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER"
        )
