from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin
from dure.directory.models import Organisation, Sido

from .models import Program, ProgramKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProgramFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("구분"), required=False, choices=[("", _("전체"))] + ProgramKind.choices
    )
    sido = forms.ModelChoiceField(
        label=_("지역"), required=False, queryset=Sido.objects.all(), empty_label=_("전체")
    )
    when = forms.ChoiceField(
        label=_("기간"),
        required=False,
        choices=[("upcoming", _("예정")), ("past", _("지난 교육·행사"))],
    )


class ProgramForm(AccessibleFormMixin, forms.ModelForm):
    """The fields a centre fills in; the service validates them again (the API uses it too)."""

    host = forms.ModelChoiceField(label=_("주최 기관"), queryset=Organisation.objects.none())

    class Meta:
        model = Program
        fields = [
            "host",
            "kind",
            "title",
            "summary",
            "description",
            "audience",
            "starts_at",
            "ends_at",
            "registration_closes_at",
            "is_online",
            "venue",
            "sido",
            "capacity",
            "fee",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "registration_closes_at": DATETIME,
        }

    def __init__(self, *args: Any, hosts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registration_closes_at"].required = False
        self.fields["host"].queryset = hosts
        if self.instance.pk:
            # The host of an existing programme does not change.
            del self.fields["host"]
        elif hosts.count() == 1:
            self.fields["host"].initial = hosts.first().pk
        self._link_descriptions()

    def _post_clean(self) -> None:
        # The service validates and saves; the model's own checks would run on a half-built
        # instance here.
        pass


class RegistrationForm(AccessibleFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("소속 기관"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("개인으로 신청"),
    )
    note = forms.CharField(
        label=_("요청 사항"),
        required=False,
        max_length=300,
        help_text=_("예: 휠체어 접근, 수어 통역 필요. 주최 기관 담당자만 봅니다."),
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first().pk


class CancelProgramForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("취소 사유"), max_length=300)
