"""The few pieces of DER and PEM this library writes and reads itself.

`cryptography` does not know the SM2 curve, so SM2 keys (PKCS#8 private
keys, SubjectPublicKeyInfo public keys) and SM2 signatures (SEQUENCE of two
INTEGERs) are encoded and decoded here. The decoder is strict: definite
minimal lengths, no trailing bytes, minimal INTEGERs, because signatures and
keys that have two encodings are a malleability hazard for an audit log.
"""

from __future__ import annotations

import base64
import binascii
import re

SEQUENCE = 0x30
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
OID = 0x06
CONTEXT_0 = 0xA0
CONTEXT_1 = 0xA1


class DerError(ValueError):
    """Malformed DER; callers translate it into their own typed error."""


def encode_length(length: int) -> bytes:
    """Return the DER definite length octets for `length`."""
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def tlv(tag: int, value: bytes) -> bytes:
    """Return one DER tag-length-value."""
    return bytes([tag]) + encode_length(len(value)) + value


def encode_integer(value: int) -> bytes:
    """Return a DER INTEGER for a non-negative `value`."""
    if value < 0:
        raise DerError("negative integers are not used here")
    # One extra byte keeps the sign bit clear when the top bit is set.
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return tlv(INTEGER, body)


def encode_oid(dotted: str) -> bytes:
    """Return a DER OBJECT IDENTIFIER for a dotted string such as "1.2.156.10197.1.301"."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at `offset`; return (tag, value, offset just past it)."""
    if offset + 2 > len(data):
        raise DerError("truncated")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
        if length < 0x80 or data[offset - count] == 0:
            raise DerError("non-minimal length")
    end = offset + length
    if end > len(data):
        raise DerError("truncated")
    return tag, data[offset:end], end


def read_children(data: bytes) -> list[tuple[int, bytes]]:
    """Split the content of a constructed value into its (tag, value) children."""
    children = []
    offset = 0
    while offset < len(data):
        tag, value, offset = read_tlv(data, offset)
        children.append((tag, value))
    return children


def read_single(data: bytes, tag: int) -> bytes:
    """Read exactly one TLV with `tag` that spans all of `data`; return its value."""
    got, value, end = read_tlv(data)
    if got != tag or end != len(data):
        raise DerError("unexpected structure")
    return value


def decode_integer(value: bytes) -> int:
    """Decode the content octets of a non-negative, minimally encoded INTEGER."""
    if not value or value[0] & 0x80:
        raise DerError("integer empty or negative")
    if len(value) > 1 and value[0] == 0 and not value[1] & 0x80:
        raise DerError("non-minimal integer")
    return int.from_bytes(value, "big")


def decode_oid(value: bytes) -> str:
    """Decode the content octets of an OBJECT IDENTIFIER to dotted form."""
    if not value or value[-1] & 0x80:
        raise DerError("bad object identifier")
    subids = []
    arc = 0
    for byte in value:
        arc = (arc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            subids.append(arc)
            arc = 0
    top = min(subids[0] // 40, 2)
    arcs = [top, subids[0] - 40 * top, *subids[1:]]
    return ".".join(str(a) for a in arcs)


def encode_signature(r: int, s: int) -> bytes:
    """Return the DER SEQUENCE { r INTEGER, s INTEGER } of an ECDSA-style signature."""
    return tlv(SEQUENCE, encode_integer(r) + encode_integer(s))


def decode_signature(signature: bytes) -> tuple[int, int]:
    """Decode a DER (r, s) signature strictly; raise DerError on anything else."""
    children = read_children(read_single(signature, SEQUENCE))
    if len(children) != 2 or any(tag != INTEGER for tag, _ in children):
        raise DerError("signature is not two integers")
    return decode_integer(children[0][1]), decode_integer(children[1][1])


_PEM = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----",
    re.DOTALL,
)


def pem_encode(der: bytes, label: str) -> bytes:
    """Wrap DER in PEM armour with 64-column lines, as OpenSSL writes it."""
    b64 = base64.b64encode(der)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    head = f"-----BEGIN {label}-----\n".encode()
    tail = f"-----END {label}-----\n".encode()
    return head + b"\n".join(lines) + b"\n" + tail


def pem_decode(data: bytes) -> tuple[str, bytes]:
    """Return (label, DER) of the first PEM block in `data`."""
    match = _PEM.search(data)
    if match is None:
        raise DerError("no PEM block")
    try:
        der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise DerError("bad base64 in PEM") from exc
    return match.group(1).decode("ascii"), der
