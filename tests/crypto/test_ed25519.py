import pytest

from crypto.ed25519 import Ed25519Signer
from crypto.ed25519 import Ed25519Verifier
from crypto.errors import SignatureError

# RFC 8032 section 7.1, TEST 1 and TEST 2.
VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), VECTORS)
def test_it_reproduces_rfc_8032_signatures(
    seed: str, public: str, message: str, signature: str
) -> None:
    signer = Ed25519Signer.from_seed(bytes.fromhex(seed))
    assert signer.verifier().public_key_raw().hex() == public
    assert signer.sign(bytes.fromhex(message)).hex() == signature
    Ed25519Verifier.from_raw(bytes.fromhex(public)).verify(
        bytes.fromhex(message), bytes.fromhex(signature)
    )


def test_it_refuses_a_signature_of_the_wrong_length() -> None:
    signer = Ed25519Signer.generate()
    with pytest.raises(SignatureError):
        signer.verifier().verify(b"m", signer.sign(b"m") + b"\x00")


def test_it_hides_the_seed() -> None:
    seed = bytes(range(32))
    signer = Ed25519Signer.from_seed(seed)
    assert seed.hex() not in repr(signer) and seed.hex() not in str(signer)
