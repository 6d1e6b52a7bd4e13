"""Form helpers that make every form accessible: errors tied to their field
(``aria-describedby``, ``aria-invalid``), help text linked, required marked."""

from __future__ import annotations

from django import forms


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
