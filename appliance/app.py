"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Sequence

import socketio as socketio_lib
from flask import Flask
from flask import g
from flask import request
from peewee import Database
from werkzeug.middleware.proxy_fix import ProxyFix

from appliance import errors
from appliance.db import bind_database
from appliance.extensions import socketio
from appliance.http import register_blueprints
from appliance.instance import InstanceError
from appliance.instance import load_keyring
from appliance.realtime import register_namespaces
from appliance.realtime.origins import engineio_origins
from appliance.realtime.origins import refuse_jsonp
from appliance.runtime import Runtime
from appliance.services.compliance import install_rules
from appliance.settings import Settings
from crypto.selftest import SelfTestResult
from crypto.selftest import run_selftest

log = logging.getLogger(__name__)

REDIS_CONNECT_TIMEOUT_S = 5


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
        # The appliance's own pages and the bank's that embed the widget
        # (visitor.allowed_origins); /agent admits its own only (realtime/origins.py).
        cors_allowed_origins=engineio_origins(settings.visitor.origins),
        # Always given, so an app built after one with a queue (tests) never keeps its manager.
        client_manager=_client_manager(settings, database),
    )
    app.wsgi_app = refuse_jsonp(app.wsgi_app)  # type: ignore[method-assign]
    if settings.server.message_queue and not settings.testing:
        # Subscribe now, not at the first client's connect (python-socketio's default):
        # events other nodes publish before a node subscribes never reach it.
        socketio.server.manager_initialized = True
        socketio.server.manager.initialize()
    if settings.server.trusted_proxies:
        # Outermost, around Engine.IO too: sign-ins, HTTP changes and Socket.IO connects
        # are all audited with the client's address, not the proxy's.
        n = settings.server.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.extensions["enclave.namespaces"] = register_namespaces(socketio)
    errors.register(app)
    register_blueprints(app)
    log.info("app created for instance at %s", settings.data_dir)
    return app


def _client_manager(settings: Settings, database: Database) -> socketio_lib.Manager | None:
    """Several nodes: Socket.IO events fan out over Redis (server.message_queue).

    Every emit, from a handler, the group-commit writer's after-commit callbacks or a
    background sweep, is then published once and delivered by each node to its own
    connections in the rooms named. The channel is the installation's id (shared by its
    nodes through the database): Redis pub/sub ignores the db number in the URL, so
    two installations on one Redis must not share a channel.
    """
    if not settings.server.message_queue:
        return None
    from appliance.models import Instance

    with database.connection_context():
        instance_id = Instance.get_by_id(1).instance_id
    return socketio_lib.RedisManager(
        settings.server.message_queue,
        channel=f"enclave-desk:{instance_id}",
        # An emit waits for its publish: an unreachable Redis must not hold it for the
        # OS's TCP timeout. No read timeout: the subscriber blocks on purpose.
        redis_options={"socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S},
    )


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
