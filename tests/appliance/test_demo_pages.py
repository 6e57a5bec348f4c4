"""/demo/…: the demo visitor widget and agent page, `enclave demo setup` and `make run`.

The pages are served by a demo instance only (demo.enabled): the `settings` fixture
here is one; a fresh instance, as `enclave init` makes it, serves none.
"""

import dataclasses
import json
import os
import re
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.http._pages import CONTENT_SECURITY_POLICY
from appliance.settings import load_settings
from tests.support import require
from tests.support import require_executable

ROOT = Path(__file__).resolve().parents[2]
DEMO_STATIC = ROOT / "appliance" / "static" / "demo"
VENDORED = ROOT / "appliance" / "static" / "vendor" / "socket.io.min.js"
WIDGET_SOURCE = ROOT / "widget" / "src"
PAGES = ("/demo/", "/demo/visitor", "/demo/agent", "/demo/widget")
EXTERNAL = ("http://", "https://", "//cdn")


@pytest.fixture
def settings(instance_dir):
    """A demo instance: demo.enabled on, as `enclave demo setup` leaves it."""
    demo = load_settings(instance_dir, environ={}, overrides={"demo.enabled": True})
    return dataclasses.replace(demo, testing=True)


def app_of(instance_dir):
    """The app of the instance in `instance_dir`, with its settings as they stand."""
    from appliance import create_app

    return create_app(dataclasses.replace(load_settings(instance_dir, environ={}), testing=True))


class References(HTMLParser):
    """What a page loads (script src, link href) and whatever it would run inline."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.loads.append(attributes["src"])
            else:
                self.inline.append("<script> without src")
        if tag == "link" and attributes.get("href"):
            self.loads.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append("inline script body")


def references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", PAGES)
def test_it_serves_each_page_with_a_strict_content_security_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", PAGES)
def test_it_runs_nothing_inline_and_loads_only_from_the_appliance(client, path):
    html = client.get(path).get_data(as_text=True)

    found = references(html)

    assert found.inline == []
    assert found.loads, "the page loads no stylesheet or script"
    for url in found.loads:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    for marker in EXTERNAL:
        assert marker not in html


def test_it_links_both_pages_from_the_index(client):
    html = client.get("/demo/").get_data(as_text=True)

    assert 'href="/demo/visitor"' in html
    assert 'href="/demo/agent"' in html
    assert 'href="/demo/widget"' in html


@pytest.mark.parametrize("name", ["chat.js", "visitor.js", "agent.js", "demo.css"])
def test_it_serves_the_demo_assets_without_external_urls(client, name):
    response = client.get(f"/static/demo/{name}")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body == (DEMO_STATIC / name).read_text(encoding="utf-8")
    for marker in EXTERNAL:
        assert marker not in body
    assert "import(" not in body  # no dynamic imports of anything


def test_it_never_renders_chat_data_as_markup():
    scripts = sorted(DEMO_STATIC.glob("*.js")) + sorted(WIDGET_SOURCE.glob("*.js"))
    assert {path.name for path in scripts} >= {"chat.js", "visitor.js", "agent.js", "widget.js"}

    for path in scripts:
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


def test_it_resends_a_lost_message_with_the_same_client_msg_id():
    """Static check of the rules a browser test will exercise: 5 s ack timeout, same payload."""
    chat = (DEMO_STATIC / "chat.js").read_text(encoding="utf-8")

    assert "export const ACK_TIMEOUT_MS = 5000;" in chat
    assert "socket.timeout(ACK_TIMEOUT_MS).emit(event, payload" in chat
    assert "crypto.randomUUID()" in chat
    for page in ("visitor.js", "agent.js"):
        source = (DEMO_STATIC / page).read_text(encoding="utf-8")
        assert 'emitReliably(socket, "send_message", payload' in source, page


def test_it_serves_the_vendored_socketio_client(client):
    require(VENDORED.is_file(), "the Socket.IO client is not built (run `make assets`)")
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/socket.io-client"]["version"]

    response = client.get("/static/vendor/socket.io.min.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert body.startswith(f"/*!\n * Socket.IO v{version}\n")
    assert "//cdn" not in body
    page = client.get("/demo/visitor").get_data(as_text=True)
    assert "/static/vendor/socket.io.min.js" in references(page).loads
    assert "make assets" not in page


def test_it_says_what_is_missing_when_the_client_is_not_built(app, client, tmp_path):
    app.static_folder = str(tmp_path)  # a static directory without vendor/

    for path in ("/demo/visitor", "/demo/agent"):
        response = client.get(path)

        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "The Socket.IO client is not built" in html
        assert "make assets" in html
        assert not any("vendor/" in url for url in references(html).loads)


def test_it_embeds_the_widget_with_one_script_tag(app, client, tmp_path):
    require(
        (ROOT / "appliance" / "static" / "widget" / "enclave-widget.js").is_file(),
        "the widget is not built (run `make assets`)",
    )
    scripts = references(client.get("/demo/widget").get_data(as_text=True)).loads
    assert [url for url in scripts if url.endswith(".js")] == ["/static/widget/enclave-widget.js"]
    assert client.get("/static/widget/enclave-widget.css").status_code == 200

    app.static_folder = str(tmp_path)  # not built
    html = client.get("/demo/widget").get_data(as_text=True)
    assert "The visitor widget is not built" in html
    assert "enclave-widget.js" not in html


def test_it_pins_the_socketio_client_exactly():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))

    pinned = package["dependencies"]["socket.io-client"]
    assert package["private"] is True
    # Nothing runs at install time and nothing downloads later: the only scripts are the
    # widget and workbench builds that `make assets` calls explicitly.
    assert set(package.get("scripts", {})) == {"build:widget", "build:workbench"}
    for script in package["scripts"].values():
        assert script.startswith("vite build "), script
    for name in ("vite", "@vitejs/plugin-vue"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"][name]), name
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["dependencies"]["vue"])
    assert re.fullmatch(r"4\.\d+\.\d+", pinned), pinned  # Socket.IO protocol 5
    assert lock["packages"]["node_modules/socket.io-client"]["version"] == pinned
    assert lock["packages"][""]["dependencies"]["socket.io-client"] == pinned


# --- enclave demo setup -------------------------------------------------------------------


@pytest.fixture
def setup_demo(instance_dir):
    from appliance.commands import cli
    from appliance.db import db

    runner = CliRunner()

    def run():
        result = runner.invoke(cli, ["demo", "setup", "--data-dir", str(instance_dir)])
        assert result.exit_code == 0, result.output
        return result.output

    yield run
    db.close()


def passwords_in(text):
    return dict(re.findall(r"user (\S+)\s+password (\S+)", text))


def test_it_creates_the_demo_accounts_and_a_private_credentials_file(setup_demo, instance_dir):
    from appliance.queries.directory import list_users

    output = setup_demo()

    credentials = instance_dir / "demo-credentials.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert output == credentials.read_text(encoding="utf-8")
    passwords = passwords_in(output)
    assert set(passwords) == {"demo-agent", "demo-wealth", "demo-supervisor"}
    assert all(len(password) >= 16 for password in passwords.values())
    users = {user.username: user for user in list_users()}
    assert users["demo-agent"].roles == ("agent", "pii_viewer")  # the demo shows Reveal
    assert users["demo-wealth"].roles == ("agent",)  # and an agent without it
    assert users["demo-supervisor"].roles == ("supervisor",)
    assert users["demo-agent"].groups == ("cards", "general")
    assert users["demo-wealth"].groups == ("general", "wealth")
    assert users["demo-supervisor"].groups == ("cards", "general", "wealth")
    from appliance.queries.routing import get_queue
    from appliance.queries.routing import routing_profile

    assert get_queue("cards").required_skill == "cards"
    assert get_queue("wealth").required_skill == "wealth"
    assert routing_profile(users["demo-agent"].id).skills == {"cards": 4}
    assert routing_profile(users["demo-wealth"].id).skills == {"wealth": 4}


def test_it_creates_accounts_that_can_sign_in(setup_demo, settings):
    from appliance.services.sign_in import LoginOutcome
    from appliance.services.sign_in import do_login

    passwords = passwords_in(setup_demo())

    for username, password in passwords.items():
        result = do_login(username=username, password=password, policy=settings.security)
        assert result.outcome is LoginOutcome.SIGNED_IN, username


def test_it_only_prints_the_credentials_when_run_again(setup_demo, instance_dir):
    from appliance.queries.directory import list_users

    first = setup_demo()
    before = list_users()

    second = setup_demo()

    assert second == first
    assert list_users() == before


def test_it_chooses_new_random_passwords_for_each_instance(setup_demo, tmp_path):
    from appliance.commands import cli
    from appliance.instance import init_instance

    other = init_instance(tmp_path / "other").data_dir
    first = passwords_in(setup_demo())

    result = CliRunner().invoke(cli, ["demo", "setup", "--data-dir", str(other)])

    assert result.exit_code == 0, result.output
    second = passwords_in(result.output)
    assert set(first.values()).isdisjoint(second.values())


def test_it_lets_the_demo_agent_log_in_as_the_agent_page_does(setup_demo, client):
    passwords = passwords_in(setup_demo())
    token = client.get("/api/v1/auth/session").json["csrf_token"]

    response = client.post(
        "/api/v1/auth/login",
        json={"username": "demo-agent", "password": passwords["demo-agent"]},
        headers={"X-CSRF-Token": token},
    )

    assert response.status_code == 200, response.json
    assert response.json["agent"]["username"] == "demo-agent"
    assert client.get("/api/v1/auth/session").json["agent"]["roles"] == ["agent", "pii_viewer"]


# --- demo.enabled: only a demo instance serves the pages ----------------------------------


def test_a_fresh_instance_serves_no_demo_page_and_links_none(instance_dir):
    app = app_of(instance_dir)
    client = app.test_client()
    unknown = client.get("/no-such-page")

    assert load_settings(instance_dir, environ={}).demo.enabled is False
    assert unknown.json == {"ok": False, "code": "not_found", "error": "Not Found"}
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/demo")]
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json == unknown.json, path  # like any unknown path
    workbench = client.get("/workbench/").get_data(as_text=True)
    assert 'href="/demo' not in workbench


def test_demo_setup_turns_the_demo_pages_on(setup_demo, instance_dir):
    instance_file = instance_dir / "enclave.toml"
    assert load_settings(instance_dir, environ={}).demo.enabled is False

    setup_demo()
    setup_demo()  # run again, it changes nothing

    assert load_settings(instance_dir, environ={}).demo.enabled is True
    assert instance_file.read_text(encoding="utf-8").count("enabled = true") == 1
    client = app_of(instance_dir).test_client()
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_demo_setup_keeps_an_operator_who_turned_the_pages_off(setup_demo, instance_dir):
    instance_file = instance_dir / "enclave.toml"
    text = instance_file.read_text(encoding="utf-8")
    instance_file.write_text(text + "\n[demo]\nenabled = false\n", encoding="utf-8")

    setup_demo()

    assert load_settings(instance_dir, environ={}).demo.enabled is False
    assert app_of(instance_dir).test_client().get("/demo/").status_code == 404


# --- make run -------------------------------------------------------------------------------


def make_run_commands(*variables, **environ):
    """The commands `make run` would run (make -n: nothing is run), for `variables` given on
    the command line and `environ` added to an environment without PORT or HOST."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "MAKEFLAGS")}
    result = subprocess.run(
        [require_executable("make"), "-n", "run", *variables],
        cwd=ROOT,
        env={**clean, **environ},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    ("variables", "environ", "address"),
    [
        ((), {}, "127.0.0.1:8080"),
        (("PORT=9123", "HOST=0.0.0.0"), {}, "0.0.0.0:9123"),
        ((), {"PORT": "9124", "HOST": "build-host.example"}, "127.0.0.1:9124"),
    ],
    ids=["defaults", "command-line", "environment"],
)
def test_make_run_serves_and_prints_one_address(variables, environ, address):
    host, port = address.split(":")

    commands = make_run_commands(*variables, **environ)

    assert f"ENCLAVE_SERVER_HOST={host} ENCLAVE_SERVER_PORT={port}" in commands
    printed = re.findall(r"http://[^/\s]+/", commands)
    assert len(printed) == 4
    assert set(printed) == {f"http://{address}/"}
