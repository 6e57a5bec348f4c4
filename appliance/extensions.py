"""Process-wide singletons, created unbound; create_app() attaches them."""

from flask_socketio import SocketIO

socketio = SocketIO()
