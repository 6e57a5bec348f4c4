"""`python -m audit BUNDLE`: the same offline verifier as `enclave-audit-verify`."""

from audit.verify import main

raise SystemExit(main())
