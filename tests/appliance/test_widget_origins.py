"""visitor.allowed_origins: which web pages may open the widget's Socket.IO connection."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.settings import SettingsError
from appliance.settings import load_settings

POLL = "/socket.io/?EIO=4&transport=polling"


def _app(settings, origins: str):
    from appliance import create_app

    visitor = dataclasses.replace(settings.visitor, allowed_origins=origins)
    return create_app(dataclasses.replace(settings, visitor=visitor))


def test_it_refuses_other_origins_by_default(settings):
    client = _app(settings, "").test_client()
    assert client.get(POLL, headers={"Origin": "https://evil.example"}).status_code == 400
    same = client.get(POLL, headers={"Origin": "http://localhost"})
    assert same.status_code == 200


def test_it_admits_the_configured_bank_origins(settings):
    client = _app(settings, "https://www.bank.example, https://m.bank.example").test_client()
    ok = client.get(POLL, headers={"Origin": "https://m.bank.example"})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://m.bank.example"
    assert client.get(POLL, headers={"Origin": "https://evil.example"}).status_code == 400


@pytest.mark.parametrize("bad", ["www.bank.example", "https://bank.example/path", "*"])
def test_it_refuses_a_malformed_origin_setting(instance_dir, bad):
    with pytest.raises(SettingsError, match="not an origin"):
        load_settings(instance_dir, environ={"ENCLAVE_VISITOR_ALLOWED_ORIGINS": bad})
