"""The base model: every table is bound to the process-wide database proxy."""

from peewee import Model

from appliance.db import db


class BaseModel(Model):
    class Meta:
        database = db
