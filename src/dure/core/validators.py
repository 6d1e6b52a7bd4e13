"""Korean identifiers: 사업자등록번호, 법인등록번호 and phone numbers.

Each validator normalises (strips dashes and spaces) and raises ``ValidationError`` with a
specific Korean message and a stable ``code`` that the API passes on.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-]")

BUSINESS_NUMBER_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
CORPORATE_NUMBER_WEIGHTS = (1, 2) * 6


def _digits(value: str) -> str:
    return _SEPARATORS.sub("", str(value or ""))


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
    if not digits.isdigit() or len(digits) != 10:
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
    if not digits.isdigit() or len(digits) != 13:
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


def normalize_phone(value: str) -> str:
    """Return a Korean phone number in national format (02-1234-5678, 010-1234-5678,
    1588-1234) or raise ``ValidationError``. International numbers (+…) are accepted too."""
    raw = str(value or "").strip()
    if not raw or len(raw) > 30:
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format")
    try:
        parsed = phonenumbers.parse(raw, "KR")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("전화번호 형식이 올바르지 않습니다."), code="phone_format") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("존재하지 않는 전화번호 형식입니다. 지역번호를 포함해 입력해 주세요."),
            code="phone_invalid",
        )
    if parsed.country_code == 82:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


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


# A resident registration number (주민등록번호) must never be collected (PIPA art. 24-2).
_RRN = re.compile(r"\b\d{6}\s*-\s*[1-8]\d{6}\b")


def reject_resident_number(value: str) -> None:
    if value and _RRN.search(str(value)):
        raise ValidationError(
            _("주민등록번호는 입력할 수 없습니다. 개인정보 보호를 위해 해당 내용을 지워 주세요."),
            code="resident_number",
        )
