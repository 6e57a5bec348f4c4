"""The widget's pre-chat form as the appliance configures it (docs/widget.md).

The topics are named by settings (`visitor.prechat_topics`) but the queues live in
the database, where administrators add and remove them while the server runs. So
the names are checked against the queues each time the form is asked for, not once
at start-up: a name with no queue is left out of the form, and a warning is logged
the first time this process meets it (the queue may be added later; then it shows).
"""

from __future__ import annotations

import logging
from typing import Any
from typing import cast

from appliance.db import db
from appliance.models import Queue
from appliance.queries.routing import Localized
from appliance.settings import VisitorSettings

log = logging.getLogger(__name__)

_warned: set[str] = set()  # names already reported missing, per process


def prechat_form_for(settings: VisitorSettings, language: str) -> dict[str, Any]:
    """{topics: [{queue, label}], other: bool, question: mode} in `language` (zh-CN or en)."""
    names = settings.topics
    rows: dict[str, str] = {}
    if names:
        query = Queue.select(Queue.name, Queue.display_name).where(Queue.name.in_(names))
        with db.connection_context():
            rows = dict(cast(list[tuple[str, str]], list(query.tuples())))
    topics = []
    for name in names:
        if name not in rows:
            if name not in _warned:
                _warned.add(name)
                log.warning(
                    "visitor.prechat_topics names %r, which is not a queue: "
                    "left out of the pre-chat form",
                    name,
                )
            continue
        topics.append({"queue": name, "label": _label(rows[name], language)})
    return {
        "topics": topics,
        "other": bool(topics) and settings.prechat_other_topic,
        "question": settings.prechat_question,
    }


def _label(stored: str, language: str) -> str:
    display = Localized.from_json(stored)  # both languages are required (_queue_rules.py)
    return display.en if language == "en" else display.zh_cn
