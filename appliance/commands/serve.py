"""`enclave serve`: the development server (gevent). Production uses gunicorn."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from appliance.cli import DATA_DIR_OPTION
from appliance.commands._common import fail_cleanly
from appliance.commands._common import load_instance_settings


@click.command()
@DATA_DIR_OPTION
@click.option("--host", default=None, help="Override server.host.")
@click.option("--port", type=int, default=None, help="Override server.port.")
def serve(data_dir: Path, host: str | None, port: int | None) -> None:
    """Serve HTTP and Socket.IO with gevent (for development and demos)."""
    from appliance import create_app
    from appliance.extensions import socketio
    from appliance.lifecycle import server_started
    from appliance.lifecycle import server_stopping
    from appliance.logs import configure_logging

    settings = load_instance_settings(data_dir)
    configure_logging(settings.logging.level)
    try:
        app = create_app(settings)
    except Exception as exc:
        raise fail_cleanly(exc) from None
    host = host or settings.server.host
    port = port or settings.server.port
    server_started(app, server="enclave-serve")
    # SIGTERM (systemd, kill) ends serve_forever like Ctrl-C does, so the stop is audited.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Enclave Desk serving on http://{host}:{port}/  (health: /healthz, /readyz)")
    reason = "stopped"
    try:
        socketio.run(app, host=host, port=port, log_output=False)
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        server_stopping(app, server="enclave-serve", reason=reason)
