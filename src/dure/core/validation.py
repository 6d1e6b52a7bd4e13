"""Collecting a service's field errors, so that a form or an API caller learns every wrong
field at once (one ``ValidationError`` with an error dict), in Korean with stable codes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .validators import reject_resident_number


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Trimmed text; single-line text has its runs of whitespace made one space."""
    text = str(value if value is not None else "").strip()
    return text if multiline else " ".join(text.split())


class FieldErrors:
    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: Any, code: str, params: dict | None = None) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code, params))

    def extend(self, field: str, exc: ValidationError) -> None:
        self.errors.setdefault(field, []).append(exc)

    def text(
        self,
        data: Any,
        field: str,
        limit: int,
        *,
        required: bool,
        multiline: bool = False,
    ) -> str:
        """``data[field]`` as clean text: required, at most ``limit`` characters, and never a
        resident registration number."""
        value = clean_text(data.get(field), multiline=multiline)
        if required and not value:
            self.add(field, _("이 항목을 입력해 주세요."), "required")
        elif len(value) > limit:
            self.add(field, _("%(limit)s자 이내로 입력해 주세요."), "max_length", {"limit": limit})
        else:
            try:
                reject_resident_number(value)
            except ValidationError as exc:
                self.extend(field, exc)
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
