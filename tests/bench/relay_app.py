"""The bare relay the chat benchmarks compare the product with (no DB, no crypto, no audit).

    gunicorn -k gevent -w 1 --worker-connections 20000 -b 127.0.0.1:PORT \
        --pythonpath tests/bench relay_app:app

Same framework and worker as the product (Flask-SocketIO, gunicorn's gevent
worker carrying WebSockets through simple-websocket, one worker) and, like the
product, SECRET_KEY set: Flask sessions alone cost ~15 % of relay throughput
(research/performance-anchors.md, trap 4), so the baseline must pay them too.
It speaks the shape of docs/protocol.md closely enough for tests/bench/loadgen.py
to drive either server: /agent and /visitor, `set_status`, `start_conversation`,
`send_message` acked `{"ok": true, "message": {..., "seq": n}}` and relayed to
the agent as `message_posted`, in a room named after the conversation.
Pairing is given, not computed: agent and visitor connect with auth {"pair": i}
and visitor i's conversation goes to agent i. A visitor with auth {} (the idle
benchmark) just gets `session_started`.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask import request
from flask_socketio import SocketIO
from flask_socketio import join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = os.urandom(32).hex()
socketio = SocketIO(app)

agents_by_pair: dict[object, str] = {}  # pair id -> agent sid
visitors: dict[str, dict] = {}  # visitor sid -> {"pair", "conversation"}
sequences: dict[str, int] = {}  # conversation id -> last seq


@socketio.on("connect", namespace="/agent")
def agent_connected(auth: dict | None) -> None:
    agents_by_pair[(auth or {}).get("pair")] = request.sid
    socketio.emit(
        "agent_state",
        {"agent": {"id": request.sid, "name": "Agent", "status": "offline"}, "conversations": []},
        to=request.sid,
        namespace="/agent",
    )


@socketio.on("set_status", namespace="/agent")
def set_status(data: dict) -> dict:
    return {"ok": True, "agent": {"status": data["status"], "capacity": data.get("capacity", 4)}}


@socketio.on("close_conversation", namespace="/agent")
def close_conversation(data: dict) -> dict:
    return {"ok": True, "conversation": {"id": data["conversation_id"], "status": "closed"}}


@socketio.on("connect", namespace="/visitor")
def visitor_connected(auth: dict | None) -> None:
    visitors[request.sid] = {"pair": (auth or {}).get("pair"), "conversation": None}
    visitor = {"id": request.sid, "name": "Visitor", "kind": "anonymous", "vip": 0}
    socketio.emit(
        "session_started",
        {"visitor_token": request.sid, "visitor": visitor, "conversation": None},
        to=request.sid,
        namespace="/visitor",
    )


@socketio.on("disconnect", namespace="/visitor")
def visitor_disconnected(reason: object = None) -> None:
    visitors.pop(request.sid, None)


@socketio.on("start_conversation", namespace="/visitor")
def start_conversation(data: dict) -> dict:
    visitor = visitors[request.sid]
    agent_sid = agents_by_pair.get(visitor["pair"])
    if agent_sid is None:
        return {"ok": False, "code": "not_found", "error": "no agent for this pair"}
    conversation_id = uuid.uuid4().hex
    visitor["conversation"] = conversation_id
    sequences[conversation_id] = 0
    join_room(conversation_id, namespace="/visitor")
    join_room(conversation_id, sid=agent_sid, namespace="/agent")
    conversation = {"id": conversation_id, "status": "assigned", "last_seq": 0}
    socketio.emit("conversation_assigned", conversation, to=agent_sid, namespace="/agent")
    return {"ok": True, "conversation": conversation}


@socketio.on("send_message", namespace="/visitor")
def send_message(data: dict) -> dict:
    conversation_id = data["conversation_id"]
    if visitors[request.sid]["conversation"] != conversation_id:
        return {"ok": False, "code": "not_found", "error": "no such conversation"}
    seq = sequences[conversation_id] = sequences[conversation_id] + 1
    message = {
        "conversation_id": conversation_id,
        "seq": seq,
        "client_msg_id": data["client_msg_id"],
        "sender": {"type": "visitor", "id": request.sid, "name": "Visitor"},
        "kind": "text",
        "text": data["text"],
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    socketio.emit("message_posted", message, to=conversation_id, namespace="/agent")
    return {"ok": True, "message": message, "duplicate": False}
