import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import _der


@given(st.integers(min_value=0, max_value=2**300))
def test_it_round_trips_integers(value: int) -> None:
    assert _der.decode_integer(_der.read_single(_der.encode_integer(value), _der.INTEGER)) == value


@pytest.mark.parametrize(
    "oid", ["1.2.840.10045.2.1", "1.2.156.10197.1.301", "1.3.101.112", "2.999.1"]
)
def test_it_round_trips_object_identifiers(oid: str) -> None:
    assert _der.decode_oid(_der.read_single(_der.encode_oid(oid), _der.OID)) == oid


def test_it_encodes_the_sm2_curve_oid_as_openssl_does() -> None:
    assert _der.encode_oid("1.2.156.10197.1.301").hex() == "06082a811ccf5501822d"


@given(st.integers(min_value=0, max_value=70000))
def test_it_round_trips_lengths(length: int) -> None:
    encoded = _der.tlv(_der.OCTET_STRING, b"\x00" * length)
    assert _der.read_single(encoded, _der.OCTET_STRING) == b"\x00" * length


@pytest.mark.parametrize(
    "bad",
    [b"", b"\x04", b"\x04\x05abc", b"\x04\x81\x01a", b"\x04\x80", b"\x04\x01ab"],
)
def test_it_refuses_malformed_tlvs(bad: bytes) -> None:
    with pytest.raises(_der.DerError):
        _der.read_single(bad, _der.OCTET_STRING)


def test_it_round_trips_pem() -> None:
    der = bytes(range(256))
    pem = _der.pem_encode(der, "PUBLIC KEY")
    assert all(len(line) <= 64 for line in pem.splitlines())
    assert _der.pem_decode(b"junk\n" + pem) == ("PUBLIC KEY", der)
