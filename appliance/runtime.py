"""What a running app holds besides Flask config: settings, keys, self-test results."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from peewee import Database

from appliance.settings import Settings
from crypto.keyring import KeyRing
from crypto.selftest import SelfTestResult


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    keyring: KeyRing
    database: Database
    selftest: tuple[SelfTestResult, ...]


def current_runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["enclave"]
    return runtime
