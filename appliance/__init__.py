"""Enclave Desk: the Flask + Flask-SocketIO application.

Kept import-light on purpose: `enclave serve` must monkey-patch gevent before
flask and friends are imported, so the factory is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask

    from appliance.settings import Settings


def create_app(settings: Settings, **kwargs: Any) -> Flask:
    """Build the application; see appliance.app.create_app."""
    from appliance.app import create_app as _create_app

    return _create_app(settings, **kwargs)
