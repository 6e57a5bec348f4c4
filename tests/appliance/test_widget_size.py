"""The built visitor widget (make assets) stays within its size budget: 60 KB gzipped,
the bundled Socket.IO client included (docs/widget.md, "Size budget")."""

import gzip
from pathlib import Path

from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "appliance" / "static" / "widget"
BUDGET_BYTES = 60 * 1024


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_it_fits_the_widget_and_its_socketio_client_in_60_kb_gzipped():
    script = BUILT / "enclave-widget.js"
    require(script.is_file(), "the widget is not built (run `make assets`)")

    files = [script, BUILT / "enclave-widget.css"]
    total = sum(gzipped_size(path) for path in files if path.is_file())

    assert total <= BUDGET_BYTES, f"the widget is {total} bytes gzipped, over {BUDGET_BYTES}"


def test_it_bundles_the_socketio_client_instead_of_loading_it_separately():
    script = BUILT / "enclave-widget.js"
    require(script.is_file(), "the widget is not built (run `make assets`)")

    body = script.read_text(encoding="utf-8")

    assert "socket.io.min.js" not in body
    assert "/socket.io/" in body
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in body, sink
