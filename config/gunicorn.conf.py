"""gunicorn configuration for production.

    ENCLAVE_DATA_DIR=/var/lib/enclave gunicorn -c config/gunicorn.conf.py appliance.wsgi:app

Flask-SocketIO needs exactly ONE worker per gunicorn process (a Socket.IO
session lives in one process); scale out by running several gunicorn instances
behind nginx with sticky sessions and the Redis message queue.
The gevent worker carries WebSockets through appliance/realtime/_websocket.py
(one greenlet each), simple-websocket where that does not apply.
Bind address and connection limit come from the instance settings
(server.host, server.port, server.max_connections).
"""

import os

from appliance.settings import DATA_DIR_ENV
from appliance.settings import load_settings

_settings = load_settings(os.environ[DATA_DIR_ENV])

bind = f"{_settings.server.host}:{_settings.server.port}"
worker_class = "gevent"
workers = 1
# Each visitor and agent holds one connection; gunicorn's default of 1000 is far too low.
worker_connections = _settings.server.max_connections
# Socket.IO long-polling requests wait up to the ping interval; keep timeouts above it.
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# No runtime control socket: gunicorn 27 puts every instance's at the same default
# path (~/.gunicorn/gunicorn.ctl), so several nodes on one host would take each
# other's; the appliance is managed by systemd and `enclave`, not gunicornc.
control_socket_disable = True
# Access log lines carry the path only: query strings may hold visitor tokens.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def worker_exit(server, worker):
    """Audit the worker's graceful stop (SIGTERM/SIGINT/SIGQUIT reach here; SIGKILL cannot)."""
    import sys

    wsgi = sys.modules.get("appliance.wsgi")
    if wsgi is not None:
        from appliance.lifecycle import server_stopping

        server_stopping(wsgi.app, server=wsgi.SERVER_NAME, reason="worker exit")
