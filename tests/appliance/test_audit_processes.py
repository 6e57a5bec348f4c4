"""Two server processes append and sequence into one PostgreSQL log at once."""

import subprocess
import sys
from pathlib import Path

from appliance.db import db
from appliance.instance import init_instance
from appliance.services.audit_access import check_verify
from appliance.services.audit_log import open_log
from tests.appliance.audit_helpers import AUDITOR
from tests.appliance.audit_helpers import actions
from tests.appliance.audit_helpers import bind

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import sys
from appliance.services.audit_log import sequence_pending, sign_checkpoint_if_grown
from tests.appliance.audit_helpers import bind, write_event
identity = bind(sys.argv[1])
worker, count = int(sys.argv[2]), int(sys.argv[3])
for n in range(count):
    write_event(worker * 100000 + n)
    if n % 5 == 0:
        sequence_pending(identity)      # both processes race to sequence
        sign_checkpoint_if_grown(identity)
sequence_pending(identity)
"""


def test_it_keeps_one_consistent_tree_across_processes(tmp_path, postgres_url):
    instance = init_instance(tmp_path / "inst", database_url=postgres_url).data_dir
    identity = bind(instance)
    before = len(actions())
    per_process = 60

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(instance), str(w), str(per_process)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in (1, 2)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors

    assert len(actions()) == before + 2 * per_process
    with db.connection_context():
        assert open_log(identity).size == before + 2 * per_process
    report = check_verify(identity, actor=AUDITOR)
    assert report.ok, report.summary()
    assert report.checkpoints_checked >= 2
