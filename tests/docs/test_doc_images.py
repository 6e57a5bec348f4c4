"""The pictures in docs/ and the documents that show them cannot drift apart: every image a
document shows is in docs/images/, every PNG there is shown somewhere and is one that
tests/browser/screenshots.mjs takes (so none is a stale hand-made copy), and the guides' links
to other documents and their headings resolve."""

from __future__ import annotations

import re

import pytest

from tests.docs.docs_text import DOCS
from tests.docs.docs_text import IMAGES
from tests.docs.docs_text import ROOT
from tests.docs.docs_text import anchors
from tests.docs.docs_text import doc_files
from tests.docs.docs_text import images
from tests.docs.docs_text import links

SCREENSHOTS = ROOT / "tests" / "browser" / "screenshots.mjs"
GUIDES = ["agent-guide.md", "supervisor-guide.md", "integrator-guide.md", "widget.md"]


def _shown() -> dict[str, list[str]]:
    """docs/images file name -> the documents showing it."""
    shown: dict[str, list[str]] = {}
    for doc in doc_files():
        for _, target in images(doc):
            shown.setdefault(target.removeprefix("images/"), []).append(doc.name)
    return shown


def test_it_finds_every_image_a_document_shows():
    for doc in doc_files():
        for alt, target in images(doc):
            assert target.startswith("images/"), f"{doc.name}: {target} is not under docs/images/"
            assert (DOCS / target).is_file(), f"{doc.name} shows {target}, which does not exist"
            assert alt.strip(), f"{doc.name}: {target} has no alt text"


def test_it_shows_every_picture_in_docs_images():
    pictures = sorted(path.name for path in IMAGES.glob("*"))
    assert pictures, "docs/images/ is empty"
    unshown = [name for name in pictures if name not in _shown()]
    assert not unshown, f"docs/images/ has pictures no document shows: {unshown}"


def test_it_takes_every_picture_with_the_screenshot_script():
    taken = set(re.findall(r'shoot\("([\w-]+)"', SCREENSHOTS.read_text(encoding="utf-8")))
    assert taken, "screenshots.mjs takes no pictures"
    for path in IMAGES.glob("*"):
        assert path.suffix == ".png", f"{path.name}: docs/images/ holds PNGs only"
        assert path.stem in taken, f"{path.name} is not taken by tests/browser/screenshots.mjs"
    missing = sorted(name for name in taken if not (IMAGES / f"{name}.png").is_file())
    assert not missing, (
        f"screenshots.mjs takes {missing} but docs/images/ lacks them: run "
        "UPDATE_DOC_SCREENSHOTS=1 pytest tests/browser/test_screenshots.py"
    )


@pytest.mark.parametrize("name", GUIDES)
def test_it_resolves_the_guides_links_to_other_documents(name):
    for target in links(DOCS / name):
        if re.match(r"[a-z]+:", target):
            continue  # an external URL: none should be needed, but not ours to check
        path, _, anchor = target.partition("#")
        document = DOCS / path if path else DOCS / name
        assert document.exists(), f"{name} links to {target}, which does not exist"
        if anchor and document.suffix == ".md":
            assert anchor in anchors(document), f"{name} links to {target}: no such heading"
