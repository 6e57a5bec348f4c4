"""What a serving process does when it starts and stops (gunicorn and `enclave serve`).

Under gevent (every real server) it also sets up the database discipline of
appliance/db.py and services/_writer.py: the hub keeps one connection open for
reads, and a group-commit writer greenlet runs every mutation.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask

from appliance.db import db
from appliance.extensions import socketio
from appliance.jobs import audit_jobs_for
from appliance.jobs import start_audit_jobs
from appliance.realtime.agent import sweep_forever
from appliance.runtime import Runtime
from appliance.services._uow import install_runner
from appliance.services._uow import run_exclusive
from appliance.services.audit_log import load_identity
from appliance.services.audit_log import sequence_pending
from appliance.services.intent_routing import intent_rules
from appliance.services.lifecycle import do_record_server_start
from appliance.services.lifecycle import do_record_server_stop

log = logging.getLogger(__name__)

IDLE_SWEEP_SECONDS = 30.0


def _gevent_patched() -> bool:
    try:
        from gevent.monkey import is_module_patched
    except ImportError:  # pragma: no cover
        return False
    return bool(is_module_patched("threading"))


def server_started(app: Flask, *, server: str) -> None:
    """Audit the start (and any settings change), then start the writer and background jobs."""
    runtime: Runtime = app.extensions["enclave"]
    identity = load_identity(runtime.settings.keys_dir)
    if _gevent_patched():
        from appliance.realtime._pings import install_ping_timers
        from appliance.realtime._websocket import install_single_greenlet_websockets
        from appliance.services._writer import GroupCommitWriter
        from appliance.services.presence import sweep_forever as routing_sweep

        install_ping_timers()
        install_single_greenlet_websockets(socketio.server.eio)

        # The hub's shared read connection, held for the life of the process so
        # that requests and events never open or close one.
        db.connection_context().__enter__()
        writer = GroupCommitWriter(app)
        writer.start()
        install_runner(writer)
        app.extensions["enclave.writer"] = writer
        _, agents = app.extensions["enclave.namespaces"]
        idle_ms = runtime.settings.security.session_idle_minutes * 60_000
        socketio.start_background_task(sweep_forever, agents, IDLE_SWEEP_SECONDS, idle_ms)
        socketio.start_background_task(routing_sweep, app, runtime.settings.routing.sweep_seconds)
    # Build the intent rules and classifier now (~150 ms): a broken examples file
    # fails the start, not the first visitor's chat.
    intent_rules()
    with app.app_context():
        do_record_server_start(runtime.settings, runtime.keyring.blind_index(), server=server)
        start_audit_jobs(app, audit_jobs_for(runtime, identity, server))
    # What start-up built (modules, the app, settings) lives as long as the process:
    # out of the collector's generations, so a full collection under load does not
    # walk it again each time (a tail-latency stall otherwise).
    gc.collect()
    gc.freeze()
    log.info("server %s started; audit jobs running", server)


def server_stopping(app: Flask, *, server: str, reason: str) -> None:
    """Audit a graceful stop and sequence it, so the stop is provable at once."""
    runtime: Runtime = app.extensions["enclave"]
    with app.app_context():
        do_record_server_stop(server=server, reason=reason)
        run_exclusive(lambda: sequence_pending(load_identity(runtime.settings.keys_dir)))
    writer = app.extensions.get("enclave.writer")
    if writer is not None:
        writer.stop()  # first: see GroupCommitWriter.stop
        install_runner(None)
    log.info("server %s stopping (%s)", server, reason)
