"""Deny by default: every HTTP endpoint of the real app declares the permission it needs.

Reviewed on both kinds of instance: a production one (demo.enabled off, the default) and
a demo one, which also serves the demo pages.
"""

import dataclasses

import pytest

from appliance.http._access import declared_permission
from appliance.permissions import Permission
from appliance.settings import load_settings

# Deliberately public: probes, sign-in, and Flask's static files. Adding one is a decision.
PUBLIC_ENDPOINTS = {
    "static",
    "health.healthz",
    "health.readyz",
    "auth.current_session",
    "auth.login",
    "auth.logout",
    "workbench.index",  # the shell page: signing in happens inside it
}
# The demo pages (http/demo.py): public so that anyone can try a chat without an account;
# they hold no data (they are Socket.IO clients, which authorize every event). Served
# only by a demo instance: demo.enabled, off unless `enclave demo setup` turns it on.
DEMO_PUBLIC_ENDPOINTS = {"demo.index", "demo.visitor", "demo.agent", "demo.widget"}


@pytest.fixture(params=[False, True], ids=["production", "demo"])
def app(request, instance_dir):
    from appliance import create_app

    settings = load_settings(instance_dir, environ={}, overrides={"demo.enabled": request.param})
    return create_app(dataclasses.replace(settings, testing=True))


def endpoints(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


def expected_public(app):
    demo = app.extensions["enclave"].settings.demo.enabled
    return PUBLIC_ENDPOINTS | (DEMO_PUBLIC_ENDPOINTS if demo else set())


def test_every_endpoint_declares_a_permission(app):
    undeclared = [e for e in endpoints(app) if declared_permission(app, e) is None]

    assert undeclared == [], (
        f"endpoints without @requires(...): {undeclared}; put @requires(Permission.X) "
        "directly under the route decorator"
    )


def test_the_sign_in_endpoints_and_probes_are_public(app):
    for endpoint in expected_public(app) & set(endpoints(app)):
        assert declared_permission(app, endpoint) is Permission.PUBLIC, endpoint


def test_public_endpoints_are_only_the_expected_ones(app):
    public = {e for e in endpoints(app) if declared_permission(app, e) is Permission.PUBLIC}
    unexpected = public - expected_public(app)

    assert unexpected == set(), f"new PUBLIC endpoints, review them: {sorted(unexpected)}"


def test_the_demo_pages_exist_only_on_a_demo_instance(app):
    demo = {e for e in endpoints(app) if e.startswith("demo.")}

    assert demo == (DEMO_PUBLIC_ENDPOINTS & expected_public(app))
