"""Numbered schema migrations, applied in order and recorded in schema_migration.

Each module `mNNNN_<name>.py` defines `up(database)`. Migrations declare the
tables they touch inline (frozen copies), never importing appliance models, so an
old migration keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model

from appliance import clock


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType


def available() -> list[Migration]:
    """Every migration shipped with this version, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(int(info.name[1:5]), info.name[6:], module))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must run 1..n without gaps, found {versions}")
    return found


def _ledger(database: Database) -> Any:  # a peewee model class
    class SchemaMigration(Model):
        version = IntegerField(primary_key=True)
        name = CharField()
        applied_at = CharField()

        class Meta:
            table_name = "schema_migration"

    SchemaMigration._meta.set_database(database)
    return SchemaMigration


def applied_versions(database: Database) -> set[int]:
    if not database.table_exists("schema_migration"):
        return set()
    ledger = _ledger(database)
    return {row.version for row in ledger.select(ledger.version)}


def pending(database: Database) -> list[Migration]:
    done = applied_versions(database)
    return [m for m in available() if m.version not in done]


def migrate(database: Database) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return them."""
    ledger = _ledger(database)
    with database.atomic():
        database.create_tables([ledger], safe=True)
    applied = []
    for migration in pending(database):
        with database.atomic():
            migration.module.up(database)
            ledger.create(
                version=migration.version,
                name=migration.name,
                applied_at=clock.utcnow().isoformat(timespec="milliseconds"),
            )
        applied.append(migration)
    return applied
