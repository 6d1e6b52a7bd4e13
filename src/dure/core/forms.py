"""Form helpers that make every form accessible: errors tied to their field
(``aria-describedby``, ``aria-invalid``), help text linked, required marked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class AccessibleFormMixin:
    """Mix into any Form/ModelForm; the field template ``core/includes/field.html`` renders
    the ids this mixin points to."""

    def full_clean(self) -> None:  # type: ignore[override]
        super().full_clean()  # type: ignore[misc]
        self._link_descriptions()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._link_descriptions()

    def _link_descriptions(self) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        for name, field in form.fields.items():
            bound = form[name]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}_help")
            if form.is_bound and hasattr(form, "_errors") and form._errors and name in form._errors:
                described.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
            else:
                field.widget.attrs.pop("aria-describedby", None)
            if field.required:
                field.widget.attrs["required"] = True


def apply_service_errors(form: Any, exc: ValidationError, rename: dict | None = None) -> None:
    """Put a service's ``ValidationError`` on the form: each field's errors on that field
    (``rename`` maps service names to form names), others on the whole form; then re-link
    the error descriptions so screen readers announce them with their field."""
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = rename.get(field, field)
            form.add_error(field if field in form.fields else NON_FIELD_ERRORS, errors)
    else:
        form.add_error(None, exc)
    if hasattr(form, "_link_descriptions"):
        form._link_descriptions()
