"""Marketplace forms: input shape only; the rules live in ``services``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin

from .models import PaymentMethod


class CheckoutForm(AccessibleFormMixin, forms.Form):
    payment_method = forms.ChoiceField(
        label=_("결제 방법"),
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.ON_SITE],
        widget=forms.RadioSelect,
        initial=PaymentMethod.BANK_TRANSFER,
    )
    buyer_organisation = forms.TypedChoiceField(
        label=_("구매 기관"), required=False, coerce=int, empty_value=None
    )
    referral_code = forms.CharField(
        label=_("추천 코드"),
        required=False,
        max_length=16,
        help_text=_("MC·CC에게 받은 코드가 있으면 입력하세요. 링크로 들어왔다면 비워 두세요."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, organisations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["buyer_organisation"].choices = [("", _("개인 구매")), *organisations]


class RefundForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("환불 사유"), max_length=500, widget=forms.Textarea)

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for line in lines:
            left = line.quantity - line.refunded_quantity
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=_("%(name)s 환불 수량 (최대 %(left)s개)")
                % {"name": line.product_name, "left": left},
                min_value=0,
                max_value=left,
                required=False,
                initial=0,
            )

    def refund_lines(self) -> list[tuple[int, int]]:
        return [
            (int(name.removeprefix("line_")), value)
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        ]


class ReviewForm(AccessibleFormMixin, forms.Form):
    step = forms.ChoiceField(
        label=_("단계"),
        choices=[
            ("survey", _("공급역량 조사 기록")),
            ("inspect", _("현장 실사 기록")),
            ("approve", _("승인")),
            ("reject", _("반려")),
        ],
    )
    record = forms.CharField(
        label=_("조사·실사 기록"), required=False, max_length=5000, widget=forms.Textarea
    )
    reason = forms.CharField(label=_("반려 사유"), required=False, max_length=500)


def _half_month() -> tuple[dt.date, dt.date]:
    """Semi-monthly periods by default: from the 1st or the 16th up to today."""
    today = timezone.localdate()
    return today.replace(day=1 if today.day <= 15 else 16), today


class SettlementForm(AccessibleFormMixin, forms.Form):
    period_start = forms.DateField(
        label=_("정산 시작일"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("정산 종료일"), widget=forms.DateInput(attrs={"type": "date"})
    )
    minimum_payout = forms.IntegerField(
        label=_("최소 지급액 (원)"), min_value=0, max_value=10**10, initial=10_000
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        start, end = _half_month()
        self.fields["period_start"].initial = start
        self.fields["period_end"].initial = end


class PeriodForm(AccessibleFormMixin, forms.Form):
    start = forms.DateField(label=_("시작일"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("종료일"), widget=forms.DateInput(attrs={"type": "date"}))
