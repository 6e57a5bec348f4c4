"""Liveness and readiness probes for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify

from appliance import migrations
from appliance.http._access import requires
from appliance.permissions import Permission
from appliance.runtime import current_runtime
from appliance.version import __version__

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@requires(Permission.PUBLIC)
def healthz() -> Response:
    """The process is up and answering."""
    return jsonify({"ok": True, "status": "alive", "version": __version__})


@bp.get("/readyz")
@requires(Permission.PUBLIC)
def readyz() -> tuple[Response, int]:
    """The instance can serve: database reachable and migrated, keys open, self-test passed."""
    runtime = current_runtime()
    checks: dict[str, str] = {}
    try:
        with runtime.database.connection_context():
            runtime.database.execute_sql("SELECT 1")
            waiting = migrations.pending(runtime.database)
        checks["database"] = "ok" if not waiting else f"{len(waiting)} migration(s) pending"
    except Exception as exc:  # any driver error means "not ready", reported by class only
        checks["database"] = f"unreachable ({type(exc).__name__})"
    checks["keys"] = f"ok ({runtime.keyring.algorithm.label}, key {runtime.keyring.current_key_id})"
    checks["selftest"] = "ok" if all(r.passed for r in runtime.selftest) else "failed"
    ready = all(value.startswith("ok") for value in checks.values())
    body = {"ok": ready, "status": "ready" if ready else "not_ready", "checks": checks}
    return jsonify(body), 200 if ready else 503
