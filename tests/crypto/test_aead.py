import os

import pytest
from gmssl.sm4 import SM4_ENCRYPT
from gmssl.sm4 import CryptSM4
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.aead import new_cipher
from crypto.errors import AuthenticationError
from crypto.errors import InvalidKeyError
from crypto.errors import UnsupportedAlgorithmError


def _sm4_block_openssl(key: bytes, block: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.ciphers import modes

    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def test_it_keeps_the_stored_ids_and_labels() -> None:
    assert int(Algorithm.SM4_GCM) == 1 and Algorithm.SM4_GCM.label == "sm4-gcm"
    assert int(Algorithm.AES_256_GCM) == 2 and Algorithm.AES_256_GCM.label == "aes-256-gcm"
    assert Algorithm.SM4_GCM.key_size == 16 and Algorithm.AES_256_GCM.key_size == 32


def test_it_looks_algorithms_up_by_label(algorithm: Algorithm) -> None:
    assert Algorithm.from_label(algorithm.label) is algorithm


def test_it_refuses_an_unknown_label() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        Algorithm.from_label("des")


def test_it_computes_the_gbt_32907_sm4_block() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert _sm4_block_openssl(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_it_agrees_with_pure_python_gmssl_sm4(key: bytes, block: bytes) -> None:
    pure = CryptSM4(padding_mode=3)  # 3: neither PKCS7 nor zero padding, one raw block
    pure.set_key(key, SM4_ENCRYPT)
    assert pure.crypt_ecb(block) == _sm4_block_openssl(key, block)


def test_it_computes_the_rfc_8998_sm4_gcm_vector() -> None:
    cipher = new_cipher(Algorithm.SM4_GCM, bytes.fromhex("0123456789abcdeffedcba9876543210"))
    plaintext = bytes.fromhex("aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8)
    plaintext += bytes.fromhex("ee" * 8 + "aa" * 8)
    nonce = bytes.fromhex("00001234567800000000abcd")
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    sealed = cipher.encrypt(nonce, plaintext, aad)
    assert sealed[:-16].hex() == (
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
        "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
    )
    assert sealed[-16:].hex() == "83de3541e4c2b58177e065a9bf7b62ec"
    assert cipher.decrypt(nonce, sealed, aad) == plaintext
    with pytest.raises(AuthenticationError):
        cipher.decrypt(nonce, sealed, aad + b"x")


def test_it_computes_a_nist_cavp_aes_256_gcm_vector() -> None:
    key = bytes.fromhex("92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b")
    cipher = new_cipher(Algorithm.AES_256_GCM, key)
    sealed = cipher.encrypt(
        bytes.fromhex("ac93a1a6145299bde902f21a"),
        bytes.fromhex("2d71bcfa914e4ac045b2aa60955fad24"),
        bytes.fromhex("1e0889016f67601c8ebea4943bc23ad6"),
    )
    assert sealed.hex() == "8995ae2e6df3dbf96fac7b7137bae67feca5aa77d51d4a0a14d9c51e1da474ab"


@settings(max_examples=30, deadline=None)
@given(plaintext=st.binary(max_size=500), aad=st.binary(max_size=64))
def test_it_round_trips_and_refuses_other_aad(plaintext: bytes, aad: bytes) -> None:
    for algorithm in Algorithm:
        cipher = new_cipher(algorithm, generate_key(algorithm))
        nonce = os.urandom(12)
        sealed = cipher.encrypt(nonce, plaintext, aad)
        assert len(sealed) == len(plaintext) + 16
        assert cipher.decrypt(nonce, sealed, aad) == plaintext
        with pytest.raises(AuthenticationError):
            cipher.decrypt(nonce, sealed, aad + b"\x00")


def test_it_refuses_short_ciphertexts(algorithm: Algorithm) -> None:
    cipher = new_cipher(algorithm, generate_key(algorithm))
    with pytest.raises(AuthenticationError):
        cipher.decrypt(os.urandom(12), b"short", b"")


def test_it_refuses_keys_of_the_wrong_size(algorithm: Algorithm) -> None:
    with pytest.raises(InvalidKeyError):
        new_cipher(algorithm, b"\x00" * (algorithm.key_size + 1))


def test_it_hides_keys_in_cipher_reprs(algorithm: Algorithm) -> None:
    key = generate_key(algorithm)
    assert key.hex() not in repr(new_cipher(algorithm, key))
