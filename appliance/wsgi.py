"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py appliance.wsgi:app`.

The instance is named by ENCLAVE_DATA_DIR. gunicorn's gevent worker has already
monkey-patched the process when this module is imported. The worker audits its
start here and its stop in the worker_exit hook of config/gunicorn.conf.py.
"""

import os

from appliance import create_app
from appliance.lifecycle import server_started
from appliance.logs import configure_logging
from appliance.settings import DATA_DIR_ENV
from appliance.settings import load_settings

SERVER_NAME = "gunicorn"

_settings = load_settings(os.environ[DATA_DIR_ENV])
configure_logging(_settings.logging.level)
app = create_app(_settings)
server_started(app, server=SERVER_NAME)
