"""Routing: pure decisions over snapshots.

Nothing in this package can do I/O: no database, no network, no files, no clock,
no Flask or peewee, no globals, and no import from the rest of `appliance`. Callers
pass in what the decision needs (a snapshot, the time, the rules) and get a value
back; persisting and announcing it is a service's job. That is what lets the
policy be property-tested and benchmarked alone. Start with `policy.py`.
"""
