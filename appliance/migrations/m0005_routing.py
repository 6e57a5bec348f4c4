"""Routing configuration: queues (skill groups), agents' skills and languages.

Creates the queue "general" (least busy, always open, no overflow), which every
conversation used before queues existed, and one queue like it for every other
group already named by an account or an open conversation, so existing
assignments keep working unchanged.
"""

import json
import re

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BooleanField
from peewee import CharField
from peewee import Database
from peewee import IntegerField
from peewee import Model
from peewee import TextField

from appliance import clock

GROUP = re.compile(r"[a-z0-9_.-]{1,64}\Z")
NO_MESSAGE = json.dumps({"zh-CN": "", "en": ""}, ensure_ascii=False)


def up(database: Database) -> None:
    class Queue(Model):
        name = CharField(primary_key=True, max_length=64)
        display_name = TextField()
        strategy = CharField(max_length=16)
        required_skill = CharField(null=True, max_length=64)
        min_level = IntegerField(default=1)
        language = CharField(null=True, max_length=35)
        prefer_last_agent = BooleanField(default=False)
        max_queue_length = IntegerField(default=0)
        max_wait_seconds = IntegerField(default=0)
        overflow = TextField(default="[]")
        hours = TextField(null=True)
        welcome_message = TextField()
        queue_message = TextField()
        offer_timeout_seconds = IntegerField(default=0)
        created_ms = BigIntegerField()
        updated_ms = BigIntegerField()

        class Meta:
            table_name = "queue"

    class AgentSkill(Model):
        id = AutoField()
        agent_id = IntegerField()
        skill = CharField(max_length=64)
        level = IntegerField()

        class Meta:
            table_name = "agent_skill"
            indexes = ((("agent_id", "skill"), True),)

    class AgentRouting(Model):
        agent_id = IntegerField(primary_key=True)
        languages = CharField(max_length=400)
        updated_ms = BigIntegerField()

        class Meta:
            table_name = "agent_routing"

    models = [Queue, AgentSkill, AgentRouting]
    database.bind(models)
    database.create_tables(models)

    names = {"general"} | _groups_in_use(database)
    now = clock.now_ms()
    display = {"general": {"zh-CN": "综合咨询", "en": "General"}}
    Queue.insert_many(
        [
            {
                "name": name,
                "display_name": json.dumps(
                    display.get(name, {"zh-CN": name, "en": name}), ensure_ascii=False
                ),
                "strategy": "least_busy",
                "welcome_message": NO_MESSAGE,
                "queue_message": NO_MESSAGE,
                "created_ms": now,
                "updated_ms": now,
            }
            for name in sorted(names)
        ]
    ).execute()


def _groups_in_use(database: Database) -> set[str]:
    found: set[str] = set()
    for (groups,) in database.execute_sql('SELECT "groups" FROM "agent"').fetchall():
        found.update(str(groups).split(","))
    cursor = database.execute_sql(
        """SELECT DISTINCT "group" FROM "conversation" WHERE "status" <> 'closed'"""
    )
    found.update(str(group) for (group,) in cursor.fetchall())
    return {name for name in found if GROUP.match(name) and name != "leave_message"}
