"""docs/audit.md describes every event type (a Datasette-style docs-as-tests check)."""

from __future__ import annotations

import re
from pathlib import Path

from audit.events import EventType

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_it_documents_every_event_type() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d{3}) \| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE))
    missing = [f"{int(e)} {e.name}" for e in EventType if rows.get(str(int(e))) != e.name]
    assert not missing, f"add to the catalogue table of docs/audit.md: {missing}"
    unknown = [code for code in rows if int(code) not in EventType._value2member_map_]
    assert not unknown, f"docs/audit.md documents codes that do not exist: {unknown}"


def test_it_keeps_the_appliance_section_for_the_lead() -> None:
    assert "\n## In the appliance\n" in DOC.read_text(encoding="utf-8")
