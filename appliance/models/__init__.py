"""peewee tables. Fields and indexes only: every write goes through services."""

from appliance.models.base import BaseModel
from appliance.models.instance import Instance

ALL_MODELS: list[type[BaseModel]] = [Instance]

__all__ = ["ALL_MODELS", "BaseModel", "Instance"]
