"""Marketplace API (/api/v1/market). Thin, like the pages, with the same permissions: products
are public; carts, orders and refunds belong to their buyer (and the supplier concerned, and
the operator); payments and settlements are the operator's. The pages' self-service
operations are here too, calling the same services: supplier applications (an organisation's
representatives) and their review (the operator), MC/CC registration (anyone signed in), a
supplier's products, sub-orders and refund decisions (its people and the operator), commission
rates, offline market days and the participants dashboard (the operator). Something the caller may not see
is a 404, something they may see but not do a 403, a refused state change a 409, bad input a
422 with the service's code (``out_of_stock``, ``negative_quantity``, ``refund_exceeds_paid``,
``referral_expired``, ``idempotency_conflict``, …)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Header, Query, Router, Schema, Status
from ninja import Form as ApiForm
from ninja.files import UploadedFile
from pydantic import ConfigDict, field_validator

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import ApiError
from dure.api.schemas import Text, error_responses
from dure.directory.models import Organisation

from . import access, services
from .models import (
    Category,
    CommissionKind,
    CommissionRule,
    MarketDay,
    Order,
    Product,
    RefundStatus,
    RuleScope,
    Settlement,
    SocialEconomyType,
    SubOrder,
    SupplierProfile,
    SupplierStatus,
    TaxType,
)

router = Router(tags=["market"])

READ = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}
WRITE = {"auth": WRITE_AUTH}
CONFLICT_CODES = frozenset(
    {"idempotency_conflict", "bad_transition", "already_shipped", "not_paid", "out_of_stock"}
)
IDEMPOTENCY_KEY = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=64,
    description="중복 주문 방지 키 (요청마다 새 값, 예: UUID). 같은 키로 다시 보내면 처음 주문을 "
    "200으로 돌려줍니다. 같은 키에 다른 내용이면 409입니다.",
)


@contextmanager
def _service_errors(fields: dict[str, str] | None = None) -> Iterator[None]:
    """A service's refusal as the API answers it; ``fields`` renames the service's field names
    to the request's (``category`` → ``category_id``)."""
    try:
        yield
    except services.MarketError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        field = (fields or {}).get(exc.field or "", exc.field)
        if exc.code in CONFLICT_CODES:
            raise ApiError(409, exc.code, " ".join(exc.messages), field) from exc
        if field != exc.field:
            raise ValidationError({field: exc.error_dict[exc.field]}) from exc
        raise


# --- schemas ------------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    supplier_id: int
    supplier: str = Field(..., alias="supplier.organisation.name")
    division: str = Field(..., alias="category.division")
    category: str = Field(..., alias="category.name")
    price: int = Field(..., description="판매가 (원, 부가세 포함)")
    tax_type: str
    stock: int
    unit: str


class ProductFilters(Schema):
    q: str = Field("", max_length=100)
    division: str = Field("", max_length=30)


class CartItemIn(Schema):
    product_id: int = Field(..., gt=0, lt=2**63)
    quantity: int = Field(..., ge=0, le=services.MAX_QUANTITY, description="0: 장바구니에서 뺌")


class CartLineOut(Schema):
    product_id: int
    name: str = Field(..., alias="product.name")
    unit_price: int = Field(..., alias="product.price")
    quantity: int


class CartOut(Schema):
    items: list[CartLineOut]
    total: int


class LineIn(Schema):
    product_id: int = Field(..., gt=0, lt=2**63)
    quantity: Any = Field(..., description="1 이상의 정수")


class CheckoutIn(Schema):
    lines: list[LineIn] | None = Field(None, max_length=100, description="없으면 장바구니")
    payment_method: str = Field(..., description="bank_transfer | invoice")
    buyer_organisation_id: int | None = Field(None, gt=0, lt=2**63)
    referral_code: str = Field("", max_length=16)


class LineOut(Schema):
    id: int
    product_id: int
    product_name: str
    unit_price: int
    tax_type: str
    quantity: int
    line_total: int
    supply_amount: int
    vat_amount: int
    refunded_quantity: int
    refunded_amount: int


class SubOrderOut(Schema):
    id: int
    supplier_id: int
    supplier: str = Field(..., alias="supplier.organisation.name")
    status: str
    total: int
    refunded: int
    tracking: str
    lines: list[LineOut]


class OrderOut(Schema):
    id: int
    number: str
    status: str
    total: int
    payment_method: str
    payment_instructions: str
    payment_deadline: dt.datetime | None
    seller_id: int | None
    creator_id: int | None
    created_at: dt.datetime
    suborders: list[SubOrderOut]


class RefundIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
    lines: list[dict[str, Any]] | None = Field(
        None, max_length=100, description="[{order_line_id, quantity}] (없으면 남은 전부)"
    )


class RefundOut(Schema):
    id: int
    suborder_id: int
    status: str
    amount: int


class ConfirmIn(Schema):
    reference: Text(60) = Field("", description="입금자명·거래 번호 등")


class ShipIn(Schema):
    tracking: str = Field("", max_length=60)


class SettlementIn(Schema):
    period_start: dt.date
    period_end: dt.date
    minimum_payout: int = Field(10_000, ge=0, le=10**10)


class SettlementOut(Schema):
    id: int
    period_start: dt.date
    period_end: dt.date
    payout_count: int
    payout_total: int
    created_at: dt.datetime


class StatementLineOut(Schema):
    occurred_at: dt.datetime
    memo: str
    reference: str
    amount: int
    running: int


class StatementOut(Schema):
    account: str
    start: dt.date
    end: dt.date
    opening: int
    closing: int
    lines: list[StatementLineOut]


class StatementFilters(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    account: int = Field(0, ge=0, le=100)


def _order_out(order: Order) -> dict[str, Any]:
    payment = getattr(order, "payment", None)
    subs = order.suborders.select_related("supplier__organisation").prefetch_related("lines")
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "total": order.total,
        "payment_method": order.payment_method,
        "payment_instructions": payment.instructions if payment else "",
        "payment_deadline": payment.deadline if payment else None,
        "seller_id": order.seller_id,
        "creator_id": order.creator_id,
        "created_at": order.created_at,
        "suborders": list(subs),
    }


# --- catalogue ----------------------------------------------------------------------------------


@router.get("/products", response={200: list[ProductOut], **error_responses(401, 422)}, **READ)
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> list:
    """판매 중인 상품 (검색어 `q`는 한국어 형태소 검색, `division`은 사업 분야)."""
    qs = (
        access.products_visible_to(request.user)
        .filter(active=True, supplier__status="approved")
        .select_related("supplier__organisation", "category")
    )
    if filters.division:
        qs = qs.filter(category__division=filters.division)
    if filters.q.strip():
        from dure.search.services import search

        from .search_index import KIND

        ids = [h.object_id for h in search(query=filters.q, kinds=[KIND], limit=100).hits]
        found = {p.pk: p for p in qs.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]
    return list(qs.order_by("name", "pk")[:200])


@router.get("/products/{id}", response={200: ProductOut, **error_responses(401, 404, 422)}, **READ)
def get_product(request: HttpRequest, id: int) -> Any:
    """상품 하나."""
    return access.access_product(user=request.user, product_id=id)


# --- cart and checkout --------------------------------------------------------------------------


def _cart(request: HttpRequest) -> dict[str, Any]:
    items = services.cart_items(request.user)
    return {"items": items, "total": sum(i.product.price * i.quantity for i in items)}


@router.get("/cart", response={200: CartOut, **error_responses(401)}, **WRITE)
def get_cart(request: HttpRequest) -> dict:
    """내 장바구니."""
    return _cart(request)


@router.put("/cart", response={200: CartOut, **error_responses(401, 403, 422)}, **WRITE)
def put_cart_item(request: HttpRequest, payload: CartItemIn) -> dict:
    """장바구니에 상품을 담거나 수량을 바꿉니다 (0이면 뺍니다)."""
    with _service_errors():
        services.cart_set(
            user=request.user, product_id=payload.product_id, quantity=payload.quantity
        )
    return _cart(request)


@router.post(
    "/checkout",
    response={200: OrderOut, 201: OrderOut, **error_responses(401, 403, 409, 422)},
    **WRITE,
)
def post_checkout(
    request: HttpRequest, payload: CheckoutIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    """주문 (장바구니 또는 `lines`). 가격은 언제나 서버의 판매가이며, 재고가 모자라면 409
    `out_of_stock`("재고 부족: 남은 수량 N개")로 아무것도 기록하지 않습니다. 같은
    `Idempotency-Key`의 재시도는 처음 주문을 200으로 돌려줍니다."""
    org = None
    if payload.buyer_organisation_id is not None:
        org = Organisation.objects.filter(pk=payload.buyer_organisation_id).first()
        if org is None:
            raise ApiError(422, "invalid", field="buyer_organisation_id")
    with _service_errors():
        result = services.checkout(
            buyer=request.user,
            idempotency_key=idempotency_key,
            payment_method=payload.payment_method,
            lines=[(line.product_id, line.quantity) for line in payload.lines]
            if payload.lines is not None
            else None,
            from_cart=payload.lines is None,
            buyer_organisation=org,
            referral_code=payload.referral_code,
            session_key=request.session.session_key or "" if hasattr(request, "session") else "",
        )
    return Status(201 if result.created else 200, _order_out(result.order))


# --- orders -------------------------------------------------------------------------------------


@router.get("/orders", response={200: list[OrderOut], **error_responses(401)}, **WRITE)
def list_orders(request: HttpRequest) -> list:
    """내 주문 (운영자는 전체, 최근 100건)."""
    orders = access.orders_visible_to(request.user).select_related("payment")[:100]
    return [_order_out(o) for o in orders]


@router.get("/orders/{id}", response={200: OrderOut, **error_responses(401, 404)}, **WRITE)
def get_order(request: HttpRequest, id: int) -> dict:
    """주문 하나 (구매자와 운영자)."""
    return _order_out(access.access_order(user=request.user, order_id=id))


@router.post(
    "/orders/{id}/cancel", response={200: OrderOut, **error_responses(401, 404, 409)}, **WRITE
)
def cancel_order(request: HttpRequest, id: int) -> dict:
    """주문 취소 (입금 전: 재고 복원, 결제 후 발송 전: 전액 환불)."""
    order = access.access_order(user=request.user, order_id=id)
    with _service_errors():
        services.order_cancel(actor=request.user, order=order)
    order.refresh_from_db()
    return _order_out(order)


@router.post(
    "/orders/{id}/confirm-payment",
    response={200: OrderOut, **error_responses(401, 403, 404, 409, 422)},
    **WRITE,
)
def confirm_payment(request: HttpRequest, id: int, filters: Query[ConfirmIn]) -> dict:
    """입금 확인 (운영자), 본문 없이 (`?reference=`: 입금자명·거래 번호, 없어도 됩니다). 두 번
    보내도 한 번만 기록됩니다."""
    order = access.access_order(user=request.user, order_id=id)
    if not access.is_operator(request.user):
        raise PermissionDenied
    with _service_errors():
        order = services.payment_confirm(
            actor=request.user, order=order, reference=filters.reference
        )
    return _order_out(order)


@router.post(
    "/suborders/{id}/ship",
    response={200: SubOrderOut, **error_responses(401, 404, 409, 422)},
    **WRITE,
)
def ship_suborder(request: HttpRequest, id: int, payload: ShipIn) -> Any:
    """발송 (해당 입점사와 운영자)."""
    suborder = access.access_suborder(user=request.user, suborder_id=id)
    with _service_errors():
        services.suborder_ship(actor=request.user, suborder=suborder, tracking=payload.tracking)
    return SubOrder.objects.select_related("supplier__organisation").get(pk=suborder.pk)


@router.get(
    "/suborders/{id}/tax-invoice",
    response={200: dict[str, Any], **error_responses(401, 404)},
    **WRITE,
)
def get_tax_invoice(request: HttpRequest, id: int) -> dict:
    """전자세금계산서 발행에 필요한 자료 (입점사·구매자·운영자): 공급자·공급받는자 사업자등록번호,
    품목별 공급가액·부가세 (환불 반영). 발행 대행 사업자 연동은 확장 지점입니다."""
    from .selectors import tax_invoice_data

    suborder = access.access_suborder(user=request.user, suborder_id=id, as_buyer=True)
    return tax_invoice_data(suborder)


@router.post(
    "/suborders/{id}/refunds",
    response={201: RefundOut, **error_responses(401, 404, 409, 422)},
    **WRITE,
)
def request_refund(request: HttpRequest, id: int, payload: RefundIn) -> Status:
    """환불 요청 (구매자와 운영자). 결제한 수량을 넘으면 422 `refund_exceeds_paid`."""
    suborder = access.access_suborder(user=request.user, suborder_id=id, as_buyer=True)
    if suborder.order.buyer_id != request.user.pk and not access.is_operator(request.user):
        raise Http404
    with _service_errors():
        refund = services.refund_request(
            actor=request.user, suborder=suborder, reason=payload.reason, lines=payload.lines
        )
    return Status(201, refund)


@router.post(
    "/refunds/{id}/complete",
    response={200: RefundOut, **error_responses(401, 404, 409)},
    **WRITE,
)
def complete_refund(request: HttpRequest, id: int) -> Any:
    """환불 승인 (해당 입점사와 운영자): 재고 복원, 수수료 재계산, 원장 기록."""
    refund = access.access_refund(user=request.user, refund_id=id)
    with _service_errors():
        return services.refund_complete(actor=request.user, refund=refund)


class PriorityFilters(Schema):
    organisation_id: int = Field(..., gt=0, lt=2**63)
    year: int = Field(..., ge=2000, le=2100)


@router.get(
    "/priority-purchases",
    response={200: dict[str, Any], **error_responses(401, 404, 422)},
    **WRITE,
)
def priority_purchases(request: HttpRequest, filters: Query[PriorityFilters]) -> dict:
    """기관의 사회적경제기업 제품 구매 실적 (우선구매 실적 보고용): 연도별, 사회적경제 유형별,
    입점사별 결제액 (환불 차감). 그 기관의 구성원과 운영자만 볼 수 있습니다."""
    from dure.directory.access import roles_of

    from .selectors import priority_purchase_report

    if not (
        access.is_operator(request.user)
        or filters.organisation_id in roles_of(request.user).organisation_ids
    ):
        raise Http404
    return priority_purchase_report(organisation_id=filters.organisation_id, year=filters.year)


# --- settlements and statements -----------------------------------------------------------------


@router.get(
    "/settlements", response={200: list[SettlementOut], **error_responses(401, 403)}, **WRITE
)
def list_settlements(request: HttpRequest) -> list:
    """정산 내역 (운영자)."""
    if not access.is_operator(request.user):
        raise PermissionDenied
    return list(Settlement.objects.all()[:100])


@router.post(
    "/settlements",
    response={200: SettlementOut, 201: SettlementOut, **error_responses(401, 403, 409, 422)},
    **WRITE,
)
def run_settlement(
    request: HttpRequest, payload: SettlementIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    """정산 실행 (운영자). 같은 `Idempotency-Key`면 같은 정산을 200으로 돌려줍니다."""
    if not access.is_operator(request.user):
        raise PermissionDenied
    existed = Settlement.objects.filter(idempotency_key=idempotency_key).exists()
    try:
        with _service_errors():
            settlement = services.settlement_run(
                actor=request.user,
                period_start=payload.period_start,
                period_end=payload.period_end,
                minimum_payout=payload.minimum_payout,
                idempotency_key=idempotency_key,
            )
    except ValidationError as exc:
        code = getattr(exc, "code", None)
        if code in ("period_before_last_settlement", "idempotency_conflict"):
            raise ApiError(409, code, " ".join(exc.messages)) from exc
        raise
    return Status(200 if existed else 201, settlement)


@router.get("/statements", response={200: StatementOut, **error_responses(401, 404, 422)}, **WRITE)
def get_statement(request: HttpRequest, filters: Query[StatementFilters]) -> dict:
    """내 정산 명세 (MC·CC·입점사): 기간의 거래와 잔액. PDF·XLSX는 페이지에서 내려받습니다."""
    from dure.ledger import services as ledger

    from .views import _my_accounts

    accounts = _my_accounts(request.user)
    if not accounts or filters.account >= len(accounts):
        raise Http404
    end = filters.end or timezone.localdate()
    start = filters.start or end - dt.timedelta(days=31)
    if start > end:
        raise ApiError(422, "invalid", field="start")
    kind, party, label = accounts[filters.account]
    stmt = ledger.statement(ledger.account(kind, party), start=start, end=end)
    return {
        "account": label,
        "start": start,
        "end": end,
        "opening": stmt.opening,
        "closing": stmt.closing,
        "lines": [line._asdict() for line in stmt.lines],
    }


# --- self-service: the pages' other operations ----------------------------------------------------
# Supplier applications and review, MC/CC registration, a supplier's products and orders,
# commission rates, offline market days, payments waiting and the participants dashboard. Each
# calls the service the page calls; operator-only lists are a 403 for others (like
# /settlements), an operator-only object a 404 (like the pages).

EconomyTypeValue = Literal[*SocialEconomyType.values]  # type: ignore[valid-type]
TaxTypeValue = Literal[*TaxType.values]  # type: ignore[valid-type]
CommissionKindValue = Literal[*CommissionKind.values]  # type: ignore[valid-type]
RuleScopeValue = Literal[*RuleScope.values]  # type: ignore[valid-type]
SupplierStatusValue = Literal[*SupplierStatus.values]  # type: ignore[valid-type]
RefundStatusValue = Literal[*RefundStatus.values]  # type: ignore[valid-type]


def _require_operator(request: HttpRequest) -> None:
    if not access.is_operator(request.user):
        raise PermissionDenied


def _is_supplier_side(user: Any) -> bool:
    return access.is_operator(user) or access.suppliers_of(user).exists()


def _created(model: Any, **lookup: Any) -> bool:
    return not model.objects.filter(**lookup).exists()


# participants ------------------------------------------------------------------------------------


class OrganisationChoiceOut(Schema):
    id: int
    name: str


class ApplicationOut(Schema):
    id: int
    organisation_id: int
    organisation: str = Field(..., alias="organisation.name")
    business_number: str
    economy_type: str
    status: str
    rejection_reason: str
    created_at: dt.datetime


class ApplicationsOut(Schema):
    applications: list[ApplicationOut]
    organisations: list[OrganisationChoiceOut] = Field(
        ...,
        description="신청할 수 있는 기관 (대표·이사장·사무국장인 기관 중 아직 신청하지 않은 곳)",
    )


class ApplicationIn(Schema):
    organisation_id: int = Field(..., gt=0, lt=2**63)
    business_number: Text(20) = Field(..., description="10자리 숫자 (하이픈은 있어도 됩니다)")
    economy_type: EconomyTypeValue
    introduction: Text(3000) = ""


class SupplierOut(ApplicationOut):
    introduction: str
    capacity_survey: str
    surveyed_at: dt.datetime | None
    inspection_record: str
    inspected_at: dt.datetime | None
    decided_at: dt.datetime | None


class SupplierFilters(Schema):
    status: SupplierStatusValue | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class ReviewIn(Schema):
    step: Literal["survey", "inspect", "approve", "reject"] = Field(
        ..., description="survey(공급역량 조사) → inspect(현장 실사) → approve, 또는 reject"
    )
    record: Text(5000) = Field("", description="조사·실사 기록 (survey, inspect)")
    reason: Text(500) = Field("", description="반려 사유 (reject)")


class CountOut(Schema):
    count: int
    pending: int
    target: int


class ParticipantsOut(Schema):
    suppliers: CountOut
    sellers: CountOut


class ReferrerIn(Schema):
    kind: Literal["seller", "creator"] = Field(..., description="seller: MC, creator: CC")
    display_name: Text(60) = Field(..., min_length=1)
    organisation_id: int | None = Field(None, gt=0, lt=2**63, description="대표하는 기관")


class ReferrerOut(Schema):
    kind: str
    id: int
    display_name: str
    referral_code: str
    link: str
    organisation_id: int | None
    active: bool
    valid_until: dt.date | None


def _referrer_out(request: HttpRequest, kind: str, profile: Any) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "kind": kind,
        "id": profile.pk,
        "display_name": profile.display_name,
        "referral_code": profile.referral_code,
        "link": request.build_absolute_uri(
            reverse("market:referral", args=[profile.referral_code])
        ),
        "organisation_id": profile.organisation_id,
        "active": profile.active,
        "valid_until": profile.valid_until,
    }


@router.get(
    "/supplier-applications", response={200: ApplicationsOut, **error_responses(401)}, **WRITE
)
def list_supplier_applications(request: HttpRequest) -> dict:
    """내 기관의 입점 신청과 그 상태, 그리고 새로 신청할 수 있는 기관."""
    from dure.directory.access import roles_of

    editable = roles_of(request.user).editable_organisation_ids
    applied = SupplierProfile.objects.filter(organisation_id__in=editable).select_related(
        "organisation"
    )
    open_orgs = (
        Organisation.objects.filter(pk__in=editable)
        .exclude(pk__in=applied.values("organisation_id"))
        .order_by("name")
    )
    return {"applications": list(applied.order_by("pk")), "organisations": list(open_orgs)}


@router.post(
    "/supplier-applications",
    response={201: ApplicationOut, **error_responses(401, 403, 422)},
    **WRITE,
)
def apply_supplier(request: HttpRequest, payload: ApplicationIn) -> Status:
    """기관을 입점사(PA)로 신청합니다 (기관의 대표·이사장·사무국장). 사업자등록번호는 검증
    숫자까지 확인하고(422 `invalid_business_number`), 기관마다 한 번만 신청합니다 (422
    `duplicate`). 운영자가 공급역량 조사와 현장 실사를 거쳐 승인합니다."""
    from dure.directory.access import roles_of

    org = Organisation.objects.filter(pk=payload.organisation_id).first()
    if org is None:
        raise ApiError(422, "invalid_choice", _("기관을 선택해 주세요."), "organisation_id")
    if org.pk not in roles_of(request.user).editable_organisation_ids:
        raise PermissionDenied  # as on the page: only one's own organisations are offered
    with _service_errors():
        supplier = services.supplier_apply(
            actor=request.user,
            organisation=org,
            business_number=payload.business_number,
            economy_type=payload.economy_type,
            introduction=payload.introduction,
        )
    return Status(201, supplier)


@router.get(
    "/suppliers", response={200: list[SupplierOut], **error_responses(401, 403, 422)}, **WRITE
)
def list_suppliers(request: HttpRequest, filters: Query[SupplierFilters]) -> list:
    """입점사와 입점 신청 (운영자), 상태별로 거를 수 있습니다."""
    _require_operator(request)
    qs = SupplierProfile.objects.select_related("organisation").order_by("status", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return list(qs[:500])


@router.get("/suppliers/{id}", response={200: SupplierOut, **error_responses(401, 404)}, **WRITE)
def get_supplier(request: HttpRequest, id: int) -> Any:
    """입점사 하나와 심사 기록 (운영자)."""
    return access.access_supplier(user=request.user, supplier_id=id)


@router.post(
    "/suppliers/{id}/review",
    response={200: SupplierOut, **error_responses(401, 404, 409, 422)},
    **WRITE,
)
def review_supplier(request: HttpRequest, id: int, payload: ReviewIn) -> Any:
    """입점 심사 한 단계 (운영자): 공급역량 조사 기록(survey) → 현장 실사 기록(inspect) →
    승인(approve), 또는 반려(reject, 사유 필수). 순서가 맞지 않으면 409 `bad_transition`."""
    supplier = access.access_supplier(user=request.user, supplier_id=id)
    with _service_errors():
        services.supplier_review(
            actor=request.user,
            supplier=supplier,
            step=payload.step,
            record=payload.record,
            reason=payload.reason,
        )
    return SupplierProfile.objects.select_related("organisation").get(pk=supplier.pk)


@router.get("/participants", response={200: ParticipantsOut, **error_responses(401, 403)}, **WRITE)
def get_participants(request: HttpRequest) -> dict:
    """참여자 현황과 연간 목표 (운영자): 승인된 입점사와 활동 중인 MC 수."""
    from .selectors import participant_counts

    _require_operator(request)
    return participant_counts()


@router.get("/referrers/me", response={200: list[ReferrerOut], **error_responses(401)}, **WRITE)
def my_referrer_profiles(request: HttpRequest) -> list:
    """내 MC·CC 등록과 추천 코드, 나눠 줄 추천 링크."""
    return [
        _referrer_out(request, kind, profile)
        for kind, qs in (
            ("seller", access.sellers_of(request.user)),
            ("creator", access.creators_of(request.user)),
        )
        for profile in qs.order_by("pk")
    ]


@router.post("/referrers", response={201: ReferrerOut, **error_responses(401, 403, 422)}, **WRITE)
def register_referrer(request: HttpRequest, payload: ReferrerIn) -> Status:
    """MC(seller) 또는 CC(creator)로 등록합니다 (개인, 또는 소속 기관을 대표해서). 추천 코드와
    링크가 만들어집니다."""
    from dure.directory.access import roles_of

    org = None
    if payload.organisation_id is not None:
        org = Organisation.objects.filter(
            pk=payload.organisation_id, pk__in=roles_of(request.user).organisation_ids
        ).first()
        if org is None:
            raise ApiError(
                422, "invalid_choice", _("소속 기관으로만 등록할 수 있습니다."), "organisation_id"
            )
    with _service_errors():
        profile = services.referrer_register(
            actor=request.user,
            kind=payload.kind,
            display_name=payload.display_name,
            organisation=org,
        )
    return Status(201, _referrer_out(request, payload.kind, profile))


# catalogue management ----------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    division: str
    name: str


class ManagedProductOut(Schema):
    id: int
    supplier_id: int
    supplier: str = Field(..., alias="supplier.organisation.name")
    category_id: int
    division: str = Field(..., alias="category.division")
    category: str = Field(..., alias="category.name")
    name: str
    description: str
    price: int = Field(..., description="판매가 (원, 부가세 포함)")
    tax_type: str
    stock: int
    unit: str
    active: bool
    image_url: str | None
    image_alt: str

    @staticmethod
    def resolve_image_url(obj: Product) -> str | None:
        return obj.image.url if obj.image else None


class ProductIn(Schema):
    supplier_id: int = Field(..., gt=0, lt=2**63, description="승인된 입점사")
    category_id: int = Field(..., gt=0, lt=2**63)
    name: Text(120) = Field(..., min_length=1)
    description: Text(5000) = ""
    price: int = Field(..., ge=0, lt=10**12, description="판매가 (원, 부가세 포함)")
    tax_type: TaxTypeValue = "taxable"
    stock: int = Field(0, ge=0, lt=2**31)
    unit: Text(20) = "개"
    active: bool = True


class ProductUpdateIn(Schema):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    category_id: int | None = Field(None, gt=0, lt=2**63)
    name: Text(120) | None = Field(None, min_length=1)
    description: Text(5000) | None = None
    price: int | None = Field(None, ge=0, lt=10**12)
    tax_type: TaxTypeValue | None = None
    stock: int | None = Field(None, ge=0, lt=2**31)
    unit: Text(20) | None = None
    active: bool | None = None
    image_alt: Text(200) | None = Field(None, description="이미지가 있으면 비울 수 없습니다")


PRODUCT_FIELDS = {"category": "category_id"}


def _product_data(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "category": product.category_id,
        "price": product.price,
        "tax_type": product.tax_type,
        "stock": product.stock,
        "unit": product.unit,
        "active": product.active,
        "image_alt": product.image_alt,
    }


def _managed(request: HttpRequest, product_id: int) -> Product:
    return access.access_product(user=request.user, product_id=product_id, write=True)


@router.get("/categories", response={200: list[CategoryOut], **error_responses(401)}, **READ)
def list_categories(request: HttpRequest) -> list:
    """상품 분류 (사업 분야별)."""
    return list(Category.objects.order_by("division", "name"))


@router.get(
    "/supplier/products",
    response={200: list[ManagedProductOut], **error_responses(401, 403)},
    **WRITE,
)
def list_my_products(request: HttpRequest) -> list:
    """내 입점사의 상품 (판매 중이 아닌 것도; 운영자는 전체, 최대 300개)."""
    from .selectors import managed_products

    if not _is_supplier_side(request.user):
        raise PermissionDenied
    return list(managed_products(request.user)[:300])


@router.post(
    "/products", response={201: ManagedProductOut, **error_responses(401, 403, 422)}, **WRITE
)
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    """상품 등록 (승인된 입점사의 사람과 운영자). 이미지는 만든 뒤
    `POST /products/{id}/image`로 올립니다."""
    from .selectors import approved_suppliers_for

    suppliers = approved_suppliers_for(request.user)
    if not suppliers.exists():
        raise PermissionDenied
    supplier = suppliers.filter(pk=payload.supplier_id).first()
    if supplier is None:
        raise ApiError(422, "invalid_choice", _("입점사를 선택해 주세요."), "supplier_id")
    data = payload.dict(exclude={"supplier_id", "category_id"})
    data["category"] = payload.category_id
    with _service_errors(PRODUCT_FIELDS):
        product = services.product_save(actor=request.user, supplier=supplier, data=data)
    return Status(201, _managed(request, product.pk))


@router.patch(
    "/products/{id}",
    response={200: ManagedProductOut, **error_responses(401, 404, 422)},
    **WRITE,
)
def update_product(request: HttpRequest, id: int, payload: ProductUpdateIn) -> Any:
    """상품 수정: 보낸 항목만 바뀝니다 (그 입점사의 사람과 운영자)."""
    product = _managed(request, id)
    data = _product_data(product)
    changes = payload.dict(exclude_unset=True)
    if "category_id" in changes:
        changes["category"] = changes.pop("category_id")
    data.update({k: v for k, v in changes.items() if v is not None})
    with _service_errors(PRODUCT_FIELDS):
        services.product_save(
            actor=request.user, supplier=product.supplier, data=data, product=product
        )
    return _managed(request, id)


@router.post(
    "/products/{id}/image",
    response={200: ManagedProductOut, **error_responses(400, 401, 404, 413, 422)},
    **WRITE,
)
def upload_product_image(
    request: HttpRequest,
    id: int,
    image: File[UploadedFile],
    image_alt: str = ApiForm(..., max_length=200, description="이미지에 보이는 것 (대체 텍스트)"),
) -> Any:
    """상품 이미지 (multipart/form-data: `image`, `image_alt`). 대체 텍스트는 필수입니다
    (422 `alt_required`); 이미지가 아닌 파일은 422 `invalid_image`."""
    from django import forms

    product = _managed(request, id)
    try:
        checked = forms.ImageField().clean(image)  # Pillow opens it: an image, not a name
    except ValidationError as exc:
        raise ValidationError({"image": exc.error_list}) from exc
    data = {**_product_data(product), "image": checked, "image_alt": image_alt}
    with _service_errors(PRODUCT_FIELDS):
        services.product_save(
            actor=request.user, supplier=product.supplier, data=data, product=product
        )
    return _managed(request, id)


# a supplier's orders and refunds -----------------------------------------------------------------


class SupplierSubOrderOut(SubOrderOut):
    order_id: int
    order_number: str = Field(..., alias="order.number")
    paid_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None


class RefundDetailOut(RefundOut):
    order_number: str = Field(..., alias="suborder.order.number")
    reason: str
    created_at: dt.datetime
    processed_at: dt.datetime | None


class RefundFilters(Schema):
    status: RefundStatusValue | None = Field(None, description="없으면 전부")

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


@router.get(
    "/supplier/suborders",
    response={200: list[SupplierSubOrderOut], **error_responses(401, 403)},
    **WRITE,
)
def list_supplier_suborders(request: HttpRequest) -> list:
    """내 입점사가 처리할 주문 (결제 확인 이후, 최근 100건; 운영자는 전체)."""
    from .selectors import supplier_suborders

    if not _is_supplier_side(request.user):
        raise PermissionDenied
    return list(supplier_suborders(request.user)[:100])


@router.post(
    "/suborders/{id}/deliver",
    response={200: SubOrderOut, **error_responses(401, 404, 409)},
    **WRITE,
)
def deliver_suborder(request: HttpRequest, id: int) -> Any:
    """배송 완료 (해당 입점사와 운영자). 이때부터 환불 기간이 시작됩니다."""
    suborder = access.access_suborder(user=request.user, suborder_id=id)
    with _service_errors():
        services.suborder_deliver(actor=request.user, suborder=suborder)
    return SubOrder.objects.select_related("supplier__organisation").get(pk=suborder.pk)


@router.get(
    "/supplier/refunds",
    response={200: list[RefundDetailOut], **error_responses(401, 403, 422)},
    **WRITE,
)
def list_supplier_refunds(request: HttpRequest, filters: Query[RefundFilters]) -> list:
    """내 입점사 주문의 환불 요청 (`status=requested`: 처리할 것; 운영자는 전체)."""
    from .selectors import supplier_refunds

    if not _is_supplier_side(request.user):
        raise PermissionDenied
    return list(supplier_refunds(request.user, filters.status or "")[:200])


@router.post(
    "/refunds/{id}/reject",
    response={200: RefundOut, **error_responses(401, 404, 409)},
    **WRITE,
)
def reject_refund(request: HttpRequest, id: int) -> Any:
    """환불 거절 (해당 입점사와 운영자). 이미 처리된 환불이면 409 `bad_transition`."""
    refund = access.access_refund(user=request.user, refund_id=id)
    with _service_errors():
        return services.refund_reject(actor=request.user, refund=refund)


# operator: payments, commission rules, offline market days ---------------------------------------


class PaymentOut(Schema):
    order_id: int
    order_number: str
    buyer: str
    buyer_organisation: str | None
    total: int
    payment_method: str
    status: str
    deadline: dt.datetime | None
    created_at: dt.datetime


class RuleIn(Schema):
    kind: CommissionKindValue
    scope: RuleScopeValue
    supplier_id: int | None = Field(None, gt=0, lt=2**63, description="scope=supplier")
    category_id: int | None = Field(None, gt=0, lt=2**63, description="scope=category")
    product_id: int | None = Field(None, gt=0, lt=2**63, description="scope=product")
    rate_bp: int = Field(..., ge=0, le=10_000, description="요율 (bp: 450 = 4.50 %)")


class RuleOut(Schema):
    id: int
    kind: str
    scope: str
    supplier_id: int | None
    category_id: int | None
    product_id: int | None
    rate_bp: int


class MarketDayIn(Schema):
    name: Text(100) = Field(..., min_length=1)
    held_on: dt.date
    location: Text(200) = Field(..., min_length=1)
    partner_id: int | None = Field(None, gt=0, lt=2**63, description="협력 기관")


class MarketDayOut(Schema):
    id: int
    name: str
    held_on: dt.date
    location: str
    partner_id: int | None
    created_at: dt.datetime


class SupplierSalesOut(Schema):
    supplier: str
    sales: int


class MarketDayDetailOut(MarketDayOut):
    report: list[SupplierSalesOut] = Field(..., description="입점사별 판매액 (환불 차감)")
    report_total: int


class SaleIn(Schema):
    lines: list[LineIn] = Field(..., min_length=1, max_length=100)


def _payment_out(order: Order) -> dict[str, Any]:
    payment = getattr(order, "payment", None)
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "buyer": str(order.buyer),
        "buyer_organisation": order.buyer_organisation.name if order.buyer_organisation else None,
        "total": order.total,
        "payment_method": order.payment_method,
        "status": payment.status if payment else "",
        "deadline": payment.deadline if payment else None,
        "created_at": order.created_at,
    }


@router.get("/payments", response={200: list[PaymentOut], **error_responses(401, 403)}, **WRITE)
def list_payments(request: HttpRequest) -> list:
    """입금·청구 대기 중인 주문 (운영자, 오래된 순 200건). 확인은
    `POST /orders/{id}/confirm-payment`."""
    from .selectors import payments_waiting

    _require_operator(request)
    return [_payment_out(o) for o in payments_waiting()[:200]]


@router.get(
    "/commission-rules", response={200: list[RuleOut], **error_responses(401, 403)}, **WRITE
)
def list_commission_rules(request: HttpRequest) -> list:
    """수수료율 (운영자): 플랫폼 기본 < 입점사 < 분류 < 상품, 가장 구체적인 것이 적용됩니다."""
    _require_operator(request)
    return list(CommissionRule.objects.order_by("kind", "scope", "pk"))


@router.post(
    "/commission-rules",
    response={200: RuleOut, 201: RuleOut, **error_responses(401, 403, 422)},
    **WRITE,
)
def set_commission_rule(request: HttpRequest, payload: RuleIn) -> Status:
    """수수료율 정하기 (운영자): 범위(scope)에 맞는 대상 하나와 요율. 같은 종류·대상의 요율이
    있으면 바꾸고 200, 없으면 만들고 201. 이미 들어온 주문의 수수료는 바뀌지 않습니다."""
    _require_operator(request)
    targets: dict[str, Any] = {"supplier": None, "category": None, "product": None}
    if payload.scope != RuleScope.PLATFORM:
        wanted = getattr(payload, f"{payload.scope}_id")
        if wanted is None:
            raise ApiError(
                422, "required", _("적용 범위에 맞는 대상을 선택해 주세요."), f"{payload.scope}_id"
            )
        model: Any = {
            RuleScope.SUPPLIER: SupplierProfile.objects.filter(status=SupplierStatus.APPROVED),
            RuleScope.CATEGORY: Category.objects.all(),
            RuleScope.PRODUCT: Product.objects.all(),
        }[payload.scope]
        targets[payload.scope] = model.filter(pk=wanted).first()
        if targets[payload.scope] is None:
            raise ApiError(
                422, "invalid_choice", _("적용 대상을 찾을 수 없습니다."), f"{payload.scope}_id"
            )
    created = _created(CommissionRule, scope=payload.scope, kind=payload.kind, **targets)
    with _service_errors():
        rule = services.commission_rule_set(
            actor=request.user, kind=payload.kind, rate_bp=payload.rate_bp, **targets
        )
    return Status(201 if created else 200, rule)


@router.delete("/commission-rules/{id}", response={204: None, **error_responses(401, 404)}, **WRITE)
def delete_commission_rule(request: HttpRequest, id: int) -> Status:
    """수수료율 지우기 (운영자): 새 주문부터 그다음으로 구체적인 범위의 요율이 적용됩니다."""
    rule = (
        CommissionRule.objects.filter(pk=id).first() if access.is_operator(request.user) else None
    )
    if rule is None:
        raise Http404
    with _service_errors():
        services.commission_rule_delete(actor=request.user, rule=rule)
    return Status(204, None)


@router.get(
    "/market-days", response={200: list[MarketDayOut], **error_responses(401, 403)}, **WRITE
)
def list_market_days(request: HttpRequest) -> list:
    """오프라인 장터 (운영자, 최근 100개)."""
    _require_operator(request)
    return list(MarketDay.objects.order_by("-held_on", "-pk")[:100])


@router.post(
    "/market-days", response={201: MarketDayOut, **error_responses(401, 403, 422)}, **WRITE
)
def create_market_day(request: HttpRequest, payload: MarketDayIn) -> Status:
    """오프라인 장터 만들기 (운영자): 이름, 날짜, 장소, 협력 기관."""
    _require_operator(request)
    partner = None
    if payload.partner_id is not None:
        partner = Organisation.objects.filter(pk=payload.partner_id).first()
        if partner is None:
            raise ApiError(422, "invalid_choice", _("협력 기관을 찾을 수 없습니다."), "partner_id")
    with _service_errors():
        day = services.market_day_create(
            actor=request.user,
            name=payload.name,
            held_on=payload.held_on,
            location=payload.location,
            partner=partner,
        )
    return Status(201, day)


def _market_day_out(day: MarketDay) -> dict[str, Any]:
    report = services.market_day_report(day)
    return {
        "id": day.pk,
        "name": day.name,
        "held_on": day.held_on,
        "location": day.location,
        "partner_id": day.partner_id,
        "created_at": day.created_at,
        "report": report,
        "report_total": sum(r["sales"] for r in report),
    }


@router.get(
    "/market-days/{id}", response={200: MarketDayDetailOut, **error_responses(401, 404)}, **WRITE
)
def get_market_day(request: HttpRequest, id: int) -> dict:
    """오프라인 장터 하나와 입점사별 판매액 (운영자)."""
    return _market_day_out(access.access_market_day(user=request.user, day_id=id))


@router.post(
    "/market-days/{id}/sales",
    response={200: OrderOut, 201: OrderOut, **error_responses(401, 404, 409, 422)},
    **WRITE,
)
def record_market_day_sale(
    request: HttpRequest, id: int, payload: SaleIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Status:
    """장터 판매 기록 (운영자): 같은 상품·재고에서 현장 결제로 팔고 바로 건넨 주문이 되어
    온라인 주문처럼 정산됩니다. 재고가 모자라면 409 `out_of_stock`. 같은 `Idempotency-Key`의
    재시도는 처음 판매를 200으로 돌려줍니다."""
    day = access.access_market_day(user=request.user, day_id=id)
    existed = Order.objects.filter(buyer=request.user, idempotency_key=idempotency_key).exists()
    with _service_errors():
        order = services.market_day_sale(
            actor=request.user,
            market_day=day,
            lines=[(line.product_id, line.quantity) for line in payload.lines],
            idempotency_key=idempotency_key,
        )
    return Status(200 if existed else 201, _order_out(order))
