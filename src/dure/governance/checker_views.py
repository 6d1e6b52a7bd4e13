"""Public assembly checker page (/coop/check/): is an assembly validly convened, does an item
pass — with the rule and the arithmetic in words. Stateless: nothing is stored, so anyone may
use it, by GET (the form's method: results can be bookmarked and shared) or by POST."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from dure.core.forms import AccessibleFormMixin

from . import rules

MAX_COUNT = 10_000_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _matter_choices() -> list:
    ordinary = [
        (m, label) for m, label in rules.MATTER_LABELS.items() if m in rules.ORDINARY_MATTERS
    ]
    special = [(m, label) for m, label in rules.MATTER_LABELS.items() if m in rules.SPECIAL_MATTERS]
    return [
        ("", _("선택 안 함 (창립총회·이사회)")),
        (_("보통결의 안건 (출석 과반수 찬성)"), ordinary),
        (_("특별결의 안건 (출석 2/3 이상 찬성)"), special),
    ]


def _count(label, help_text="", *, required=True, min_value=0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=min_value,
        max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AssemblyCheckForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("회의 종류"), choices=list(rules.KIND_LABELS.items()), initial="general"
    )
    members = _count(
        _("의결권자 수"),
        _("총회는 조합원 수, 대의원총회는 대의원 수, 창립총회는 설립동의자 수, 이사회는 이사 수"),
        min_value=1,
    )
    total_members = _count(
        _("조합원 총수"), _("대의원총회일 때만: 협동조합의 전체 조합원 수"), required=False
    )
    founders = _count(_("발기인 수"), _("창립총회일 때만"), required=False)
    present = _count(_("출석 인원"), _("대리인으로 출석한 조합원 포함"))
    yes = _count(_("찬성"))
    no = _count(_("반대"))
    abstain = _count(_("기권"), _("기권은 출석으로 세지만 찬성으로 세지 않습니다"))
    matter = forms.ChoiceField(
        label=_("안건 종류"),
        choices=_matter_choices,
        required=False,
        help_text=_("총회·대의원총회는 안건 종류가 보통결의·특별결의를 정합니다"),
    )
    meeting_date = forms.DateField(label=_("회의일"), required=False, widget=DateInput())
    notice_date = forms.DateField(
        label=_("소집 통지일"), required=False, widget=DateInput(), help_text=_("회의 7일 전까지")
    )
    expulsion_notice_date = forms.DateField(
        label=_("제명 사유 통지일"),
        required=False,
        widget=DateInput(),
        help_text=_("제명 안건일 때만: 회의 10일 전까지"),
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        kind, matter = data.get("kind"), data.get("matter")
        if kind in ("general", "delegate") and not matter and "matter" not in self.errors:
            self.add_error("matter", _("총회·대의원총회는 안건 종류를 골라 주세요."))
        if (
            kind == "delegate"
            and data.get("total_members") is None
            and "total_members" not in self.errors
        ):
            self.add_error("total_members", _("대의원총회는 조합원 총수를 입력해 주세요."))
        if (
            (data.get("notice_date") or data.get("expulsion_notice_date"))
            and not data.get("meeting_date")
            and "meeting_date" not in self.errors
        ):
            self.add_error("meeting_date", _("통지 기한을 확인하려면 회의일을 입력해 주세요."))
        return data

    def check_input(self) -> rules.CheckInput:
        data = self.cleaned_data
        return rules.CheckInput(
            id=None,
            kind=data["kind"],
            members=data["members"],
            present=data["present"],
            yes=data["yes"],
            no=data["no"],
            abstain=data["abstain"],
            matter=data.get("matter") or None,
            total_members=data.get("total_members"),
            founders=data.get("founders"),
            meeting_date=data.get("meeting_date"),
            notice_date=data.get("notice_date"),
            expulsion_notice_date=data.get("expulsion_notice_date"),
        )


@require_http_methods(["GET", "HEAD", "POST"])
def assembly_check(request: HttpRequest) -> HttpResponse:
    submitted = request.POST if request.method == "POST" else request.GET
    # Bound only when the form was sent (a stray ?utm=… does not make it an error page).
    sent = any(name in submitted for name in AssemblyCheckForm.base_fields)
    form = AssemblyCheckForm(submitted if sent else None)
    result = None
    if form.is_bound and form.is_valid():
        result = rules.check(form.check_input())
    context = {
        "form": form,
        "result": result,
        "resolution_label": rules.RESOLUTION_LABELS.get(result.resolution) if result else None,
    }
    return render(request, "governance/check.html", context)
