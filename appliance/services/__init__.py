"""The write path. Every state change is a `do_*` function here: one transaction,
its audit event written in that transaction, real-time events only after commit."""
