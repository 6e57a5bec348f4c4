"""docs/integrator-guide.md's customer-token code, run as printed: the instance file it shows
configures the appliance, the Python it shows makes tokens, and the appliance greets a visitor
who connects with one as that verified customer. Also: every data attribute the guides put on
the script tag is one the widget reads."""

from __future__ import annotations

import re
import time

import pytest

from appliance.extensions import socketio
from appliance.settings import load_settings
from tests.docs.docs_text import DOCS
from tests.docs.docs_text import ROOT
from tests.docs.docs_text import code_blocks

GUIDE = DOCS / "integrator-guide.md"
SECRET = "a-bank-secret-for-this-test-only-0123456789"


@pytest.fixture
def guide_code() -> dict[str, object]:
    """The guide's Python blocks, executed in order in one namespace (the worked example's
    own assert runs here too)."""
    namespace: dict[str, object] = {"__name__": "integrator_guide"}
    blocks = code_blocks(GUIDE, "python")
    assert len(blocks) >= 3, "the guide lost its token code"
    for block in blocks:
        exec(compile(block, str(GUIDE), "exec"), namespace)  # our own documentation
    return namespace


@pytest.fixture
def bank_app(instance_dir):
    """The appliance configured with the guide's own instance-file lines."""
    from appliance import create_app

    (toml,) = code_blocks(GUIDE, "toml")
    (instance_dir / "enclave.toml").write_text(toml, encoding="utf-8")
    secret_file = re.search(r'customer_token_secret_file = "([^"]+)"', toml).group(1)
    (instance_dir / secret_file).write_text(SECRET + "\n", encoding="utf-8")
    settings = load_settings(instance_dir, environ={})
    assert settings.visitor.customer_token_secret == SECRET
    assert settings.visitor.origins == ["https://www.bank.example", "https://m.bank.example"]
    return create_app(settings)


def _greeting(app, token):
    client = socketio.test_client(app, namespace="/visitor", auth={"customer_token": token})
    if not client.is_connected("/visitor"):
        return None
    received = client.get_received("/visitor")
    client.disconnect(namespace="/visitor")
    (started,) = [item["args"][0] for item in received if item["name"] == "session_started"]
    return started


@pytest.mark.parametrize("function", ["customer_token", "customer_token_pyjwt"])
def test_it_accepts_the_token_the_guides_code_makes(guide_code, bank_app, function):
    make = guide_code[function]
    started = _greeting(bank_app, make(SECRET, "CUST-0042", "李娜", vip=2))
    assert started is not None, "the appliance refused the documented token"
    assert started["visitor"]["kind"] == "customer"
    assert started["visitor"]["name"] == "李娜"
    assert started["visitor"]["vip"] == 2
    assert started["visitor_token"] is None  # the bank's site issues a fresh token each time


def test_it_refuses_a_token_with_another_secret_or_expired(guide_code, bank_app):
    make = guide_code["customer_token"]
    forged = make("not-the-shared-secret-0123456789abcdef", "CUST-0042", "Li Na")
    assert _greeting(bank_app, forged) is None
    expired = make(SECRET, "CUST-0042", "Li Na", now=int(time.time()) - 3600)
    assert _greeting(bank_app, expired) is None


def test_it_makes_the_same_token_with_the_standard_library_and_with_pyjwt(guide_code):
    args = (SECRET, "CUST-0077", "Wang Wei")
    stdlib = guide_code["customer_token"](*args, vip=1, now=1767225600)
    pyjwt = guide_code["customer_token_pyjwt"](*args, vip=1, now=1767225600)
    assert stdlib == pyjwt
    assert guide_code["token"].count(".") == 2  # the worked example ran (and asserted itself)


def test_it_documents_only_data_attributes_the_widget_reads():
    main = (ROOT / "widget" / "src" / "main.js").read_text(encoding="utf-8")
    read = {
        re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name)
        for name in re.findall(r"data\.(\w+)", main)
    }
    assert {"server", "language", "customer-token", "group", "color"} <= read, read
    for doc in (GUIDE, DOCS / "widget.md"):
        for html in code_blocks(doc, "html"):
            for attribute in re.findall(r"\bdata-([a-z-]+)=", html):
                assert attribute in read, (
                    f"{doc.name} shows data-{attribute}, which the widget ignores"
                )
