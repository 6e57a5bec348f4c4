"""enclave-audit-verify: check an audit export bundle offline.

    enclave-audit-verify [--trusted-key PEM]... [--json] [--max-skew-ms N] BUNDLE
    python -m audit.verify BUNDLE

Needs only `audit` and `crypto`: no database, no network. Prints one line
per check group (see `audit.bundle_check`) and a final `VALID` or
`TAMPERED: ...` line. Exit status: 0 valid, 1 tampered (the line says what
and where: file, leaf index, checkpoint), 2 unusable input (not a bundle,
unreadable, a --trusted-key that is not a public key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from audit.bundle import read_bundle
from audit.bundle_check import BundleReport
from audit.bundle_check import verify_bundle
from audit.errors import BundleFormatError
from audit.integrity import DEFAULT_MAX_SKEW_MS
from crypto.errors import CryptoError
from crypto.signing import Verifier
from crypto.signing import load_verifier_pem

EXIT_VALID = 0
EXIT_TAMPERED = 1
EXIT_UNUSABLE = 2

UNPINNED = (
    "keys: taken from the bundle itself, so they are trusted only as far as the bundle is;"
    " pin the log's keys with --trusted-key"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enclave-audit-verify",
        description="Verify an Enclave Desk audit export bundle offline.",
    )
    parser.add_argument("bundle", help="the exported .tar file")
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="PEM",
        help="a public key (SM2 or Ed25519 PEM) the log must have signed with; repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--max-skew-ms",
        type=int,
        default=DEFAULT_MAX_SKEW_MS,
        help="how far event times may run back or past their checkpoint (default: %(default)s)",
    )
    return parser


def _load_keys(paths: Sequence[str]) -> list[Verifier]:
    keys = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                keys.append(load_verifier_pem(handle.read()))
        except (OSError, CryptoError) as exc:
            raise BundleFormatError(f"--trusted-key {path}: {exc}") from None
    return keys


def _lines(report: BundleReport) -> list[str]:
    keys = ", ".join(report.keys)
    if report.key_source == "trusted":
        lines = [f"keys: pinned by --trusted-key ({keys})"]
    else:
        lines = [f"{UNPINNED} ({keys})"]
    for check in report.checks:
        lines.append(f"{check.group}: {'ok' if check.ok else 'FAILED'}: {check.detail}")
    lines.append(report.verdict())
    return lines


def _as_json(report: BundleReport) -> str:
    return json.dumps(
        {
            "valid": report.valid,
            "verdict": report.verdict(),
            "key_source": report.key_source,
            "keys": report.keys,
            "checks": [{"group": c.group, "ok": c.ok, "detail": c.detail} for c in report.checks],
        },
        ensure_ascii=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier; return the exit status (0 valid, 1 tampered, 2 unusable)."""
    args = _parser().parse_args(argv)
    try:
        trusted = _load_keys(args.trusted_key)
        files = read_bundle(args.bundle)
        report = verify_bundle(files, trusted or None, max_skew_ms=args.max_skew_ms)
    except BundleFormatError as exc:
        if args.json:
            print(json.dumps({"valid": False, "verdict": f"UNUSABLE: {exc}"}, ensure_ascii=False))
        else:
            print(f"UNUSABLE: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(_as_json(report) if args.json else "\n".join(_lines(report)))
    return EXIT_VALID if report.valid else EXIT_TAMPERED


if __name__ == "__main__":
    raise SystemExit(main())
