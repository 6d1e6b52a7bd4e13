"""Marketplace API (/api/v1/market). Thin, like the pages, with the same permissions: products
are public; carts, orders and refunds belong to their buyer (and the supplier concerned, and
the operator); payments and settlements are the operator's. Something the caller may not see
is a 404, something they may see but not do a 403, a refused state change a 409, bad input a
422 with the service's code (``out_of_stock``, ``negative_quantity``, ``refund_exceeds_paid``,
``referral_expired``, ``idempotency_conflict``, …)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import ApiError
from dure.api.schemas import error_responses
from dure.directory.models import Organisation

from . import access, services
from .models import Order, Settlement, SubOrder

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
def _service_errors() -> Iterator[None]:
    try:
        yield
    except services.MarketError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        if exc.code in CONFLICT_CODES:
            raise ApiError(409, exc.code, " ".join(exc.messages), exc.field) from exc
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
    response={200: OrderOut, **error_responses(401, 403, 404, 409)},
    **WRITE,
)
def confirm_payment(request: HttpRequest, id: int) -> dict:
    """입금 확인 (운영자). 두 번 보내도 한 번만 기록됩니다."""
    order = access.access_order(user=request.user, order_id=id)
    if not access.is_operator(request.user):
        raise PermissionDenied
    with _service_errors():
        order = services.payment_confirm(actor=request.user, order=order)
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
