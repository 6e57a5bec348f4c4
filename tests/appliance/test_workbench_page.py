"""/workbench/: the shell page of the agent workbench (the Vue app built from workbench/)."""

from pathlib import Path

from appliance.http._pages import CONTENT_SECURITY_POLICY
from tests.appliance.test_demo_pages import EXTERNAL
from tests.appliance.test_demo_pages import references
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "workbench" / "src"
BUILT = ROOT / "appliance" / "static" / "workbench" / "workbench.js"


def test_it_serves_the_shell_with_the_strict_content_security_policy(client):
    response = client.get("/workbench/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"


def test_it_runs_nothing_inline_and_loads_only_its_own_bundle(client):
    require(BUILT.is_file(), "the workbench is not built (run `make assets`)")
    html = client.get("/workbench/").get_data(as_text=True)

    found = references(html)

    assert found.inline == []
    assert sorted(url for url in found.loads if "/workbench/" in url) == [
        "/static/workbench/workbench.css",
        "/static/workbench/workbench.js",
    ]
    for url in found.loads:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    for marker in EXTERNAL:
        assert marker not in html


def test_it_says_what_is_missing_when_the_workbench_is_not_built(app, client, tmp_path):
    app.static_folder = str(tmp_path)  # a static directory without workbench/

    html = client.get("/workbench/").get_data(as_text=True)

    assert "The workbench is not built" in html
    assert "make assets" in html
    assert not any("workbench/" in url for url in references(html).loads)


def test_it_never_renders_chat_data_as_markup():
    sources = sorted(SOURCE.rglob("*.vue")) + sorted(SOURCE.rglob("*.js"))

    assert sources
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for forbidden in ("v-html", "innerHTML", "insertAdjacentHTML", "eval("):
            assert forbidden not in text, f"{source.name} uses {forbidden}"
