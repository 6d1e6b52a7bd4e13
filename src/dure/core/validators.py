"""Korean identifiers: 사업자등록번호, 법인등록번호 and phone numbers.

Each validator normalises (strips dashes and spaces) and raises ``ValidationError`` with a
specific Korean message and a stable ``code`` that the API passes on.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Separators people type between digit groups: spaces and the dashes a Korean IME or a word
# processor produces (hyphen-minus, hyphen, en/em dash, minus sign; fullwidth forms become
# these after NFKC).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_ASCII_DIGITS = re.compile(r"[0-9]+")

BUSINESS_NUMBER_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
CORPORATE_NUMBER_WEIGHTS = (1, 2) * 6


def _digits(value: str) -> str:
    """The value without separators; fullwidth digits (１２３) become ASCII. Other characters
    stay, so that the caller can refuse them (``str.isdigit`` would accept ² or ٣)."""
    text = str(value or "")
    # Only fold the fullwidth block: NFKC would also turn superscripts and circled digits
    # (², ①) into digits, which nobody means as an identifier.
    text = "".join(
        unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text
    )
    return _SEPARATORS.sub("", text)


def _is_ascii_digits(text: str, length: int) -> bool:
    return len(text) == length and _ASCII_DIGITS.fullmatch(text) is not None


def business_number_check_digit(first_nine: str) -> int:
    """Check digit of a 사업자등록번호 from its first nine digits (국세청 algorithm)."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, BUSINESS_NUMBER_WEIGHTS, strict=True))
    total += (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def corporate_number_check_digit(first_twelve: str) -> int:
    """Check digit of a 법인등록번호 from its first twelve digits."""
    total = sum(int(c) * w for c, w in zip(first_twelve, CORPORATE_NUMBER_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def normalize_business_number(value: str) -> str:
    """Return the ten digits of a valid 사업자등록번호 or raise ``ValidationError``."""
    digits = _digits(value)
    if not _is_ascii_digits(digits, 10):
        raise ValidationError(
            _("사업자등록번호는 숫자 10자리여야 합니다 (예: 123-45-67890)."),
            code="business_number_format",
        )
    if business_number_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("사업자등록번호 검증번호가 맞지 않습니다. 번호를 다시 확인해 주세요."),
            code="business_number_checksum",
        )
    return digits


def normalize_corporate_number(value: str) -> str:
    """Return the thirteen digits of a valid 법인등록번호 or raise ``ValidationError``."""
    digits = _digits(value)
    if not _is_ascii_digits(digits, 13):
        raise ValidationError(
            _("법인등록번호는 숫자 13자리여야 합니다 (예: 110111-1234567)."),
            code="corporate_number_format",
        )
    if corporate_number_check_digit(digits[:12]) != int(digits[12]):
        raise ValidationError(
            _("법인등록번호 검증번호가 맞지 않습니다. 번호를 다시 확인해 주세요."),
            code="corporate_number_checksum",
        )
    return digits


# What a phone number may be written with: digits, separators, brackets, a leading +, and
# optionally an extension (내선 12, ext. 12, x12, #12). Letters are refused: phonenumbers would
# read "1588-ABCD" or a mistyped "010-1234-567O" as digits and store a different number.
_PHONE_CHARS = re.compile(r"\+?[0-9\s\-.()\u2010-\u2015\u2212]+")
_PHONE_EXTENSION = re.compile(r"\s*(?:내선|ext\.?|x|#)\s*([0-9]{1,6})\s*$", re.IGNORECASE)
PHONE_MAX_LENGTH = 30


def normalize_phone(value: str) -> str:
    """Return a Korean phone number in national format (02-1234-5678, 031-123-4567,
    010-1234-5678, 1588-1234) or raise ``ValidationError``. International numbers (+…) are
    accepted too and returned in international format."""
    raw = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not raw or len(raw) > PHONE_MAX_LENGTH:
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format")
    number, extension = raw, ""
    ext = _PHONE_EXTENSION.search(raw)
    if ext:
        number, extension = raw[: ext.start()], ext.group(1)
    if not _PHONE_CHARS.fullmatch(number):
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format")
    try:
        parsed = phonenumbers.parse(number, "KR")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("존재하지 않는 전화번호 형식입니다. 지역번호를 포함해 입력해 주세요."),
            code="phone_invalid",
        )
    if parsed.country_code == 82:
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if extension:
        formatted = f"{formatted} 내선 {extension}"
    if len(formatted) > PHONE_MAX_LENGTH:
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format")
    return formatted


def validate_business_number(value: str) -> None:
    normalize_business_number(value)


def validate_corporate_number(value: str) -> None:
    normalize_corporate_number(value)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def format_business_number(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits


def format_corporate_number(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}" if len(digits) == 13 else digits


# A resident registration number (주민등록번호) must never be collected (PIPA art. 24-2):
# six digits of a birth date (YYMMDD), an optional dash, a gender/century digit 1–8 and six
# more digits. Digit boundaries instead of \b, so that "번호900101-1234567" (Korean text
# right before the digits) is caught too; fullwidth digits are folded first. The form without a
# dash is refused as well (the law weighs more than the rare false positive: a 13-digit code
# such as an 880… EAN-13 barcode whose digits 3–6 happen to read as a date); the check digit
# cannot narrow it down, since numbers issued from October 2020 no longer carry one.
_RRN = re.compile(
    r"(?<![0-9])[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"\s*[\-\u2010-\u2015\u2212]?\s*[1-8][0-9]{6}(?![0-9])"
)


def reject_resident_number(value: str) -> None:
    if value and _RRN.search(unicodedata.normalize("NFKC", str(value))):
        raise ValidationError(
            _("주민등록번호는 입력할 수 없습니다. 개인정보 보호를 위해 해당 내용을 지워 주세요."),
            code="resident_number",
        )
