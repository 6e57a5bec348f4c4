"""Forge an audit bundle the way an attacker would: change one byte of one event, repack.

    python -m tests.tools.flip_event_byte IN.tar OUT.tar [--line N]

Used by the tests and by the README's tamper demonstration.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import tarfile
from pathlib import Path


def flip_event_byte(bundle: Path, out: Path, line: int) -> None:
    """Write `out`: `bundle` with one bit of event `line` (0-based) of events.jsonl flipped."""
    with tarfile.open(bundle) as tar:
        members = {}
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                members[member.name] = handle.read()
    lines = members["events.jsonl"].decode().splitlines()
    record = json.loads(lines[line])
    raw = bytearray(base64.b64decode(record["event"]))
    raw[raw.index(b'"time_ms":') + 12] ^= 0x01  # one digit of the event's time
    record["event"] = base64.b64encode(bytes(raw)).decode()
    lines[line] = json.dumps(record, separators=(",", ":"), sort_keys=True)
    members["events.jsonl"] = ("\n".join(lines) + "\n").encode()
    with tarfile.open(out, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--line", type=int, default=3, help="0-based line of events.jsonl")
    args = parser.parse_args()
    flip_event_byte(args.bundle, args.out, args.line)
    print(f"wrote {args.out}: event on line {args.line} of events.jsonl altered by one bit")


if __name__ == "__main__":
    main()
