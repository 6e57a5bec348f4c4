"""HTTP transport: thin blueprints that authenticate, validate and call services."""

from flask import Flask

from appliance.http import _access
from appliance.http import auth
from appliance.http import canned_replies
from appliance.http import demo
from appliance.http import health
from appliance.http import queues
from appliance.http import reports
from appliance.http import supervision
from appliance.http import workbench


def register_blueprints(app: Flask) -> None:
    _access.install(app)  # deny by default, CSRF on writes: before any view
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(canned_replies.bp)
    demo.install(app)  # only on a demo instance (demo.enabled)
    app.register_blueprint(queues.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(workbench.bp)
