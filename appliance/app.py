"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Sequence

from flask import Flask
from flask import g
from flask import request
from peewee import Database

from appliance import errors
from appliance.db import bind_database
from appliance.extensions import socketio
from appliance.http import register_blueprints
from appliance.instance import InstanceError
from appliance.instance import load_keyring
from appliance.realtime import register_namespaces
from appliance.runtime import Runtime
from appliance.services.compliance import install_rules
from appliance.settings import Settings
from crypto.selftest import SelfTestResult
from crypto.selftest import run_selftest

log = logging.getLogger(__name__)


class SelfTestFailed(InstanceError):
    """A cryptographic known-answer test failed; the server must not serve."""


def create_app(
    settings: Settings,
    *,
    selftest: Callable[[], Sequence[SelfTestResult]] = run_selftest,
) -> Flask:
    """Build the application for the instance described by `settings`.

    Runs the cryptographic power-on self-test first and refuses to build an app
    (raises SelfTestFailed) if any known-answer test fails.
    """
    results = tuple(selftest())
    failed = [r.name for r in results if not r.passed]
    if failed:
        raise SelfTestFailed(f"crypto self-test failed: {', '.join(failed)}; refusing to serve")

    app = Flask("appliance")
    app.config.update(
        SECRET_KEY=settings.security.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.behind_tls,
        TESTING=settings.testing,
    )
    keyring = load_keyring(settings)
    database = bind_database(settings)
    app.extensions["enclave"] = Runtime(
        settings=settings, keyring=keyring, database=database, selftest=results
    )
    # A bad compliance rules file stops the start, naming the file and the rule.
    install_rules(app, settings)
    _manage_connections(app, database)
    socketio.init_app(
        app,
        async_mode=None if not settings.testing else "threading",
        # A chat event is at most a few KB; refuse anything far larger at the transport.
        max_http_buffer_size=max(65536, 4 * settings.chat.max_text_bytes),
        # The bank's pages that embed the widget (visitor.allowed_origins); None keeps
        # Flask-SocketIO's default, the appliance's own origin only.
        cors_allowed_origins=settings.visitor.origins or None,
    )
    app.extensions["enclave.namespaces"] = register_namespaces(socketio)
    errors.register(app)
    register_blueprints(app)
    log.info("app created for instance at %s", settings.data_dir)
    return app


def _manage_connections(app: Flask, database: Database) -> None:
    """One connection per request, closed when the request ends (peewee's Flask pattern).

    Held as a connection_context, which nests, so services that open their own
    context inside a request reuse this connection instead of closing it.
    """

    @app.before_request
    def connect() -> None:
        if request.blueprint == "health":  # probes manage their own connection
            return
        context = database.connection_context()
        context.__enter__()
        g.db_context = context

    @app.teardown_request
    def close(exc: BaseException | None) -> None:
        context = g.pop("db_context", None)
        if context is not None:
            context.__exit__(None, None, None)
