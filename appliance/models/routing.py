"""Routing configuration (migration 0005): queues (skill groups) and agents' skills.

A queue is a skill group: its `name` is the group that agents belong to
(`agent.groups`) and that conversations carry (`conversation.group`). The
structured parts are JSON text, validated on the way in by services/queues.py:
`display_name`, `welcome_message`, `queue_message` hold {"zh-CN": str, "en": str};
`overflow` a list of queue names, optionally ending in "leave_message"; `hours`
the form of routing/hours.py, or NULL for always open.

Every agent with routing data has one `agent_routing` row (its languages, sorted
and comma-separated), so routing_profiles() reads skills and languages in one join.
"""

from peewee import AutoField
from peewee import BigIntegerField
from peewee import BooleanField
from peewee import CharField
from peewee import IntegerField
from peewee import TextField

from appliance.models.base import BaseModel


class Queue(BaseModel):
    name = CharField(primary_key=True, max_length=64)
    display_name = TextField()
    strategy = CharField(max_length=16)  # least_busy | round_robin | longest_idle | manual
    required_skill = CharField(null=True, max_length=64)
    min_level = IntegerField(default=1)
    language = CharField(null=True, max_length=35)
    prefer_last_agent = BooleanField(default=False)
    max_queue_length = IntegerField(default=0)  # 0: unlimited
    max_wait_seconds = IntegerField(default=0)  # 0: unlimited
    overflow = TextField(default="[]")
    hours = TextField(null=True)
    welcome_message = TextField()
    queue_message = TextField()
    offer_timeout_seconds = IntegerField(default=0)  # 0: assign without an offer
    created_ms = BigIntegerField()
    updated_ms = BigIntegerField()

    class Meta:
        table_name = "queue"


class AgentSkill(BaseModel):
    id = AutoField()
    agent_id = IntegerField()
    skill = CharField(max_length=64)
    level = IntegerField()  # 1..5

    class Meta:
        table_name = "agent_skill"
        indexes = ((("agent_id", "skill"), True),)


class AgentRouting(BaseModel):
    agent_id = IntegerField(primary_key=True)
    languages = CharField(max_length=400)  # sorted, comma-separated language tags
    updated_ms = BigIntegerField()

    class Meta:
        table_name = "agent_routing"
