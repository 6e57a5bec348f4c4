"""The offline installer for air-gapped servers.

It runs on a bare server before any virtualenv exists, so it may import the
Python standard library only (an import contract in setup.cfg enforces this),
and it drives the installed appliance only through the `enclave` command.
"""
