"""server.message_queue: validated at load, and what create_app builds from it.

The fan-out itself, between two real servers over a real Redis, is test_multinode.py."""

from __future__ import annotations

import dataclasses
import re

import pytest
import socketio as socketio_lib

from appliance import create_app
from appliance.extensions import socketio
from appliance.settings import SettingsError
from appliance.settings import load_settings


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://redis.bank.internal",
        "rediss://:s3cret@redis.bank.internal:6380/2",
        "redis://[::1]:6379",
    ],
)
def test_it_accepts_a_redis_url(tmp_path, url):
    settings = load_settings(tmp_path, environ={"ENCLAVE_SERVER_MESSAGE_QUEUE": url})
    assert settings.server.message_queue == url


def test_it_defaults_to_no_queue(tmp_path):
    assert load_settings(tmp_path, environ={}).server.message_queue == ""


@pytest.mark.parametrize(
    "url",
    [
        "amqp://rabbit:5672//",  # Flask-SocketIO would quietly take kombu for this
        "redis://host:6379/0?ssl_cert_reqs=none",
        "redis:/host",
        "127.0.0.1:6379",
        "zmq+tcp://127.0.0.1:5555",
    ],
)
def test_it_refuses_anything_else_without_echoing_it(tmp_path, url):
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={"ENCLAVE_SERVER_MESSAGE_QUEUE": url})
    message = str(caught.value)
    assert re.match(
        r"server\.message_queue: invalid value \(secret\) from ENCLAVE_SERVER_MESSAGE_QUEUE: "
        r"expected empty \(one node\) or redis://",
        message,
    ), message
    assert url not in message  # it may hold the Redis password


def test_it_never_shows_the_url_in_repr(tmp_path):
    url = "redis://:hunter2hunter2@redis:6379/0"
    settings = load_settings(tmp_path, environ={"ENCLAVE_SERVER_MESSAGE_QUEUE": url})
    assert "hunter2hunter2" not in repr(settings)


def test_the_app_fans_out_over_redis_on_the_installations_own_channel(instance_dir):
    # No Redis needed: under testing the manager subscribes at the first connection only.
    from appliance.db import db
    from appliance.models import Instance

    settings = load_settings(instance_dir, environ={})
    queued = dataclasses.replace(
        settings,
        server=dataclasses.replace(settings.server, message_queue="redis://127.0.0.1:6379/0"),
        testing=True,
    )
    app = create_app(queued)
    manager = socketio.server.manager
    assert isinstance(manager, socketio_lib.RedisManager)
    assert manager.redis_url == "redis://127.0.0.1:6379/0"
    with app.app_context(), db.connection_context():
        instance_id = Instance.get_by_id(1).instance_id
    assert manager.channel == f"enclave-desk:{instance_id}"

    # The next app without a queue keeps events in its process again.
    create_app(dataclasses.replace(settings, testing=True))
    assert not isinstance(socketio.server.manager, socketio_lib.PubSubManager)


@pytest.mark.slow
def test_a_node_whose_redis_is_down_still_stores_and_delivers_to_its_own_clients(tmp_path):
    from appliance.instance import init_instance
    from tests.appliance.live_chat import Gunicorn
    from tests.appliance.live_chat import LiveAgent
    from tests.appliance.live_chat import LiveVisitor
    from tests.appliance.live_chat import add_agent
    from tests.support import free_port
    from tests.support import poll

    data_dir = init_instance(tmp_path / "instance").data_dir
    add_agent(data_dir, "ann", "correct horse battery")
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = Gunicorn(data_dir, ENCLAVE_SERVER_MESSAGE_QUEUE=nobody).start()
    agent = visitor = None
    try:
        agent = LiveAgent(server.base, "ann", "correct horse battery")
        assert agent.call("set_status", {"status": "online", "capacity": 1})["ok"]
        visitor = LiveVisitor(server.base)
        conversation = visitor.call("start_conversation", {})["conversation"]
        payload = {"conversation_id": conversation["id"], "client_msg_id": "v1", "text": "hi"}
        assert visitor.call("send_message", payload)["ok"]
        poll(lambda: agent.received("message_posted"), timeout=10, what="local delivery")
        assert [m["text"] for m in agent.received("message_posted")] == ["hi"]
    finally:
        for party in (agent, visitor):
            if party is not None:
                party.close()
        server.stop()
