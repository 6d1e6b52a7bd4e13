"""Patent and equipment identifiers: normalise what people (and KIPRIS/ZEUS exports) write into
one stored form, or raise ``ValidationError`` with a specific Korean message and a stable code.

- 출원번호 (application number): ``10-YYYY-NNNNNNN`` — right type code (10 특허, 20 실용신안),
  four-digit year, seven-digit serial. Accepted as typed with dashes, spaces, dots, fullwidth
  digits, or as the 13 digits KIPRIS exports (``1020190012345``).
- 공개번호 (publication number): the same shape as the application number.
- 등록번호 (registration number): ``10-NNNNNNN`` (type code and seven digits); KIPRIS exports
  thirteen digits ``1012345670000`` (four trailing zeros), which are accepted too.
- NFEC 등록번호 (national research facility/equipment number): ``NFEC-YYYY-MM-NNNNNN``.
- IPC codes: ``B23K 9/16`` (section letter A–H, class, subclass, main group/subgroup), or a
  subclass alone (``B23K``); a trailing version such as ``(2006.01)`` is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Korean IP right type codes that are technologies: 10 patent, 20 utility model.
PATENT_TYPE_CODES = ("10", "20")
FIRST_YEAR = 1948  # the Korean patent office's first year

APPLICATION_NUMBER_RE = r"^(10|20)-[0-9]{4}-[0-9]{7}$"
REGISTRATION_NUMBER_RE = r"^(10|20)-[0-9]{7}$"
NFEC_NUMBER_RE = r"^NFEC-[0-9]{4}-[0-9]{2}-[0-9]{6}$"

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._/]")
_IPC = re.compile(
    r"^(?P<section>[A-H])(?P<cls>[0-9]{2})(?P<subclass>[A-Z])"
    r"(?:\s*(?P<group>[0-9]{1,4})\s*/\s*(?P<subgroup>[0-9]{1,6}))?$"
)
_IPC_VERSION = re.compile(r"\(\s*[0-9]{4}\s*\.\s*[0-9]{2}\s*\)")
_IPC_SPLIT = re.compile(r"[|;,\n]+")


def _fold(value: object) -> str:
    """NFKC for the fullwidth block only (１２３ → 123), stripped."""
    text = str(value if value is not None else "")
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text
    ).strip()


def _digits(value: object) -> str:
    return _SEPARATORS.sub("", _fold(value))


def _check_year(year: int, code: str) -> None:
    this_year = dt.datetime.now(dt.UTC).year
    if not FIRST_YEAR <= year <= this_year + 1:
        raise ValidationError(
            _("번호의 연도(%(year)s)가 올바르지 않습니다."), code=code, params={"year": year}
        )


def normalize_application_number(value: object) -> str:
    """``10-YYYY-NNNNNNN`` from any common spelling, or ``ValidationError``."""
    digits = _digits(value)
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            _("출원번호는 10-YYYY-NNNNNNN 형식(숫자 13자리)이어야 합니다."),
            code="application_number_format",
        )
    if digits[:2] not in PATENT_TYPE_CODES:
        raise ValidationError(
            _("출원번호는 10(특허) 또는 20(실용신안)으로 시작해야 합니다."),
            code="application_number_type",
        )
    _check_year(int(digits[2:6]), "application_number_year")
    return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"


def normalize_publication_number(value: object) -> str:
    try:
        return normalize_application_number(value)
    except ValidationError as exc:
        raise ValidationError(
            _("공개번호는 10-YYYY-NNNNNNN 형식(숫자 13자리)이어야 합니다."),
            code="publication_number_format",
        ) from exc


def normalize_registration_number(value: object) -> str:
    """``10-NNNNNNN`` from ``10-1234567``, ``101234567`` or KIPRIS's ``1012345670000``."""
    digits = _digits(value)
    if len(digits) == 13 and digits.endswith("0000"):
        digits = digits[:9]
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            _("등록번호는 10-NNNNNNN 형식(숫자 9자리)이어야 합니다."),
            code="registration_number_format",
        )
    if digits[:2] not in PATENT_TYPE_CODES:
        raise ValidationError(
            _("등록번호는 10(특허) 또는 20(실용신안)으로 시작해야 합니다."),
            code="registration_number_type",
        )
    return f"{digits[:2]}-{digits[2:]}"


def normalize_nfec_number(value: object) -> str:
    """``NFEC-YYYY-MM-NNNNNN`` (case and separators forgiven), or ``ValidationError``."""
    text = _digits(value).upper()
    if text.startswith("NFEC"):
        text = text[4:]
    if len(text) != 12 or not text.isascii() or not text.isdigit():
        raise ValidationError(
            _("NFEC 등록번호는 NFEC-YYYY-MM-NNNNNN 형식이어야 합니다."), code="nfec_number_format"
        )
    year, month = int(text[:4]), int(text[4:6])
    _check_year(year, "nfec_number_year")
    if not 1 <= month <= 12:
        raise ValidationError(
            _("NFEC 등록번호의 월(%(month)s)이 올바르지 않습니다."),
            code="nfec_number_month",
            params={"month": text[4:6]},
        )
    return f"NFEC-{text[:4]}-{text[4:6]}-{text[6:]}"


def normalize_ipc_code(value: object) -> str:
    """One IPC code as ``B23K 9/16`` (or ``B23K``)."""
    text = _IPC_VERSION.sub("", _fold(value)).upper().strip()
    text = re.sub(r"\s+", " ", text)
    match = _IPC.match(text)
    if not match:
        raise ValidationError(
            _("IPC 코드 '%(code)s'의 형식이 올바르지 않습니다 (예: B23K 9/16)."),
            code="ipc_format",
            params={"code": str(value)[:30]},
        )
    head = f"{match['section']}{match['cls']}{match['subclass']}"
    if match["group"] is None:
        return head
    return f"{head} {int(match['group'])}/{match['subgroup'].zfill(2)}"


def parse_ipc_codes(value: object) -> list[str]:
    """IPC codes from a list or from text separated by ``|``, ``;``, ``,`` or new lines;
    normalised, de-duplicated, first one first (the main classification)."""
    items = value if isinstance(value, list | tuple) else _IPC_SPLIT.split(_fold(value))
    codes: dict[str, None] = {}
    for item in items:
        if str(item).strip():
            codes.setdefault(normalize_ipc_code(item), None)
    return list(codes)


def ipc_sections(codes: list[str]) -> str:
    """The distinct IPC sections (A–H) of codes, sorted: ``["B23K 9/16", "C23F 11/00"]`` →
    ``"BC"``."""
    return "".join(sorted({code[0] for code in codes if code}))
