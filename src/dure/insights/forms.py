from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin

from .indicators import INDICATORS


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("연도"), coerce=int, choices=[])

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class TargetsForm(AccessibleFormMixin, forms.Form):
    """One whole number per indicator; blank removes that target."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for indicator in INDICATORS:
            self.fields[indicator.key] = forms.IntegerField(
                label=f"{indicator.label} ({indicator.unit})",
                required=False,
                min_value=0,
                help_text=indicator.definition,
            )
        self._link_descriptions()
