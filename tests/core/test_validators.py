"""Korean identifiers: 사업자등록번호, 법인등록번호, phone numbers and the refusal of 주민등록번호.

The checksum rules are re-implemented here from the published algorithms (not imported), so
that a mistake in the code under test cannot hide behind the same mistake in the test.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given
from hypothesis import strategies as st

from dure.core.validators import (
    business_number_check_digit,
    corporate_number_check_digit,
    format_business_number,
    format_corporate_number,
    normalize_business_number,
    normalize_corporate_number,
    normalize_phone,
    reject_resident_number,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def nine_digits() -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=9, max_size=9)


def twelve_digits() -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=12, max_size=12)


def reference_business_check(first_nine: str) -> int:
    """국세청: weights 1,3,7,1,3,7,1,3,5, plus ⌊d9×5/10⌋; check = (10 − sum mod 10) mod 10."""
    d = [int(c) for c in first_nine]
    total = sum(x * w for x, w in zip(d, (1, 3, 7, 1, 3, 7, 1, 3, 5), strict=True))
    total += d[8] * 5 // 10
    return (10 - total % 10) % 10


def reference_corporate_check(first_twelve: str) -> int:
    """법인등록번호: weights 1,2 alternating over twelve digits; same rule."""
    total = sum(int(c) * (1 if i % 2 == 0 else 2) for i, c in enumerate(first_twelve))
    return (10 - total % 10) % 10


def valid_business_number(first_nine: str) -> str:
    return first_nine + str(reference_business_check(first_nine))


def valid_corporate_number(first_twelve: str) -> str:
    return first_twelve + str(reference_corporate_check(first_twelve))


def error_code(func, value) -> str:
    with pytest.raises(ValidationError) as excinfo:
        func(value)
    return excinfo.value.code


# --- 사업자등록번호 ------------------------------------------------------------------------------


@given(nine_digits())
def test_business_check_digit_matches_the_published_algorithm(first_nine):
    assert business_number_check_digit(first_nine) == reference_business_check(first_nine)


@given(nine_digits(), st.sampled_from(["plain", "dashed", "spaced", "padded", "fullwidth"]))
def test_any_nine_digits_with_their_check_digit_are_accepted_in_every_spelling(first_nine, style):
    number = valid_business_number(first_nine)
    spelled = {
        "plain": number,
        "dashed": f"{number[:3]}-{number[3:5]}-{number[5:]}",
        "spaced": f"{number[:3]} {number[3:5]} {number[5:]}",
        "padded": f"  {number[:3]} - {number[3:5]} - {number[5:]}\n",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in number[:3]) + "－" + number[3:],
    }[style]
    assert normalize_business_number(spelled) == number
    assert len(number) == 10 and number.isascii() and number.isdigit()


@given(nine_digits(), st.integers(min_value=1, max_value=9))
def test_changing_the_check_digit_is_always_rejected(first_nine, shift):
    number = valid_business_number(first_nine)
    wrong = number[:9] + str((int(number[9]) + shift) % 10)
    assert error_code(normalize_business_number, wrong) == "business_number_checksum"


@given(nine_digits(), st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_changing_any_one_of_the_first_nine_digits_is_always_rejected(first_nine, position, shift):
    # Weights 1, 3 and 7 are coprime to 10, and the ninth digit contributes
    # 5·d + ⌊5·d/10⌋ ≡ 0,5,1,6,2,7,3,8,4,9 (mod 10) for d = 0…9 — a permutation: so every
    # change of a single digit moves the sum mod 10 and is caught.
    number = valid_business_number(first_nine)
    changed = list(number)
    changed[position] = str((int(changed[position]) + shift) % 10)
    assert error_code(normalize_business_number, "".join(changed)) == "business_number_checksum"


def test_the_ninth_digit_contribution_is_a_permutation_mod_10():
    contributions = [(d * 5 + d * 5 // 10) % 10 for d in range(10)]
    assert sorted(contributions) == list(range(10))


def test_two_changed_digits_can_cancel_out():
    # Not every typo is caught: swapping in a +1 on a weight-1 digit and a −1 on another
    # weight-1 digit keeps the sum. Stated so that nobody relies on the checksum for more.
    number = valid_business_number("123456789")
    twin = str(int(number[0]) + 1) + number[1:3] + str(int(number[3]) - 1) + number[4:]
    assert twin != number
    assert normalize_business_number(twin) == twin


@pytest.mark.parametrize(
    "number",
    [
        "220-81-62517",  # computed: 2·1+2·3+0·7+8·1+1·3+6·7+2·1+5·3+1·5 + ⌊1·5/10⌋ = 83 → 7
        "124-81-00998",  # computed: check digit 8
        "101-81-00340",  # a check digit 0 (the (10 − 0) mod 10 case)
    ],
)
def test_known_numbers_computed_by_hand_are_valid(number):
    plain = number.replace("-", "")
    assert reference_business_check(plain[:9]) == int(plain[9])
    assert normalize_business_number(number) == plain
    assert format_business_number(plain) == number


@given(
    st.one_of(
        st.text(alphabet="0123456789", max_size=9),
        st.text(alphabet="0123456789", min_size=11, max_size=30),
    )
)
def test_wrong_lengths_give_the_format_code(value):
    assert error_code(normalize_business_number, value) == "business_number_format"


@given(st.text(max_size=20))
@example("²²⁰8162517")  # superscripts: str.isdigit() says yes, int() says no
@example("٢٢٠٨١٦٢٥١٧")  # Arabic-Indic digits
@example("220.81.62517")
@example("")
@example("\x00")
def test_any_text_gives_ten_ascii_digits_or_a_validation_error(value):
    try:
        result = normalize_business_number(value)
    except ValidationError as exc:
        assert exc.code in ("business_number_format", "business_number_checksum")
    else:
        assert len(result) == 10 and result.isascii() and result.isdigit()


@given(nine_digits(), st.sampled_from("abcXㄱ가.,/_①²"))
def test_non_digits_inside_a_number_give_the_format_code(first_nine, junk):
    number = valid_business_number(first_nine)
    assert error_code(normalize_business_number, number[:4] + junk + number[4:]) == (
        "business_number_format"
    )


def test_business_number_errors_are_specific_and_korean():
    with pytest.raises(ValidationError) as excinfo:
        normalize_business_number("220-81-62518")
    assert excinfo.value.code == "business_number_checksum"
    assert "사업자등록번호 검증번호가 맞지 않습니다" in str(excinfo.value.messages[0])

    with pytest.raises(ValidationError) as excinfo:
        normalize_business_number("12345")
    assert excinfo.value.code == "business_number_format"
    assert "숫자 10자리" in str(excinfo.value.messages[0])


# --- 법인등록번호 --------------------------------------------------------------------------------


@given(twelve_digits())
def test_corporate_check_digit_matches_the_published_algorithm(first_twelve):
    assert corporate_number_check_digit(first_twelve) == reference_corporate_check(first_twelve)


@given(twelve_digits(), st.booleans())
def test_any_twelve_digits_with_their_check_digit_are_accepted(first_twelve, dashed):
    number = valid_corporate_number(first_twelve)
    spelled = f"{number[:6]}-{number[6:]}" if dashed else number
    assert normalize_corporate_number(spelled) == number
    assert format_corporate_number(number) == f"{number[:6]}-{number[6:]}"


@given(twelve_digits(), st.integers(min_value=1, max_value=9))
def test_changing_the_corporate_check_digit_is_always_rejected(first_twelve, shift):
    number = valid_corporate_number(first_twelve)
    wrong = number[:12] + str((int(number[12]) + shift) % 10)
    assert error_code(normalize_corporate_number, wrong) == "corporate_number_checksum"


@given(
    twelve_digits(), st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=9)
)
def test_changing_an_odd_position_digit_is_always_rejected(first_twelve, pair, shift):
    # Weight 1 positions (1st, 3rd, …): every change moves the sum mod 10.
    number = valid_corporate_number(first_twelve)
    position = pair * 2
    changed = list(number)
    changed[position] = str((int(changed[position]) + shift) % 10)
    assert error_code(normalize_corporate_number, "".join(changed)) == "corporate_number_checksum"


@given(twelve_digits(), st.integers(min_value=0, max_value=5))
def test_a_weight_two_digit_changed_by_five_keeps_the_checksum(first_twelve, pair):
    # Weight 2 positions: +5 adds 10 to the sum, so the checksum cannot see it (a limit of the
    # algorithm, stated here so nobody relies on it).
    number = valid_corporate_number(first_twelve)
    position = pair * 2 + 1
    changed = list(number)
    changed[position] = str((int(changed[position]) + 5) % 10)
    assert normalize_corporate_number("".join(changed)) == "".join(changed)


@given(st.text(max_size=20))
@example("１１０１１１－１２３４５６７")
@example("¹¹⁰¹¹¹¹²³⁴⁵⁶⁷")
def test_any_text_gives_thirteen_ascii_digits_or_a_corporate_error(value):
    try:
        result = normalize_corporate_number(value)
    except ValidationError as exc:
        assert exc.code in ("corporate_number_format", "corporate_number_checksum")
    else:
        assert len(result) == 13 and result.isascii() and result.isdigit()


def test_corporate_number_errors_are_specific_and_korean():
    with pytest.raises(ValidationError) as excinfo:
        normalize_corporate_number("110111-123456")
    assert excinfo.value.code == "corporate_number_format"
    assert "13자리" in str(excinfo.value.messages[0])
    good = valid_corporate_number("110111123456")
    wrong = good[:12] + str((int(good[12]) + 1) % 10)
    with pytest.raises(ValidationError) as excinfo:
        normalize_corporate_number(wrong)
    assert excinfo.value.code == "corporate_number_checksum"
    assert "법인등록번호 검증번호가 맞지 않습니다" in str(excinfo.value.messages[0])


# --- phone numbers -----------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=4, max_size=4), st.sampled_from(["-", " ", ""]))
def test_seoul_numbers_come_out_as_02_xxxx_xxxx(tail, sep):
    number = f"02{sep}2{tail[:3]}{sep}{tail}"
    assert normalize_phone(number) == f"02-2{tail[:3]}-{tail}"


@given(
    st.sampled_from(["031", "032", "042", "051", "055", "061", "064"]),
    st.integers(min_value=200, max_value=9999),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
def test_regional_numbers_come_out_as_0xx_xxxx_xxxx(area, exchange, line):
    assert normalize_phone(f"{area}{exchange}{line}") == f"{area}-{exchange}-{line}"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_mobile_numbers_come_out_as_010_xxxx_xxxx(rest):
    # libphonenumber's metadata leaves 010-5970…010-5999 unassigned; every other 010 block is.
    assume(not "5970" <= rest[:4] <= "5999")
    assert normalize_phone(f"010{rest}") == f"010-{rest[:4]}-{rest[4:]}"
    assert normalize_phone(f"+82 10 {rest[:4]} {rest[4:]}") == f"010-{rest[:4]}-{rest[4:]}"


@pytest.mark.parametrize("prefix", ["1588", "1577", "1600", "1644", "1566"])
def test_nationwide_numbers_come_out_as_15xx_xxxx(prefix):
    assert normalize_phone(f"{prefix}1234") == f"{prefix}-1234"
    assert normalize_phone(f"{prefix}-1234") == f"{prefix}-1234"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(02) 1234-5678", "02-1234-5678"),
        ("０２－１２３４－５６７８", "02-1234-5678"),  # fullwidth, as a Korean IME may type
        ("042.123.4567", "042-123-4567"),
        ("02-1234-5678 내선 12", "02-1234-5678 내선 12"),
        ("02-1234-5678#12", "02-1234-5678 내선 12"),
        ("+1 650 253 0000", "+1 650-253-0000"),
    ],
)
def test_phone_spellings(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone_format"),
        ("전화 없음", "phone_format"),
        ("1588-ABCD", "phone_format"),  # vanity letters would silently become other digits
        ("010-1234-567O", "phone_format"),  # letter O typed for zero
        ("0" * 31, "phone_format"),
        ("02-123-456", "phone_invalid"),
        ("1234-5678", "phone_invalid"),
    ],
)
def test_phone_errors_have_codes(raw, code):
    assert error_code(normalize_phone, raw) == code


def test_phone_error_messages_are_korean():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("02-123-456")
    assert "지역번호를 포함해" in str(excinfo.value.messages[0])
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("abc")
    assert "전화번호 형식이 올바르지 않습니다" in str(excinfo.value.messages[0])


@given(st.text(max_size=40))
@example("+16502530000x123456")
@example("\x00")
def test_any_text_gives_a_short_phone_number_or_a_validation_error(value):
    try:
        result = normalize_phone(value)
    except ValidationError as exc:
        assert exc.code in ("phone_format", "phone_invalid")
    else:
        assert 0 < len(result) <= 30  # fits Organisation.phone
        assert normalize_phone(result) == result  # normalising twice changes nothing


# --- 주민등록번호 --------------------------------------------------------------------------------


birth_dates = st.dates().map(lambda d: d.strftime("%y%m%d"))


@given(
    birth_dates,
    st.sampled_from("12345678"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["-", " - ", "", "－"]),
    st.sampled_from(["", "주민번호 ", "번호", "연락처: 대표 "]),
)
def test_resident_numbers_are_refused_wherever_they_appear(date, gender, rest, sep, before):
    text = f"{before}{date}{sep}{gender}{rest} 입니다"
    assert error_code(reject_resident_number, text) == "resident_number"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "대표 전화 02-1234-5678, 010-1234-5678",
        "사업자등록번호 220-81-62517",
        "법인등록번호 110111-0123456",  # the seventh digit 0 is not a resident number
        "2024년 매출 1,234,567,890원",
        "시제품 개발을 원스톱으로 제공합니다",
    ],
)
def test_other_numbers_are_not_mistaken_for_resident_numbers(text):
    reject_resident_number(text)


def test_resident_number_message_is_korean():
    with pytest.raises(ValidationError) as excinfo:
        reject_resident_number("900101-1234567")
    assert excinfo.value.code == "resident_number"
    assert "주민등록번호는 입력할 수 없습니다" in str(excinfo.value.messages[0])
