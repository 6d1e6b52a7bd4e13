from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin

from .models import (
    MOU,
    IndustryClass,
    Organisation,
    OrganisationKind,
    Sido,
    Sigungu,
    StrategicField,
)

QUERY_MAX_LENGTH = 200


class DirectoryFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(
        label=_("검색어"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "maxlength": QUERY_MAX_LENGTH}),
    )
    kind = forms.ChoiceField(
        label=_("기관 유형"),
        required=False,
        choices=[("", _("전체"))] + list(OrganisationKind.choices),
    )
    sido = forms.ModelChoiceField(
        label=_("지역"), required=False, queryset=Sido.objects.all(), empty_label=_("전체")
    )
    field = forms.ModelChoiceField(
        label=_("분야"),
        required=False,
        queryset=StrategicField.objects.all(),
        empty_label=_("전체"),
    )

    def clean_q(self):
        # A pasted paragraph is searched by its beginning rather than refused: a search box
        # that answers "too long" is no help.
        return " ".join((self.cleaned_data.get("q") or "").split())[:QUERY_MAX_LENGTH]


class OrganisationForm(AccessibleFormMixin, forms.ModelForm):
    business_number = forms.CharField(
        label=_("사업자등록번호"),
        required=False,
        max_length=12,
        help_text=_("숫자 10자리, 하이픈은 있어도 됩니다 (예: 123-45-67890)."),
    )
    corporate_number = forms.CharField(
        label=_("법인등록번호"),
        required=False,
        max_length=14,
        help_text=_("숫자 13자리 (예: 110111-1234567)."),
    )
    industry = forms.CharField(
        label=_("업종 코드 (KSIC)"),
        required=False,
        max_length=5,
        help_text=_("한국표준산업분류 코드 (예: 62010 컴퓨터 프로그래밍 서비스업)."),
    )
    capabilities = forms.CharField(
        label=_("역량"),
        required=False,
        max_length=500,
        help_text=_("쉼표로 구분해 입력하세요 (예: 제품모델링, 회로개발, 기구설계)."),
    )
    founded_on = forms.DateField(
        label=_("설립일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    website = forms.URLField(
        label=_("웹사이트"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "name_en",
            "acronym",
            "kind",
            "parent",
            "business_number",
            "corporate_number",
            "sido",
            "sigungu",
            "address",
            "postal_code",
            "industry",
            "founded_on",
            "member_count",
            "employee_count",
            "strategic_fields",
            "capabilities",
            "website",
            "email",
            "phone",
            "description",
            "is_public",
        ]
        widgets = {"strategic_fields": forms.CheckboxSelectMultiple}

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sigungu"].queryset = Sigungu.objects.select_related("sido")
        if self.instance.pk:
            self.initial["business_number"] = self.instance.business_number_display
            self.initial["corporate_number"] = self.instance.corporate_number_display
            self.initial["industry"] = self.instance.industry_id or ""
            self.initial["capabilities"] = ", ".join(
                c.name for c in self.instance.capabilities.all()
            )
        if not staff:
            for name in ("kind", "parent", "is_public"):
                del self.fields[name]
        else:
            self.fields["parent"].queryset = Organisation.objects.order_by("name")
        self._link_descriptions()

    def clean_industry(self):
        code = (self.cleaned_data.get("industry") or "").strip()
        if not code:
            return None
        try:
            return IndustryClass.objects.get(pk=code)
        except IndustryClass.DoesNotExist as exc:
            raise forms.ValidationError(
                _("없는 표준산업분류 코드입니다."), code="industry_unknown"
            ) from exc

    def clean_capabilities(self):
        raw = self.cleaned_data.get("capabilities") or ""
        return [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]

    def _post_clean(self):
        # Validation of the model happens in the service (one source of truth for pages and
        # API); here only the form fields are cleaned.
        pass

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return data


class MOUForm(AccessibleFormMixin, forms.ModelForm):
    parties = forms.ModelMultipleChoiceField(
        label=_("협약 기관"),
        queryset=Organisation.objects.none(),
        help_text=_("두 곳 이상 선택하세요. Ctrl(⌘) 키를 누른 채 여러 개를 고를 수 있습니다."),
    )
    signed_on = forms.DateField(
        label=_("체결일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("종료일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = MOU
        fields = ["title", "parties", "signed_on", "ends_on", "status", "scope", "attachment"]

    def __init__(self, *args, party_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = (
            party_queryset
            if party_queryset is not None
            else (Organisation.objects.order_by("name"))
        )
        if self.instance.pk:
            self.initial["parties"] = list(self.instance.parties.all())
        self._link_descriptions()

    def clean_attachment(self):
        f = self.cleaned_data.get("attachment")
        if f and hasattr(f, "size") and f.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("파일은 20MB 이하여야 합니다."), code="file_too_large")
        if f and hasattr(f, "read") and not getattr(f, "_committed", False):
            head = f.read(8)
            f.seek(0)
            if not head.startswith(b"%PDF"):
                raise forms.ValidationError(
                    _("협약서는 PDF 파일만 올릴 수 있습니다."), code="file_type"
                )
        return f

    def _post_clean(self):
        pass
