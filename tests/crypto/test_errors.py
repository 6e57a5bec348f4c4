import pytest

from crypto import errors

ALL = [
    errors.CryptoError,
    errors.UnsupportedAlgorithmError,
    errors.InvalidKeyError,
    errors.EnvelopeError,
    errors.AuthenticationError,
    errors.KeyNotFoundError,
    errors.KeyDestroyedError,
    errors.KeyUnwrapError,
    errors.KeyFileError,
    errors.SignatureError,
]


@pytest.mark.parametrize("cls", ALL)
def test_it_derives_every_error_from_crypto_error(cls: type[errors.CryptoError]) -> None:
    assert issubclass(cls, errors.CryptoError)


@pytest.mark.parametrize("cls", ALL)
def test_it_gives_every_error_a_fixed_message_and_stable_code(
    cls: type[errors.CryptoError],
) -> None:
    assert str(cls()) == cls.message
    assert str(cls("key 7")) == f"{cls.message}: key 7"
    assert cls("key 7").detail == "key 7"
    assert cls.code.isidentifier()


def test_it_keeps_codes_unique() -> None:
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes))


def test_it_makes_bad_names_and_keys_value_errors() -> None:
    assert issubclass(errors.UnsupportedAlgorithmError, ValueError)
    assert issubclass(errors.InvalidKeyError, ValueError)
