from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin
from dure.directory.models import Organisation, Sido

from .models import FOUNDABLE_KINDS, TRANSITIONS, Session, Stage, Topic

TEXTAREA = forms.Textarea(attrs={"rows": 5})


class RequestForm(AccessibleFormMixin, forms.Form):
    centre = forms.ModelChoiceField(
        label=_("상담받을 지원센터"), queryset=Organisation.objects.none()
    )
    contact_name = forms.CharField(label=_("신청자 이름"), max_length=50)
    contact_phone = forms.CharField(
        label=_("연락처"),
        max_length=30,
        required=False,
        help_text=_("상담사가 전화로 연락드릴 번호 (선택). 담당 지원센터만 봅니다."),
    )
    proposed_name = forms.CharField(label=_("설립하려는 협동조합 이름"), max_length=100)
    kind = forms.ChoiceField(
        label=_("협동조합 유형"), choices=[(k.value, k.label) for k in FOUNDABLE_KINDS]
    )
    sido = forms.ModelChoiceField(
        label=_("지역 (시도)"), queryset=Sido.objects.all(), required=False
    )
    business = forms.CharField(
        label=_("하려는 사업"),
        widget=TEXTAREA,
        max_length=3000,
        help_text=_("누가 모여 어떤 사업을 하려는지 적어 주세요."),
    )
    founders = forms.IntegerField(
        label=_("지금 모인 발기인 수"),
        min_value=1,
        initial=1,
        help_text=_(
            "협동조합은 발기인 5명 이상이 모여야 설립할 수 있습니다 (협동조합 기본법 제15조)."
        ),
    )

    def __init__(self, *args: Any, centres: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self._link_descriptions()


class SessionForm(AccessibleFormMixin, forms.Form):
    held_on = forms.DateField(
        label=_("상담일"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    mode = forms.ChoiceField(label=_("방식"), choices=Session.Mode.choices)
    topics = forms.MultipleChoiceField(
        label=_("주제"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        label=_("상담 내용"),
        widget=TEXTAREA,
        max_length=2000,
        help_text=_("신청자도 봅니다."),
    )
    next_steps = forms.CharField(
        label=_("다음 할 일"), max_length=500, required=False, help_text=_("신청자도 봅니다.")
    )
    internal_note = forms.CharField(
        label=_("내부 메모"),
        widget=TEXTAREA,
        max_length=2000,
        required=False,
        help_text=_("지원센터 직원만 봅니다."),
    )


class MoveForm(AccessibleFormMixin, forms.Form):
    stage = forms.ChoiceField(label=_("옮길 단계"), choices=[])
    founders = forms.IntegerField(label=_("발기인 수"), min_value=1, required=False)
    organisation = forms.ModelChoiceField(
        label=_("설립된 협동조합"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("설립 완료로 옮길 때: 기관 디렉터리에 등록된 협동조합을 고르세요."),
    )
    note = forms.CharField(label=_("메모"), max_length=300, required=False)

    def __init__(self, *args: Any, current: str, cooperatives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [
            (s.value, s.label) for s in Stage if s.value in TRANSITIONS.get(current, ())
        ]
        self.fields["organisation"].queryset = cooperatives
        self._link_descriptions()


class AssignForm(AccessibleFormMixin, forms.Form):
    consultant = forms.ModelChoiceField(
        label=_("담당 상담사"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("(없음)"),
    )

    def __init__(self, *args: Any, consultants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultants
        self.fields["consultant"].label_from_instance = lambda u: u.display_name or u.username
        self._link_descriptions()


class WithdrawForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(label=_("그만두는 이유 (선택)"), max_length=300, required=False)
