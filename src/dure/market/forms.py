"""Marketplace forms: input shape only; the rules live in ``services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin

from .models import CommissionKind, PaymentMethod, RuleScope, SocialEconomyType, TaxType


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


# --- self-service: suppliers, MC/CC, products, rates, market days ------------------------------


class SupplierApplyForm(AccessibleFormMixin, forms.Form):
    organisation = forms.TypedChoiceField(label=_("신청 기관"), coerce=int)
    business_number = forms.CharField(
        label=_("사업자등록번호"),
        max_length=20,
        help_text=_("10자리 숫자입니다. 하이픈(-)은 넣어도 되고 빼도 됩니다."),
    )
    economy_type = forms.ChoiceField(label=_("사회적경제 유형"), choices=SocialEconomyType.choices)
    introduction = forms.CharField(
        label=_("판매할 상품과 공급 역량"),
        required=False,
        max_length=3000,
        widget=forms.Textarea,
        help_text=_("상품 종류, 월 공급 가능 수량, 배송 방법 등을 적어 주세요."),
    )

    def __init__(self, *args, organisations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = list(organisations)


class ReferrerRegisterForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("활동 종류"),
        choices=[
            ("seller", _("마켓 크리에이터 (MC): 상품을 소개하고 판매를 연결합니다")),
            ("creator", _("콘텐츠 크리에이터 (CC): 글과 영상으로 상품을 알립니다")),
        ],
        widget=forms.RadioSelect,
        initial="seller",
    )
    display_name = forms.CharField(label=_("활동명"), max_length=60)
    organisation = forms.TypedChoiceField(
        label=_("대표하는 기관"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, organisations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("개인으로 활동")), *organisations]


class ProductForm(AccessibleFormMixin, forms.Form):
    """Price and stock are text so the service gives its own Korean message for bad numbers."""

    supplier = forms.TypedChoiceField(label=_("입점사"), coerce=int)
    category = forms.TypedChoiceField(label=_("사업 분야 · 분류"), coerce=int)
    name = forms.CharField(label=_("상품명"), max_length=120)
    description = forms.CharField(
        label=_("설명"), required=False, max_length=5000, widget=forms.Textarea
    )
    price = forms.CharField(
        label=_("판매가 (부가세 포함, 원)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    tax_type = forms.ChoiceField(label=_("과세 유형"), choices=TaxType.choices)
    stock = forms.CharField(
        label=_("재고"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    unit = forms.CharField(label=_("단위"), max_length=20, initial="개")
    active = forms.BooleanField(label=_("판매 중"), required=False, initial=True)
    image = forms.ImageField(label=_("이미지"), required=False)
    image_alt = forms.CharField(
        label=_("이미지 대체 텍스트"),
        required=False,
        max_length=200,
        help_text=_("이미지를 올리면 무엇이 보이는지 적어 주세요."),
    )

    def __init__(self, *args, suppliers=(), categories=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = list(suppliers)
        self.fields["category"].choices = list(categories)
        if len(self.fields["supplier"].choices) == 1:
            self.fields["supplier"].initial = self.fields["supplier"].choices[0][0]


class CommissionRuleForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("수수료 종류"), choices=CommissionKind.choices)
    scope = forms.ChoiceField(label=_("적용 범위"), choices=RuleScope.choices)
    supplier = forms.TypedChoiceField(
        label=_("입점사 (범위가 입점사일 때)"), required=False, coerce=int, empty_value=None
    )
    category = forms.TypedChoiceField(
        label=_("분류 (범위가 분류일 때)"), required=False, coerce=int, empty_value=None
    )
    product = forms.TypedChoiceField(
        label=_("상품 (범위가 상품일 때)"), required=False, coerce=int, empty_value=None
    )
    rate = forms.DecimalField(
        label=_("요율 (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("0~100 사이, 소수점 둘째 자리까지 (예: 3.5)"),
    )

    def __init__(self, *args, suppliers=(), categories=(), products=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        none = [("", _("선택 안 함"))]
        self.fields["supplier"].choices = none + list(suppliers)
        self.fields["category"].choices = none + list(categories)
        self.fields["product"].choices = none + list(products)

    def clean(self) -> dict:
        data = super().clean()
        scope = data.get("scope")
        for name in ("supplier", "category", "product"):
            if scope == name and not data.get(name):
                self.add_error(name, _("적용 범위에 맞는 대상을 선택해 주세요."))
            elif scope != name:
                data[name] = None
        return data

    def rate_bp(self) -> int:
        return int(self.cleaned_data["rate"] * 100)


class MarketDayForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("장터 이름"), max_length=100)
    held_on = forms.DateField(label=_("날짜"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=_("장소"), max_length=200)
    partner = forms.TypedChoiceField(
        label=_("협력 기관"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, partners=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("없음")), *partners]


class MarketDaySaleForm(AccessibleFormMixin, forms.Form):
    product = forms.TypedChoiceField(label=_("상품"), coerce=int)
    quantity = forms.IntegerField(label=_("수량"), min_value=1, max_value=10_000, initial=1)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, products=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = list(products)


# === Public purchasing ==========================================================================


class QuotationRequestForm(AccessibleFormMixin, forms.Form):
    organisation = forms.TypedChoiceField(label=_("요청 기관"), coerce=int)
    title = forms.CharField(label=_("제목"), max_length=150)
    description = forms.CharField(
        label=_("요청 내용"), required=False, max_length=5000, widget=forms.Textarea
    )
    delivery_place = forms.CharField(label=_("납품 장소"), max_length=200)
    needed_by = forms.DateField(
        label=_("납품 기한"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reply_deadline = forms.DateTimeField(
        label=_("견적 마감 일시"),
        help_text=_("한국 시간 기준입니다. 이 시각부터는 견적을 받지 않습니다."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    suppliers = forms.TypedMultipleChoiceField(
        label=_("견적을 요청할 입점사"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("분야 공개 요청이 아니면 한 곳 이상 고르세요."),
    )
    open_to_all = forms.BooleanField(label=_("분야의 모든 승인 입점사에 공개"), required=False)
    division = forms.ChoiceField(label=_("사업 분야 (공개 요청)"), required=False)
    category = forms.TypedChoiceField(
        label=_("분류 (공개 요청, 선택)"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, organisations=(), suppliers=(), categories=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from .models import Division

        self.fields["organisation"].choices = list(organisations)
        self.fields["suppliers"].choices = list(suppliers)
        self.fields["division"].choices = [("", "—"), *Division.choices]
        self.fields["category"].choices = [("", "—"), *categories]


class QuotationLineForm(AccessibleFormMixin, forms.Form):
    product = forms.TypedChoiceField(
        label=_("카탈로그 상품 (선택)"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(
        label=_("품목 (상품을 고르지 않으면 필수)"), required=False, max_length=200
    )
    quantity = forms.IntegerField(label=_("수량"), min_value=1, max_value=10_000, required=False)
    unit = forms.CharField(label=_("단위"), max_length=20, required=False)

    def __init__(self, *args, products=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—"), *products]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("product") or data.get("description") or data.get("quantity"))

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("product") or data.get("description")) and not data.get("quantity"):
            self.add_error("quantity", _("수량을 입력해 주세요."))
        elif data.get("quantity") and not (data.get("product") or data.get("description")):
            self.add_error("description", _("품목을 입력하거나 상품을 골라 주세요."))
        return data


QuotationLineFormSet = forms.formset_factory(
    QuotationLineForm, extra=2, min_num=1, max_num=50, validate_max=True
)


class QuoteForm(AccessibleFormMixin, forms.Form):
    supplier = forms.TypedChoiceField(label=_("견적 입점사"), coerce=int)
    delivery_date = forms.DateField(
        label=_("납품 가능일"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("견적 유효기한"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("비고"), required=False, max_length=3000, widget=forms.Textarea)

    def __init__(self, *args, lines=(), suppliers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = list(suppliers)
        self.line_fields: list[tuple[Any, str, str]] = []
        for line in lines:
            price, tax = f"price_{line.pk}", f"tax_{line.pk}"
            self.fields[price] = forms.IntegerField(
                label=_("%(item)s 단가 (원, 부가세 포함; %(qty)s%(unit)s)")
                % {"item": line.description, "qty": line.quantity, "unit": line.unit},
                min_value=0,
                max_value=10**12 - 1,
            )
            self.fields[tax] = forms.ChoiceField(
                label=_("%(item)s 과세 유형") % {"item": line.description},
                choices=TaxType.choices,
                initial=TaxType.TAXABLE,
            )
            self.line_fields.append((line, price, tax))
        # re-link required/aria attributes for the fields added above
        self._link_descriptions()

    def quote_lines(self) -> list[dict[str, Any]]:
        return [
            {
                "line_id": line.pk,
                "unit_price": self.cleaned_data[price],
                "tax_type": self.cleaned_data[tax],
            }
            for line, price, tax in self.line_fields
        ]


class PriorityReportForm(AccessibleFormMixin, forms.Form):
    organisation = forms.TypedChoiceField(label=_("기관"), coerce=int)
    year = forms.TypedChoiceField(label=_("연도"), coerce=int)

    def __init__(self, *args, organisations=(), years=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = list(organisations)
        self.fields["year"].choices = [(y, str(y)) for y in years]
