from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto import envelope
from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.errors import AuthenticationError
from crypto.errors import EnvelopeError
from crypto.errors import KeyNotFoundError
from crypto.keys import DataKey

CONTEXT = b"messages.body\x00conv=42\x00seq=7"


def _key(algorithm: Algorithm, key_id: int = 7) -> DataKey:
    return DataKey(key_id, algorithm, generate_key(algorithm))


def _any_id(key: DataKey) -> Callable[[int], DataKey]:
    # Hands back the key whatever id the (possibly tampered) header names, so
    # a flipped key-id bit must be caught by authentication, not by lookup.
    return lambda _key_id: key


def test_it_lays_the_header_out_byte_by_byte(algorithm: Algorithm) -> None:
    key = _key(algorithm, key_id=0x01020304)
    sealed = envelope.seal(key, b"hi", context=CONTEXT)
    assert sealed[0] == 1
    assert sealed[1] == int(algorithm)
    assert sealed[2:6] == bytes([1, 2, 3, 4])
    assert len(sealed) == 18 + 2 + 16
    assert envelope.parse_header(sealed) == envelope.EnvelopeHeader(1, algorithm, 0x01020304)


@settings(max_examples=40, deadline=None)
@given(
    algorithm=st.sampled_from(list(Algorithm)),
    plaintext=st.binary(max_size=1000),
    context=st.binary(max_size=100),
)
def test_it_round_trips(algorithm: Algorithm, plaintext: bytes, context: bytes) -> None:
    key = _key(algorithm)
    sealed = envelope.seal(key, plaintext, context=context)
    assert envelope.open_(_any_id(key), sealed, context=context) == plaintext


def test_it_uses_a_fresh_nonce_each_time(algorithm: Algorithm) -> None:
    key = _key(algorithm)
    first = envelope.seal(key, b"same", context=CONTEXT)
    second = envelope.seal(key, b"same", context=CONTEXT)
    assert first[6:18] != second[6:18] and first != second


def test_it_refuses_every_single_bit_flip(algorithm: Algorithm) -> None:
    key = _key(algorithm)
    sealed = envelope.seal(key, b"short", context=CONTEXT)
    for bit in range(len(sealed) * 8):
        flipped = bytearray(sealed)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises((EnvelopeError, AuthenticationError)):
            envelope.open_(_any_id(key), bytes(flipped), context=CONTEXT)


def test_it_refuses_a_wrong_context(algorithm: Algorithm) -> None:
    key = _key(algorithm)
    sealed = envelope.seal(key, b"body", context=CONTEXT)
    for other in (b"", CONTEXT + b"\x00", b"messages.body\x00conv=42\x00seq=8"):
        with pytest.raises(AuthenticationError):
            envelope.open_(_any_id(key), sealed, context=other)


def test_it_refuses_a_wrong_key(algorithm: Algorithm) -> None:
    sealed = envelope.seal(_key(algorithm), b"body", context=CONTEXT)
    with pytest.raises(AuthenticationError):
        envelope.open_(_any_id(_key(algorithm)), sealed, context=CONTEXT)


def test_it_refuses_a_key_of_the_other_algorithm() -> None:
    sealed = envelope.seal(_key(Algorithm.SM4_GCM), b"body", context=CONTEXT)
    with pytest.raises(AuthenticationError):
        envelope.open_(_any_id(_key(Algorithm.AES_256_GCM)), sealed, context=CONTEXT)


def test_it_refuses_truncation_at_every_length(algorithm: Algorithm) -> None:
    key = _key(algorithm)
    sealed = envelope.seal(key, b"some message", context=CONTEXT)
    for length in range(len(sealed)):
        with pytest.raises((EnvelopeError, AuthenticationError)) as info:
            envelope.open_(_any_id(key), sealed[:length], context=CONTEXT)
        if length < envelope.MIN_SIZE:
            assert isinstance(info.value, EnvelopeError)


@pytest.mark.parametrize("version", [0, 2, 0x76, 255])
def test_it_refuses_unknown_versions(version: int) -> None:
    key = _key(Algorithm.SM4_GCM)
    sealed = bytearray(envelope.seal(key, b"x", context=CONTEXT))
    sealed[0] = version
    with pytest.raises(EnvelopeError, match="version"):
        envelope.open_(_any_id(key), bytes(sealed), context=CONTEXT)


@pytest.mark.parametrize("algorithm_id", [0, 3, 255])
def test_it_refuses_unknown_algorithms(algorithm_id: int) -> None:
    key = _key(Algorithm.SM4_GCM)
    sealed = bytearray(envelope.seal(key, b"x", context=CONTEXT))
    sealed[1] = algorithm_id
    with pytest.raises(EnvelopeError, match="algorithm"):
        envelope.parse_header(bytes(sealed))


def test_it_passes_on_the_resolvers_typed_error() -> None:
    sealed = envelope.seal(_key(Algorithm.SM4_GCM), b"x", context=CONTEXT)

    def resolve(key_id: int) -> DataKey:
        raise KeyNotFoundError(f"key id {key_id}")

    with pytest.raises(KeyNotFoundError):
        envelope.open_(resolve, sealed, context=CONTEXT)


def test_it_never_leaks_raw_errors_for_garbage() -> None:
    key = _key(Algorithm.SM4_GCM)
    for garbage in (b"", b"\x01", b"\x01\x01" + b"\x00" * 40, bytes(range(256))):
        with pytest.raises((EnvelopeError, AuthenticationError)):
            envelope.open_(_any_id(key), garbage, context=CONTEXT)


def test_it_matches_the_worked_example_in_docs_crypto_md() -> None:
    key = DataKey(1, Algorithm.SM4_GCM, bytes(range(16)))
    documented = bytes.fromhex(
        "010100000001000102030405060708090a0bff23b297a6460c89e3a9cd046f572fb96cf1f440b0"
    )
    assert envelope.open_(_any_id(key), documented, context=CONTEXT) == b"hello"
