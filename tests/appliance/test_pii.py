"""Finding and masking personal data in chat text (appliance/services/pii.py): examples in
Chinese and English, and properties over generated text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from appliance.services.pii import KEEP
from appliance.services.pii import MASK
from appliance.services.pii import find_pii
from appliance.services.pii import id_number_valid
from appliance.services.pii import luhn_valid
from appliance.services.pii import mask_text

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_luhn(prefix: str) -> str:
    """`prefix` completed with its Luhn check digit."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def with_id_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


VISA = "4111111111111111"
UNIONPAY = with_luhn("622202123456789012")  # 19 digits
ID_NUMBER = with_id_check("44030119900307123")
ID_WITH_X = "11010519491231002X"


def kinds(text: str) -> list[str]:
    return [found.kind for found in find_pii(text)]


# examples: what is found


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的手机号是13812345678，请回电", "我的手机号是138****5678，请回电"),
        ("call me on 13812345678.", "call me on 138****5678."),
        ("+8613812345678", "+86138****5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("tel: 86-138-1234-5678", "tel: 86-138-****-5678"),
        ("手机：１３８１２３４５６７８", "手机：１３８****５６７８"),  # full-width digits
        (f"card {VISA} please", "card 4111********1111 please"),
        ("卡号 4111 1111 1111 1111 谢谢", "卡号 4111 **** **** 1111 谢谢"),
        ("4111-1111-1111-1111", "4111-****-****-1111"),
        (f"银联卡{UNIONPAY}", f"银联卡6222{MASK * 11}{UNIONPAY[-4:]}"),
        (f"身份证号{ID_NUMBER}。", f"身份证号440{MASK * 11}{ID_NUMBER[-4:]}。"),
        (f"ID {ID_WITH_X}", f"ID 110{MASK * 11}002X"),
        (f"ID {ID_WITH_X.lower()}", f"ID 110{MASK * 11}002x"),
    ],
)
def test_it_masks_mobiles_cards_and_id_numbers(text, masked):
    assert mask_text(text) == masked
    assert len(mask_text(text)) == len(text)


def test_it_finds_each_kind_in_order_without_overlaps():
    text = f"手机13812345678 卡{VISA} 证{ID_NUMBER}"
    found = find_pii(text)
    assert [f.kind for f in found] == ["mobile", "card", "id_number"]
    assert [text[f.start : f.end] for f in found] == ["13812345678", VISA, ID_NUMBER]


def test_it_takes_an_id_number_that_is_also_luhn_valid_for_an_id_number():
    # Some 18-digit ID numbers pass Luhn too; they are one item, an ID number.
    for serial in range(1000):
        candidate = with_id_check(f"44030119900307{serial:03d}")
        if candidate[-1] != "X" and luhn_valid(candidate):
            assert kinds(candidate) == ["id_number"]
            return
    pytest.fail("no 18-digit ID number that is also Luhn-valid in the range")


# examples: what is left alone


@pytest.mark.parametrize(
    "text",
    [
        "hello, how can I help?",
        "您好，请问有什么可以帮您？",
        "订单号 2023112100012345",  # 16 digits starting 20: no card network
        "时间戳 1732150000000",  # a millisecond timestamp, 13 digits starting 1
        "at 2026-11-21 01:51:07 UTC",
        "金额 12,345.67 元，验证码 123456",
        "013812345678",  # a digit in front: not a mobile number
        "138123456789",  # 12 digits
        "12812345678",  # 128 is no mobile prefix
        "4111111111111112",  # Luhn fails
        "4111 1111 1111",  # 12 digits
        "110105194912310021",  # wrong check character
        "110105194913310029",  # month 13: no birth date
        f"{ID_NUMBER}7",  # 19 digits: an ID number does not run on
        f"ABC{ID_NUMBER}",  # letters glued on: a reference code, not an ID number
    ],
)
def test_it_leaves_text_without_personal_data_alone(text):
    assert find_pii(text) == []
    assert mask_text(text) == text


def test_it_checks_id_numbers_and_luhn_digits():
    assert id_number_valid(ID_NUMBER)
    assert id_number_valid(ID_WITH_X)
    assert not id_number_valid(ID_NUMBER[:-1] + str((int(ID_NUMBER[-1]) + 1) % 10))
    assert luhn_valid(VISA)
    assert not luhn_valid("4111111111111112")


# properties

_DIGITS = "0123456789"
_filler = st.text(
    alphabet=st.sampled_from(list("abc XYZ,.:-+ 您好卡号手机") + list(_DIGITS)), max_size=40
)
_mobiles = st.builds(
    lambda prefix, rest, plus, sep: f"{plus}{prefix}{sep}{rest[:4]}{sep}{rest[4:]}",
    st.sampled_from(["13", "15", "17", "18", "19"]).flatmap(
        lambda head: st.sampled_from(_DIGITS).map(lambda d: head + d)
    ),
    st.text(alphabet=_DIGITS, min_size=8, max_size=8),
    st.sampled_from(["", "+86", "+86 ", "86-"]),
    st.sampled_from(["", " ", "-"]),
)
_cards = st.builds(
    lambda first, body, sep: _grouped(with_luhn(first + body), sep),
    st.sampled_from(["4", "5", "62", "3"]),
    st.integers(min_value=11, max_value=16).flatmap(
        lambda n: st.text(alphabet=_DIGITS, min_size=n, max_size=n)
    ),
    st.sampled_from(["", " ", "-"]),
)


def _grouped(digits: str, sep: str) -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _visible_digits(value: str) -> int:
    return len(re.findall(r"[0-9Xx\uff10-\uff19]", value))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_filler, _mobiles, _cards), max_size=6).map(" ".join))
def test_masking_keeps_the_length_and_leaves_only_the_kept_digits(text):
    masked = mask_text(text)
    assert len(masked) == len(text)
    for found in find_pii(text):
        head, tail = KEEP[found.kind]
        original = text[found.start : found.end]
        shown = masked[found.start : found.end]
        country = 2 if found.kind == "mobile" and _visible_digits(original) == 13 else 0
        assert _visible_digits(shown) == head + tail + country, (original, shown)
        # The kept digits are the item's own first and last ones, in place.
        assert shown.replace(MASK, "") == "".join(
            c for i, c in enumerate(original) if shown[i] != MASK
        )
    # Outside the items nothing changed.
    inside = {i for f in find_pii(text) for i in range(f.start, f.end)}
    assert all(masked[i] == text[i] for i in range(len(text)) if i not in inside)


@settings(max_examples=200, deadline=None)
@given(st.lists(_mobiles, min_size=1, max_size=3).map(" 和 ".join))
def test_every_generated_mobile_is_found(text):
    assert kinds(text).count("mobile") == text.count(" 和 ") + 1


@settings(max_examples=200, deadline=None)
@given(_cards)
def test_every_generated_card_is_found(text):
    assert kinds(f"卡号{text}。") == ["card"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=30),
            st.text(alphabet=_DIGITS, min_size=1, max_size=6),
        ),
        max_size=8,
    ).map("a".join)
)
def test_text_with_only_short_digit_runs_is_unchanged(text):
    # Amounts, codes, dates: runs of at most 6 digits, never joined by a space or a
    # hyphen (which could make them one grouped number), are no personal data.
    assert find_pii(text) == []
    assert mask_text(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Nd"])))
def test_text_without_digits_has_nothing_to_mask(text):
    assert find_pii(text) == []
    assert mask_text(text) == text
