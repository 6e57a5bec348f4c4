"""Deny by default: every HTTP endpoint of the real app declares the permission it needs."""

from appliance.http._access import declared_permission
from appliance.permissions import Permission

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


def endpoints(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


def test_every_endpoint_declares_a_permission(app):
    undeclared = [e for e in endpoints(app) if declared_permission(app, e) is None]

    assert undeclared == [], (
        f"endpoints without @requires(...): {undeclared}; put @requires(Permission.X) "
        "directly under the route decorator"
    )


def test_the_sign_in_endpoints_and_probes_are_public(app):
    for endpoint in PUBLIC_ENDPOINTS & set(endpoints(app)):
        assert declared_permission(app, endpoint) is Permission.PUBLIC, endpoint


def test_public_endpoints_are_only_the_expected_ones(app):
    public = {e for e in endpoints(app) if declared_permission(app, e) is Permission.PUBLIC}
    unexpected = {e for e in public - PUBLIC_ENDPOINTS if not e.startswith("demo.")}

    assert unexpected == set(), f"new PUBLIC endpoints, review them: {sorted(unexpected)}"
