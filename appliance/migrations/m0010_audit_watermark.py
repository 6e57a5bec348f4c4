"""The audit sequencer's low-water mark on PostgreSQL (docs/audit.md, "Concurrency").

audit_event.txid         the 64-bit id of the transaction that inserted the row
                         (pg_current_xact_id(), the top-level one even inside a
                         savepoint); indexed with id, the order the sequencer
                         reads pending events in on PostgreSQL
audit_sequencer_state    one row: every audit event before (low_xid, low_id), in
                         that order, is sequenced; system_identifier names the
                         cluster whose transaction ids low_xid counts (a restore
                         into another cluster invalidates it)

Rows that exist before this migration get txid 0 (a constant default, so the
column is added without rewriting the table) and the mark starts at 0: the first
sequencer round reads every unsequenced event, as before. Only then does the
default become pg_current_xact_id().

audit_sequencer_state is bookkeeping, not audit data: the sequencer UPDATEs it,
so the append-only triggers of migration 0002 do not cover it. Losing or forging
it can delay events (they stay pending) or hide them from the sequencer, never
alter one: the Merkle tree and signed checkpoints still cover every leaf.

SQLite: nothing. One writer at a time commits ids in order there, so the last
sequenced id is the mark (services/audit_store.py).
"""

from peewee import Database
from peewee import PostgresqlDatabase


def up(database: Database) -> None:
    if not isinstance(database, PostgresqlDatabase):
        return
    database.execute_sql("ALTER TABLE audit_event ADD COLUMN txid xid8 NOT NULL DEFAULT '0'")
    database.execute_sql(
        "ALTER TABLE audit_event ALTER COLUMN txid SET DEFAULT pg_current_xact_id()"
    )
    database.execute_sql("CREATE INDEX audit_event_txid ON audit_event (txid, id)")
    database.execute_sql(
        "CREATE TABLE audit_sequencer_state ("
        " id integer PRIMARY KEY CHECK (id = 1),"
        " low_xid xid8 NOT NULL,"
        " low_id bigint NOT NULL,"
        " system_identifier bigint NOT NULL)"
    )
    database.execute_sql(
        "INSERT INTO audit_sequencer_state (id, low_xid, low_id, system_identifier)"
        " SELECT 1, '0', 0, system_identifier FROM pg_control_system()"
    )
