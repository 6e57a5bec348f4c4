"""/healthz and /readyz, and the one JSON error shape."""

import pytest

from appliance import create_app
from appliance.app import SelfTestFailed
from crypto.selftest import SelfTestResult


def test_it_answers_healthz(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["ok"] is True
    assert response.json["status"] == "alive"


def test_it_answers_readyz_when_everything_is_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["selftest"] == "ok"
    assert response.json["checks"]["keys"].startswith("ok (sm4-gcm")


def test_it_reports_not_ready_when_the_database_cannot_be_opened(app, client, instance_dir):
    (instance_dir / "enclave.db").unlink()
    (instance_dir / "enclave.db").mkdir()  # a directory where the file should be

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json["ok"] is False
    assert response.json["checks"]["database"].startswith("unreachable")


def test_it_answers_unknown_paths_in_the_error_shape(client):
    response = client.get("/no/such/thing")

    assert response.status_code == 404
    assert response.json == {"ok": False, "code": "not_found", "error": "Not Found"}


def test_it_answers_wrong_methods_in_the_error_shape(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"


def test_it_refuses_to_build_an_app_when_a_selftest_fails(settings):
    def failing_selftest():
        return [SelfTestResult("SM4 block (GB/T 32907)", False, "mismatch")]

    with pytest.raises(SelfTestFailed, match="SM4 block"):
        create_app(settings, selftest=failing_selftest)
