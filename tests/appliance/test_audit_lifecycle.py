"""Server start/stop, settings changes and the heartbeat land in the audit trail."""

import dataclasses

from appliance.db import db
from appliance.instance import load_keyring
from appliance.jobs import AuditJobs
from appliance.services.audit_log import open_log
from appliance.services.lifecycle import do_record_server_start
from appliance.settings import load_settings
from audit.canonical import canonical_bytes
from audit.events import EventType
from tests.appliance.audit_helpers import actions
from tests.appliance.audit_helpers import all_events
from tests.appliance.audit_helpers import bind


def start(instance_dir, **overrides):
    settings = load_settings(instance_dir, environ={}, overrides=overrides)
    blind = load_keyring(settings).blind_index()
    do_record_server_start(settings, blind, server="test")


def test_it_records_a_start_without_a_settings_change_the_first_time(instance_dir):
    bind(instance_dir)

    start(instance_dir)

    assert actions()[-1] == EventType.SERVER_STARTED
    assert EventType.SETTINGS_CHANGED not in actions()


def test_it_records_what_changed_between_two_starts(instance_dir):
    bind(instance_dir)
    start(instance_dir)

    start(instance_dir, **{"server.port": 9443})

    *_, changed, started = all_events()
    assert changed.action == EventType.SETTINGS_CHANGED
    assert changed.details["changed"] == {"server.port": {"old": 8080, "new": 9443}}
    assert started.action == EventType.SERVER_STARTED


def test_it_records_a_secret_change_without_the_secret(instance_dir):
    bind(instance_dir)
    start(instance_dir)

    start(instance_dir, **{"security.secret_key": "a-brand-new-secret-value"})

    changed = next(e for e in all_events() if e.action == EventType.SETTINGS_CHANGED)
    assert changed.details["changed"] == {"security.secret_key": "changed (secret)"}
    for event in all_events():
        assert b"a-brand-new-secret-value" not in canonical_bytes(event)


def test_it_records_no_change_when_nothing_changed(instance_dir):
    bind(instance_dir)
    start(instance_dir)
    start(instance_dir)

    assert EventType.SETTINGS_CHANGED not in actions()
    assert actions().count(EventType.SERVER_STARTED) == 2


def test_it_runs_heartbeat_sequencer_and_checkpoints_when_due(instance_dir):
    identity = bind(instance_dir)
    jobs = AuditJobs(
        identity,
        sequencer_interval_ms=500,
        checkpoint_interval_ms=60_000,
        heartbeat_interval_ms=300_000,
        server="test",
    )
    with db.connection_context():
        checkpoints_before = len(open_log(identity).checkpoints())

    jobs.run_due(now_ms=1_000_000)

    assert actions().count(EventType.HEARTBEAT) == 1
    with db.connection_context():
        log = open_log(identity)
        assert log.size == len(actions())  # the heartbeat was sequenced
        assert len(log.checkpoints()) == checkpoints_before + 1

    jobs.run_due(now_ms=1_000_100)  # nothing is due yet

    assert actions().count(EventType.HEARTBEAT) == 1

    jobs.run_due(now_ms=1_000_000 + 300_000)  # heartbeat and sequencer due, checkpoint too

    assert actions().count(EventType.HEARTBEAT) == 2
    with db.connection_context():
        assert len(open_log(identity).checkpoints()) == checkpoints_before + 2


def test_it_signs_no_checkpoint_when_the_log_has_not_grown(instance_dir):
    identity = bind(instance_dir)
    jobs = AuditJobs(
        identity,
        sequencer_interval_ms=500,
        checkpoint_interval_ms=1,
        heartbeat_interval_ms=10**12,
        server="test",
    )
    jobs.run_due(now_ms=1)  # heartbeat + sequence + checkpoint
    with db.connection_context():
        signed = len(open_log(identity).checkpoints())

    jobs.checkpoint()

    with db.connection_context():
        assert len(open_log(identity).checkpoints()) == signed


def test_it_keeps_settings_fingerprints_free_of_database_passwords(instance_dir):
    bind(instance_dir)
    settings = load_settings(instance_dir, environ={})
    settings = dataclasses.replace(
        settings,
        database=dataclasses.replace(settings.database, url="postgresql://app:hunter2@db/enclave"),
    )
    do_record_server_start(settings, load_keyring(settings).blind_index(), server="test")

    started = all_events()[-1]
    assert started.details["settings"]["database.url"] == "postgresql://app:***@db/enclave"
