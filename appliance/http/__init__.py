"""HTTP transport: thin blueprints that authenticate, validate and call services."""

from flask import Flask

from appliance.http import health


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(health.bp)
