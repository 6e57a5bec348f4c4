"""What a serving process does when it starts and stops (gunicorn and `enclave serve`)."""

from __future__ import annotations

import logging

from flask import Flask

from appliance.jobs import audit_jobs_for
from appliance.jobs import start_audit_jobs
from appliance.runtime import Runtime
from appliance.services.audit_log import load_identity
from appliance.services.audit_log import sequence_pending
from appliance.services.lifecycle import do_record_server_start
from appliance.services.lifecycle import do_record_server_stop

log = logging.getLogger(__name__)


def server_started(app: Flask, *, server: str) -> None:
    """Audit the start (and any settings change), then start the audit jobs."""
    runtime: Runtime = app.extensions["enclave"]
    identity = load_identity(runtime.settings.keys_dir)
    with app.app_context():
        do_record_server_start(runtime.settings, runtime.keyring.blind_index(), server=server)
        start_audit_jobs(app, audit_jobs_for(runtime, identity, server))
    log.info("server %s started; audit jobs running", server)


def server_stopping(app: Flask, *, server: str, reason: str) -> None:
    """Audit a graceful stop and sequence it, so the stop is provable at once."""
    runtime: Runtime = app.extensions["enclave"]
    with app.app_context():
        do_record_server_stop(server=server, reason=reason)
        sequence_pending(load_identity(runtime.settings.keys_dir))
    log.info("server %s stopping (%s)", server, reason)
