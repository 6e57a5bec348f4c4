import contextlib
import hashlib
import logging
import os

import pytest
from cryptography.hazmat.primitives import hashes
from gmssl import sm3 as pure_sm3
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto import hashing
from crypto.errors import CryptoError
from crypto.errors import InvalidKeyError
from crypto.errors import UnsupportedAlgorithmError

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
# GB/T 32905 example 2: "abcd" repeated 16 times.
SM3_ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def _sm3_cryptography(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def test_it_computes_the_gbt_32905_sm3_examples() -> None:
    assert hashing.sm3(b"abc").hex() == SM3_ABC
    assert hashing.sm3(b"abcd" * 16).hex() == SM3_ABCD16


def test_it_computes_sha256() -> None:
    assert hashing.sha256(b"abc").hex() == SHA256_ABC


@pytest.mark.parametrize("name", hashing.HASH_NAMES)
def test_it_hands_out_a_hash_function_by_name(name: str) -> None:
    expected = {"sm3": SM3_ABC, "sha256": SHA256_ABC}[name]
    assert hashing.hash_function(name)(b"abc").hex() == expected


def test_it_refuses_an_unknown_hash_name_with_a_value_error() -> None:
    with pytest.raises(UnsupportedAlgorithmError) as info:
        hashing.hash_function("md5")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CryptoError)


def test_it_names_a_c_backed_sm3() -> None:
    assert hashing.SM3_BACKEND in ("gmssl-pyx", "hashlib", "cryptography")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_it_agrees_with_every_sm3_implementation(data: bytes) -> None:
    ours = hashing.sm3(data)
    assert ours == _sm3_cryptography(data)
    assert ours.hex() == pure_sm3.sm3_hash(list(data))
    # hashlib raises ValueError when the system OpenSSL has no SM3.
    with contextlib.suppress(ValueError):
        assert ours == hashlib.new("sm3", data).digest()


def test_it_computes_the_gmt_0042_hmac_sm3_vectors() -> None:
    message = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" * 2
    assert (
        hashing.hmac_sm3(bytes(range(1, 33)), message).hex()
        == "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a"
    )
    assert (
        hashing.hmac_sm3(bytes(range(1, 38)), b"\xcd" * 50).hex()
        == "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae"
    )


def test_it_blind_indexes_deterministically_per_field() -> None:
    index = hashing.BlindIndex(b"k" * 32)
    phone = index.compute("13800000000", field="customer.phone")
    assert phone == index.compute("13800000000", field="customer.phone")
    assert phone != index.compute("13800000000", field="customer.id_number")
    assert phone != hashing.BlindIndex(b"j" * 32).compute("13800000000", field="customer.phone")
    assert len(phone) == 32


def test_it_matches_the_documented_blind_index_formula() -> None:
    key = bytes(range(32))
    got = hashing.BlindIndex(key).compute("  Alice@Example.COM ", field="email")
    assert got == hashing.hmac_sm3(key, b"email\x00alice@example.com")


def test_it_normalises_full_width_case_and_surrounding_space() -> None:
    index = hashing.BlindIndex(b"k" * 32)
    assert index.compute("１３８００", field="f") == index.compute(" 13800 ", field="f")
    assert index.compute("ÄBC", field="f") == index.compute("äbc", field="f")
    # Documented: inner hyphens and spaces are NOT removed.
    assert index.compute("138-00", field="f") != index.compute("13800", field="f")


def test_it_refuses_a_field_name_with_a_nul() -> None:
    with pytest.raises(ValueError):
        hashing.BlindIndex(b"k" * 32).compute("x", field="a\x00b")


def test_it_refuses_a_blind_index_key_of_the_wrong_size() -> None:
    with pytest.raises(InvalidKeyError):
        hashing.BlindIndex(b"short")


def test_it_hides_the_blind_index_key(caplog: pytest.LogCaptureFixture) -> None:
    key = os.urandom(32)
    index = hashing.BlindIndex(key)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("index %s %r", index, index)
    for text in (repr(index), str(index), caplog.text):
        assert key.hex() not in text
        assert repr(key) not in text
    assert "hidden" in repr(index)
