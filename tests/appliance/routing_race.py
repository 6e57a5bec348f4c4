"""One process of the routing race (tests/appliance/test_routing_races.py); not a test module.

    python -m tests.appliance.routing_race DATA_DIR SEED STARTS

Three threads, each with its own database connection, start conversations for new
visitors and close some of the assigned ones (which routes the queue again), as
fast as they can, while the other process does the same on the same database.
"""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

from appliance import create_app
from appliance.db import db
from appliance.models import Conversation
from appliance.services.conversations import choose_queue
from appliance.services.conversations import do_close_conversation
from appliance.services.conversations import do_start_conversation
from appliance.services.visitors import new_anonymous
from appliance.settings import load_settings
from audit.events import Actor

WORKER = Actor(id="test:race", role="operator")


def run(app, rng: random.Random, starts: int, errors: list[BaseException]) -> None:
    try:
        with app.app_context(), db.connection_context():
            for _ in range(starts):
                identity, _ = new_anonymous()
                do_start_conversation(identity, choice=choose_queue(None))
                if rng.random() < 0.4:
                    assigned = list(
                        Conversation.select(Conversation.id).where(
                            Conversation.status == "assigned"
                        )
                    )
                    if assigned:
                        try:
                            do_close_conversation(
                                rng.choice(assigned).id, closed_by="agent", actor=WORKER
                            )
                        except Exception as exc:  # closed by the other side meanwhile
                            if type(exc).__name__ != "ConversationClosed":
                                raise
    except BaseException as exc:
        errors.append(exc)


def main() -> None:
    data_dir, seed, starts = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    app = create_app(load_settings(data_dir, environ={}))
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=run, args=(app, random.Random(seed * 10 + i), starts, errors))
        for i in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"race worker failed: {errors[0]!r}")


if __name__ == "__main__":
    main()
