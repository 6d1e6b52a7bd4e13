"""Forms of the governance pages (accessible: errors tied to fields, labels on everything)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin

from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    Choice,
    DelegateElectionMethod,
    DuesSchedule,
    ExpulsionGround,
    Matter,
    Member,
    MemberKind,
    MemberStatus,
    Office,
    RecordingMode,
    RefundPaymentMethod,
    StakeholderType,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MemberForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("성명·법인명"), max_length=100)
    kind = forms.ChoiceField(label=_("구분"), choices=MemberKind.choices, initial=MemberKind.PERSON)
    stakeholder_type = forms.ChoiceField(
        label=_("이해관계자 유형"), choices=StakeholderType.choices
    )
    joined_on = forms.DateField(label=_("가입일"), widget=DATE)
    email = forms.EmailField(label=_("이메일"), required=False)
    phone = forms.CharField(label=_("전화"), max_length=30, required=False)
    address = forms.CharField(label=_("주소"), max_length=200, required=False)


class ShareForm(AccessibleFormMixin, forms.Form):
    count = forms.IntegerField(label=_("좌수"), min_value=1, max_value=1_000_000)
    unit_price = forms.IntegerField(
        label=_("1좌 금액 (원)"), min_value=1, max_value=100_000_000, initial=10_000
    )
    preferred = forms.BooleanField(label=_("우선출자 (의결권 없음)"), required=False)
    paid = forms.BooleanField(label=_("납입 완료"), required=False)


class SettingsForm(AccessibleFormMixin, forms.Form):
    remote_voting_enabled = forms.BooleanField(
        label=_("원격 전자투표 허용 (현행법에 규정 없음, 보통결의 안건만)"), required=False
    )
    fiscal_year_end_month = forms.IntegerField(
        label=_("회계연도 종료 월"), min_value=1, max_value=12
    )
    # the range is checked by ``services.settings_update`` (one message for both bounds)
    delegate_cap = forms.IntegerField(
        label=_("대의원 정수 상한 (명)"),
        help_text=_(
            "정관에서 정한 대의원 정수의 상한입니다. 대의원은 조합원의 100분의 10 이상이어야 "
            "하며 상한은 100명 이상으로만 정할 수 있습니다."
        ),
        widget=forms.NumberInput(attrs={"min": 100, "step": 1}),
    )


class ConveneForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("회의 종류"), choices=AssemblyKind.choices)
    title = forms.CharField(label=_("회의 이름"), max_length=150)
    scheduled_at = forms.DateTimeField(label=_("일시"), widget=DATETIME)
    place = forms.CharField(label=_("장소"), max_length=200)
    purpose = forms.CharField(
        label=_("소집 목적"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    board_decision = forms.CharField(
        label=_("이사회 소집 결의"),
        max_length=300,
        required=False,
        help_text=_("예: 2026년 제3차 이사회 결의 (이사 5명 중 5명 찬성). 총회는 필수입니다."),
    )


class ItemForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=_("안건"), max_length=200)
    matter = forms.ChoiceField(
        label=_("의결 사항 유형"),
        choices=Matter.choices,
        help_text=_("유형에 따라 보통결의(과반수) 또는 특별결의(3분의 2)가 정해집니다."),
    )
    description = forms.CharField(
        label=_("설명"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_report = forms.BooleanField(label=_("보고 안건 (표결 없음)"), required=False)
    recording_mode = forms.ChoiceField(
        label=_("표결 기록 방식"), choices=RecordingMode.choices, initial=RecordingMode.TALLY
    )
    secret_ballot = forms.BooleanField(label=_("비밀투표"), required=False)
    remote_voting = forms.BooleanField(
        label=_("원격 전자투표 허용 (설정에서 켠 경우, 보통결의만)"), required=False
    )
    candidates = forms.CharField(
        label=_("후보자 (임원 선출, 한 줄에 한 명)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def candidate_names(self) -> list[str]:
        return [
            n.strip() for n in self.cleaned_data.get("candidates", "").splitlines() if n.strip()
        ]


class CheckInForm(AccessibleFormMixin, forms.Form):
    member = forms.ModelChoiceField(label=_("조합원"), queryset=Member.objects.none())

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: f"{m.number}. {m.name}"
        self._link_descriptions()


class ProxyForm(AccessibleFormMixin, forms.Form):
    member = forms.ModelChoiceField(label=_("위임한 조합원"), queryset=Member.objects.none())
    proxy_member = forms.ModelChoiceField(
        label=_("대리인 (조합원)"), queryset=Member.objects.none(), required=False
    )
    proxy_name = forms.CharField(label=_("대리인 성명 (동거 가족)"), max_length=100, required=False)
    cohabiting_family = forms.BooleanField(label=_("본인과 동거하는 가족"), required=False)
    authorisation_reference = forms.CharField(
        label=_("위임장 접수 기록"),
        max_length=200,
        required=False,
        help_text=_("서면 위임장의 접수 번호나 내용. 파일을 올리거나 이 칸을 채우세요."),
    )
    authorisation_file = forms.FileField(label=_("위임장 파일"), required=False)

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("member", "proxy_member"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda m: f"{m.number}. {m.name}"
        self._link_descriptions()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("proxy_member") and not (data.get("proxy_name") or "").strip():
            raise forms.ValidationError(
                _("대리인 조합원을 고르거나 동거 가족의 성명을 적으세요."), code="proxy_required"
            )
        return data


class BallotForm(AccessibleFormMixin, forms.Form):
    choice = forms.ChoiceField(label=_("선택"), choices=Choice.choices, widget=forms.RadioSelect)
    for_member = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TallyForm(AccessibleFormMixin, forms.Form):
    yes = forms.IntegerField(label=_("찬성"), min_value=0, max_value=10_000_000)
    no = forms.IntegerField(label=_("반대"), min_value=0, max_value=10_000_000)
    abstain = forms.IntegerField(label=_("기권"), min_value=0, max_value=10_000_000)


class MinutesForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(
        label=_("의사록 본문"), max_length=50000, widget=forms.Textarea(attrs={"rows": 20})
    )


class SignersForm(AccessibleFormMixin, forms.Form):
    chair = forms.ModelChoiceField(label=_("의장"), queryset=Member.objects.none())
    members = forms.ModelMultipleChoiceField(
        label=_("서명할 조합원 (총회에서 선출, 3명 이상)"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("chair", "members"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda m: f"{m.number}. {m.name}"
        self._link_descriptions()


class StatusForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("바꿀 상태"),
        choices=[
            (MemberStatus.WITHDRAWN, MemberStatus.WITHDRAWN.label),
            (MemberStatus.LOST_ELIGIBILITY, MemberStatus.LOST_ELIGIBILITY.label),
            (MemberStatus.DECEASED, MemberStatus.DECEASED.label),
        ],
    )
    on = forms.DateField(label=_("날짜"), widget=DATE)
    reason = forms.CharField(label=_("사유"), max_length=300)


class ExpulsionForm(AccessibleFormMixin, forms.Form):
    ground = forms.ChoiceField(label=_("제명 사유 (제25조)"), choices=ExpulsionGround.choices)
    detail = forms.CharField(
        label=_("사유 내용"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ExpulsionScheduleForm(AccessibleFormMixin, forms.Form):
    assembly = forms.ModelChoiceField(label=_("의결할 총회"), queryset=Assembly.objects.none())
    notified_on = forms.DateField(
        label=_("사유 통지일"),
        widget=DATE,
        help_text=_("총회 10일 전까지 (통지일과 총회일은 세지 않음) 알려야 합니다 (제25조)."),
    )

    def __init__(self, *args: Any, assemblies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assembly"].queryset = assemblies
        self._link_descriptions()


class HearingForm(AccessibleFormMixin, forms.Form):
    record = forms.CharField(
        label=_("의견 진술 기록"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class DuesPaymentForm(AccessibleFormMixin, forms.Form):
    schedule = forms.ModelChoiceField(label=_("회비"), queryset=DuesSchedule.objects.none())
    year = forms.IntegerField(label=_("귀속 연도"), min_value=1900, max_value=2200)
    paid_on = forms.DateField(label=_("납부일"), widget=DATE)

    def __init__(self, *args: Any, schedules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = schedules
        self._link_descriptions()


class OfficerTermForm(AccessibleFormMixin, forms.Form):
    office = forms.ChoiceField(label=_("직위"), choices=Office.choices)
    starts_on = forms.DateField(label=_("임기 시작"), widget=DATE)
    ends_on = forms.DateField(
        label=_("임기 종료"),
        widget=DATE,
        help_text=_("임기는 4년 이내 (제35조①), 이사장은 2차에 한해 연임 (제35조②)."),
    )


# --- capital refunds ---------------------------------------------------------------------------


class RefundClaimForm(AccessibleFormMixin, forms.Form):
    claimed_on = forms.DateField(
        label=_("청구일"),
        widget=DATE,
        help_text=_("조합원(사망한 경우 상속인)이 서면으로 청구한 날."),
    )
    claimant = forms.CharField(
        label=_("청구인 (본인이 아닐 때)"),
        max_length=100,
        required=False,
        help_text=_("사망한 조합원은 상속인의 성명을 적습니다."),
    )


class RefundDeductionForm(AccessibleFormMixin, forms.Form):
    deduction = forms.IntegerField(
        label=_("공제액 (원)"),
        min_value=0,
        max_value=10**15,
        help_text=_("탈퇴 조합원이 부담할 손실액 등 (제27조). 공제하지 않으면 0."),
    )
    reason = forms.CharField(label=_("공제 사유"), max_length=300, required=False)


class RefundPaymentForm(AccessibleFormMixin, forms.Form):
    resolution_item = forms.ModelChoiceField(
        label=_("환급을 의결한 총회 안건"),
        queryset=AgendaItem.objects.none(),
        help_text=_("탈퇴 조합원의 출자금 환급은 총회 특별결의 사항입니다 (제29조)."),
    )
    paid_on = forms.DateField(label=_("지급일"), widget=DATE)
    method = forms.ChoiceField(label=_("지급 방법"), choices=RefundPaymentMethod.choices)
    reference = forms.CharField(label=_("지급 기록 (이체 번호 등)"), max_length=200, required=False)

    def __init__(self, *args: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["resolution_item"]
        field.queryset = items
        field.label_from_instance = lambda item: (
            f"{item.assembly.title} · {item.order}. {item.title}"
        )
        self._link_descriptions()


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


class DelegateElectionForm(AccessibleFormMixin, forms.Form):
    member_numbers = forms.CharField(
        label=_("선출된 대의원의 조합원 번호"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        help_text=_("쉼표, 띄어쓰기나 줄바꿈으로 구분합니다. 예: 3, 17, 25"),
    )
    elected_on = forms.DateField(label=_("선출일"), widget=DATE)
    starts_on = forms.DateField(label=_("임기 시작"), widget=DATE)
    ends_on = forms.DateField(label=_("임기 종료"), widget=DATE)
    method = forms.ChoiceField(label=_("선출 방법"), choices=DelegateElectionMethod.choices)
    district = forms.CharField(
        label=_("선거구"),
        max_length=60,
        required=False,
        help_text=_("선거구별로 뽑았다면 선거구 이름."),
    )
    elected_at = forms.ModelChoiceField(
        label=_("선출한 총회"), queryset=Assembly.objects.none(), required=False
    )

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["elected_at"].queryset = Assembly.objects.filter(
            organisation=organisation
        ).exclude(kind=AssemblyKind.BOARD)
        self._link_descriptions()

    def clean_member_numbers(self) -> list[int]:
        raw = self.cleaned_data["member_numbers"].replace(",", " ").split()
        try:
            numbers = [int(n) for n in raw]
        except ValueError as exc:
            raise forms.ValidationError(
                _("조합원 번호는 숫자로만 적어 주세요."), code="invalid"
            ) from exc
        if not numbers:
            raise forms.ValidationError(_("조합원 번호를 적어 주세요."), code="required")
        found = dict(
            Member.objects.filter(
                organisation=self.organisation,
                status=MemberStatus.ACTIVE,
                number__in=[n for n in numbers if 0 < n < 2**31],
            ).values_list("number", "pk")
        )
        unknown = [n for n in numbers if n not in found]
        if unknown:
            raise forms.ValidationError(
                _("조합원 명부에 없는 번호입니다: %(numbers)s")
                % {"numbers": ", ".join(str(n) for n in unknown[:10])},
                code="not_member",
            )
        return [found[n] for n in dict.fromkeys(numbers)]


class DelegateEndForm(AccessibleFormMixin, forms.Form):
    left_on = forms.DateField(label=_("퇴임일 (이날부터 대의원이 아님)"), widget=DATE)
    reason = forms.CharField(label=_("퇴임 사유"), max_length=200)
    successor = forms.ModelChoiceField(
        label=_("보궐 대의원 (남은 임기)"), queryset=Member.objects.none(), required=False
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = members
        self.fields["successor"].label_from_instance = lambda m: f"{m.number}. {m.name}"
        self._link_descriptions()


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


class FounderForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("발기인 성명·법인명"), max_length=100)
    stakeholder_type = forms.ChoiceField(
        label=_("이해관계자 유형"), choices=StakeholderType.choices
    )


class ConsentForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("설립동의자 성명·법인명"), max_length=100)
    kind = forms.ChoiceField(label=_("구분"), choices=MemberKind.choices, initial=MemberKind.PERSON)
    stakeholder_type = forms.ChoiceField(
        label=_("이해관계자 유형"), choices=StakeholderType.choices
    )
    submitted_on = forms.DateField(label=_("설립동의서 제출일"), widget=DATE)
    email = forms.EmailField(label=_("이메일"), required=False)
    phone = forms.CharField(label=_("전화"), max_length=30, required=False)
    address = forms.CharField(label=_("주소"), max_length=200, required=False)
