"""Technology-bank forms. Thin: they collect text and choices; the services normalise and check
everything (numbers, IPC codes, fees, periods) and their field errors are put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin
from dure.directory.models import Organisation, OrganisationKind, Sido

from .models import (
    DEAL_TYPE_FIELDS,
    BookingStatus,
    Commercialisation,
    DealType,
    EquipmentStatus,
    ExchangeDirection,
    ExchangeStatus,
    Expert,
    IPCSection,
    PatentStatus,
    SharingScope,
    TransferStatus,
)

KIND_CHOICES = [
    ("", _("전체")),
    ("technology", _("기술")),
    ("equipment", _("장비")),
    ("lab", _("연구실")),
    ("expert", _("전문가")),
]
TRL_CHOICES = [("", _("전체"))] + [(str(n), f"TRL {n}") for n in range(1, 10)]


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("전체")), *list(choices)]


def institutes() -> Any:
    return Organisation.objects.filter(kind=OrganisationKind.RESEARCH_INSTITUTE).order_by("name")


class SearchForm(AccessibleFormMixin, forms.Form):
    """The techbank home: one box across kinds, with the facet filters."""

    q = forms.CharField(label=_("검색어"), required=False, max_length=10000)
    kind = forms.ChoiceField(label=_("종류"), required=False, choices=KIND_CHOICES)
    institute = forms.CharField(label=_("기관"), required=False, max_length=20)
    ipc = forms.ChoiceField(label=_("IPC 섹션"), required=False, choices=_blank(IPCSection.choices))
    status = forms.CharField(label=_("상태"), required=False, max_length=20)
    trl = forms.ChoiceField(label=_("기술성숙도 (TRL)"), required=False, choices=TRL_CHOICES)
    region = forms.CharField(label=_("지역"), required=False, max_length=2)

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            key: data[key]
            for key in ("institute", "ipc", "status", "trl", "region")
            if data.get(key)
        }


class TechnologyFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=_("검색어"), required=False, max_length=10000)
    institute = forms.ModelChoiceField(
        label=_("보유 기관"), required=False, queryset=Organisation.objects.none()
    )
    ipc = forms.ChoiceField(label=_("IPC 섹션"), required=False, choices=_blank(IPCSection.choices))
    status = forms.ChoiceField(
        label=_("권리 상태"), required=False, choices=_blank(PatentStatus.choices)
    )
    commercialisation = forms.ChoiceField(
        label=_("활용 상태"), required=False, choices=_blank(Commercialisation.choices)
    )
    trl = forms.ChoiceField(label=_("기술성숙도 (TRL)"), required=False, choices=TRL_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institutes()


class EquipmentFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=_("검색어"), required=False, max_length=10000)
    institute = forms.ModelChoiceField(
        label=_("보유 기관"), required=False, queryset=Organisation.objects.none()
    )
    status = forms.ChoiceField(
        label=_("장비 상태"), required=False, choices=_blank(EquipmentStatus.choices)
    )
    sharing = forms.ChoiceField(
        label=_("활용 범위"), required=False, choices=_blank(SharingScope.choices)
    )
    region = forms.ModelChoiceField(
        label=_("지역"), required=False, queryset=Sido.objects.order_by("code")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institutes()


class SimpleFilterForm(AccessibleFormMixin, forms.Form):
    """Labs and experts: a query and an institute."""

    q = forms.CharField(label=_("검색어"), required=False, max_length=10000)
    institute = forms.ModelChoiceField(
        label=_("소속 기관"), required=False, queryset=Organisation.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institutes()


class StatusFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("상태"), required=False)

    def __init__(self, *args: Any, choices: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _blank(choices)


def booking_status_form(data: Any) -> StatusFilterForm:
    return StatusFilterForm(data, choices=BookingStatus.choices)


def transfer_status_form(data: Any) -> StatusFilterForm:
    return StatusFilterForm(data, choices=TransferStatus.choices)


def exchange_status_form(data: Any) -> StatusFilterForm:
    return StatusFilterForm(data, choices=ExchangeStatus.choices)


# --- create / edit ---------------------------------------------------------------------------------

TEXTAREA = forms.Textarea(attrs={"rows": 5})


class TechnologyForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=_("발명의 명칭"), max_length=500)
    title_en = forms.CharField(label=_("영문 명칭"), max_length=500, required=False)
    application_number = forms.CharField(
        label=_("출원번호"), max_length=20, help_text=_("10-YYYY-NNNNNNN 또는 숫자 13자리")
    )
    application_date = forms.DateField(
        label=_("출원일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    registration_number = forms.CharField(label=_("등록번호"), max_length=12, required=False)
    registration_date = forms.DateField(
        label=_("등록일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("권리 상태"), choices=PatentStatus.choices)
    holder = forms.ModelChoiceField(label=_("보유 기관"), queryset=Organisation.objects.none())
    abstract = forms.CharField(label=_("요약"), required=False, widget=TEXTAREA, max_length=20000)
    key_claims = forms.CharField(
        label=_("대표 청구항"), required=False, widget=TEXTAREA, max_length=20000
    )
    ipc_codes = forms.CharField(
        label=_("IPC 분류"),
        required=False,
        max_length=500,
        help_text=_("쉼표로 구분 (예: B23K 26/00, C23F 11/00)"),
    )
    keywords = forms.CharField(
        label=_("키워드"), required=False, max_length=1000, help_text=_("쉼표로 구분")
    )
    inventor_names = forms.CharField(label=_("발명자"), required=False, max_length=500)
    trl = forms.ChoiceField(label=_("기술성숙도 (TRL)"), required=False, choices=TRL_CHOICES[1:])
    commercialisation = forms.ChoiceField(label=_("활용 상태"), choices=Commercialisation.choices)
    deal_types = forms.MultipleChoiceField(
        label=_("거래 유형"),
        required=False,
        choices=DealType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    upfront_fee = forms.CharField(
        label=_("착수기본료 (원)"),
        required=False,
        max_length=20,
        help_text=_("비워 두면 협의. 휴면 특허는 착수기본료가 면제됩니다."),
    )
    royalty_percent = forms.CharField(
        label=_("경상기술료율 (%)"), required=False, max_length=10, help_text=_("매출액 대비 %")
    )

    def __init__(self, *args: Any, institute_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = institute_queryset
        self.fields["trl"].choices = [("", _("미정")), *TRL_CHOICES[1:]]

    @staticmethod
    def initial_for(tech: Any) -> dict[str, Any]:
        return {
            "title": tech.title,
            "title_en": tech.title_en,
            "application_number": tech.application_number,
            "application_date": tech.application_date,
            "registration_number": tech.registration_number,
            "registration_date": tech.registration_date,
            "status": tech.status,
            "holder": tech.holder_id,
            "abstract": tech.abstract,
            "key_claims": tech.key_claims,
            "ipc_codes": ", ".join(tech.ipc_codes or []),
            "keywords": ", ".join(tech.keywords or []),
            "inventor_names": tech.inventor_names,
            "trl": tech.trl or "",
            "commercialisation": tech.commercialisation,
            "deal_types": [d for d, f in DEAL_TYPE_FIELDS.items() if getattr(tech, f)],
            "upfront_fee": "" if tech.upfront_fee is None else tech.upfront_fee,
            "royalty_percent": "" if tech.royalty_percent is None else tech.royalty_percent,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["trl"] = data.get("trl") or None
        return data


class EquipmentForm(AccessibleFormMixin, forms.Form):
    nfec_number = forms.CharField(
        label=_("NFEC 등록번호"), max_length=25, help_text=_("예: NFEC-2016-04-209871")
    )
    name = forms.CharField(label=_("장비명"), max_length=200)
    name_en = forms.CharField(label=_("영문 장비명"), max_length=200, required=False)
    manufacturer = forms.CharField(label=_("제작사"), max_length=100, required=False)
    model_name = forms.CharField(label=_("모델명"), max_length=100, required=False)
    classification = forms.CharField(label=_("장비 분류"), max_length=100, required=False)
    institute = forms.ModelChoiceField(label=_("보유 기관"), queryset=Organisation.objects.none())
    location = forms.CharField(label=_("설치 장소"), max_length=200, required=False)
    sido = forms.ModelChoiceField(
        label=_("소재 시도"), required=False, queryset=Sido.objects.order_by("code")
    )
    capability = forms.CharField(label=_("성능"), required=False, widget=TEXTAREA)
    configuration = forms.CharField(label=_("구성"), required=False, widget=TEXTAREA)
    use_examples = forms.CharField(label=_("활용 예"), required=False, widget=TEXTAREA)
    sharing = forms.ChoiceField(label=_("활용 범위"), choices=SharingScope.choices)
    status = forms.ChoiceField(label=_("장비 상태"), choices=EquipmentStatus.choices)
    fee_per_hour = forms.CharField(label=_("시간당 이용료 (원)"), required=False, max_length=20)
    fee_per_day = forms.CharField(label=_("일일 이용료 (원)"), required=False, max_length=20)
    available_hours_per_day = forms.IntegerField(
        label=_("일 가용 시간"), min_value=1, max_value=24, initial=8
    )
    manager_name = forms.CharField(label=_("담당자"), max_length=40, required=False)
    manager_phone = forms.CharField(label=_("담당자 전화"), max_length=30, required=False)
    manager_email = forms.EmailField(label=_("담당자 이메일"), required=False)

    FIELDS = (
        "nfec_number",
        "name",
        "name_en",
        "manufacturer",
        "model_name",
        "classification",
        "location",
        "capability",
        "configuration",
        "use_examples",
        "sharing",
        "status",
        "available_hours_per_day",
        "manager_name",
        "manager_phone",
        "manager_email",
    )

    def __init__(self, *args: Any, institute_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institute_queryset

    @classmethod
    def initial_for(cls, item: Any) -> dict[str, Any]:
        data = {f: getattr(item, f) for f in cls.FIELDS}
        data["institute"] = item.institute_id
        data["sido"] = item.sido_id
        data["fee_per_hour"] = "" if item.fee_per_hour is None else item.fee_per_hour
        data["fee_per_day"] = "" if item.fee_per_day is None else item.fee_per_day
        return data

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class LabForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("연구실명"), max_length=150)
    name_en = forms.CharField(label=_("영문 연구실명"), max_length=200, required=False)
    institute = forms.ModelChoiceField(label=_("소속 기관"), queryset=Organisation.objects.none())
    description = forms.CharField(label=_("소개"), required=False, widget=TEXTAREA, max_length=5000)
    capabilities = forms.CharField(
        label=_("보유 역량"), required=False, max_length=1000, help_text=_("쉼표로 구분")
    )
    location = forms.CharField(label=_("위치"), max_length=200, required=False)
    sido = forms.ModelChoiceField(
        label=_("소재 시도"), required=False, queryset=Sido.objects.order_by("code")
    )

    def __init__(self, *args: Any, institute_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institute_queryset

    @staticmethod
    def initial_for(lab: Any) -> dict[str, Any]:
        return {
            "name": lab.name,
            "name_en": lab.name_en,
            "institute": lab.institute_id,
            "description": lab.description,
            "capabilities": ", ".join(c.name for c in lab.capabilities.order_by("name")),
            "location": lab.location,
            "sido": lab.sido_id,
        }

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ExpertForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("이름"), max_length=40)
    name_en = forms.CharField(label=_("영문 이름"), max_length=80, required=False)
    institute = forms.ModelChoiceField(label=_("소속 기관"), queryset=Organisation.objects.none())
    department = forms.CharField(label=_("부서"), max_length=100, required=False)
    position = forms.CharField(label=_("직위"), max_length=60, required=False)
    fields_ = forms.CharField(
        label=_("연구 분야"), required=False, max_length=1000, help_text=_("쉼표로 구분")
    )
    summary = forms.CharField(
        label=_("연구 소개"), required=False, widget=TEXTAREA, max_length=3000
    )
    available_for_exchange = forms.BooleanField(label=_("인력교류 가능"), required=False)
    exchange_note = forms.CharField(label=_("인력교류 조건"), max_length=300, required=False)
    phone = forms.CharField(label=_("전화번호 (개인정보)"), max_length=30, required=False)
    email = forms.EmailField(label=_("이메일 (개인정보)"), required=False)
    cv = forms.CharField(
        label=_("이력 (개인정보)"), required=False, widget=TEXTAREA, max_length=10000
    )

    CONTACT = ("phone", "email", "cv")

    def __init__(self, *args: Any, institute_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institute"].queryset = institute_queryset

    def add_prefix(self, field_name: str) -> str:
        # "fields" is a Form attribute; the HTML name stays "fields".
        return super().add_prefix("fields" if field_name == "fields_" else field_name)

    @staticmethod
    def initial_for(expert: Any, contact: Any) -> dict[str, Any]:
        data = {
            "name": expert.name,
            "name_en": expert.name_en,
            "institute": expert.institute_id,
            "department": expert.department,
            "position": expert.position,
            "fields_": ", ".join(expert.fields or []),
            "summary": expert.summary,
            "available_for_exchange": expert.available_for_exchange,
            "exchange_note": expert.exchange_note,
        }
        if contact is not None:
            data.update(phone=contact.phone, email=contact.email, cv=contact.cv)
        return data

    def service_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data = dict(self.cleaned_data)
        data["fields"] = data.pop("fields_", "")
        contact = {k: data.pop(k, "") for k in self.CONTACT}
        return data, contact


# --- requests --------------------------------------------------------------------------------------


class BookingForm(AccessibleFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("신청 기관"), queryset=Organisation.objects.none()
    )
    starts_at = forms.DateTimeField(
        label=_("시작 일시"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("종료 일시"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    purpose = forms.CharField(label=_("사용 목적"), max_length=300)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first().pk


class DecisionForm(AccessibleFormMixin, forms.Form):
    """A note with a decision (approve, reject, cancel …); the action comes from the button."""

    note = forms.CharField(label=_("의견"), required=False, max_length=300)


class TransferForm(AccessibleFormMixin, forms.Form):
    applicant = forms.ModelChoiceField(label=_("신청 기업"), queryset=Organisation.objects.none())
    deal_type = forms.ChoiceField(label=_("거래 유형"), choices=DealType.choices)
    intended_use = forms.CharField(
        label=_("활용 계획 (적용 제품)"),
        widget=TEXTAREA,
        max_length=3000,
        help_text=_("이 기술을 적용할 제품이나 공정을 적어 주세요."),
    )
    # The desk case the application comes from (its number), carried from the case page.
    desk_case = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)

    def __init__(self, *args: Any, applicants: Any, deal_types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = applicants
        if applicants.count() == 1:
            self.fields["applicant"].initial = applicants.first().pk
        offered = [(d, label) for d, label in DealType.choices if d in deal_types]
        self.fields["deal_type"].choices = offered or DealType.choices


class TransferActionForm(AccessibleFormMixin, forms.Form):
    """Review, negotiate, contract (with terms) or reject; withdraw for the applicant."""

    note = forms.CharField(label=_("의견"), required=False, widget=TEXTAREA, max_length=3000)
    upfront_fee = forms.CharField(label=_("착수기본료 (원)"), required=False, max_length=20)
    royalty_percent = forms.CharField(label=_("경상기술료율 (%)"), required=False, max_length=10)
    contract_date = forms.DateField(
        label=_("계약일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    licence_start = forms.DateField(
        label=_("실시 시작일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    licence_end = forms.DateField(
        label=_("실시 종료일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    report_every_months = forms.ChoiceField(
        label=_("매출 보고 주기 (개월)"),
        required=False,
        choices=[("", _("기본 (6개월)")), ("1", "1"), ("3", "3"), ("6", "6"), ("12", "12")],
    )

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        terms = {
            k: data[k]
            for k in ("upfront_fee", "royalty_percent", "contract_date", "licence_start")
            if data.get(k) not in (None, "")
        }
        if data.get("licence_end"):
            terms["licence_end"] = data["licence_end"]
        if data.get("report_every_months"):
            terms["report_every_months"] = data["report_every_months"]
        return terms


class RoyaltyReportForm(AccessibleFormMixin, forms.Form):
    period_start = forms.DateField(
        label=_("보고 기간 시작"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("보고 기간 종료"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sales = forms.CharField(label=_("매출액 (원)"), max_length=20)
    note = forms.CharField(label=_("비고"), required=False, max_length=300)


class ExchangeForm(AccessibleFormMixin, forms.Form):
    requester = forms.ModelChoiceField(label=_("신청 기업"), queryset=Organisation.objects.none())
    direction = forms.ChoiceField(label=_("교류 유형"), choices=ExchangeDirection.choices)
    field = forms.CharField(
        label=_("분야"), required=False, max_length=200, help_text=_("예: 레이저 용접")
    )
    institute = forms.ModelChoiceField(
        label=_("희망 기관"), required=False, queryset=Organisation.objects.none()
    )
    start_date = forms.DateField(label=_("시작일"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("종료일"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("교류 목적"), widget=TEXTAREA, max_length=3000)
    desk_case = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    # One per rendered form: the same form sent twice makes one request (core.idempotency).
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, requesters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = requesters
        if requesters.count() == 1:
            self.fields["requester"].initial = requesters.first().pk
        self.fields["institute"].queryset = institutes()


class ExchangeDecisionForm(AccessibleFormMixin, forms.Form):
    expert = forms.ModelChoiceField(
        label=_("교류 전문가"), required=False, queryset=Expert.objects.none()
    )
    note = forms.CharField(label=_("의견"), required=False, max_length=300)

    def __init__(self, *args: Any, experts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts
